package web

import (
	"encoding/json"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// i18nRawCatalogue reads one embedded catalogue file as it is.
func i18nRawCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := catalogueFiles.ReadFile("i18n/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

func i18nSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCatalogueLoads(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatalf("loadCatalogue: %v", err)
	}
	if strings.Join(c.langs, ",") != "en,hi" {
		t.Errorf("langs = %v, want en first then hi", c.langs)
	}
}

// TestCatalogueSameKeys checks both directions: loadCatalogue itself only
// checks that every English key exists in the other languages.
func TestCatalogueSameKeys(t *testing.T) {
	en, hi := i18nRawCatalogue(t, "en"), i18nRawCatalogue(t, "hi")
	for k := range en {
		if _, ok := hi[k]; !ok {
			t.Errorf("hi.json lacks %q", k)
		}
	}
	for k := range hi {
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q (only hi.json has it)", k)
		}
	}
	for _, m := range []map[string]string{en, hi} {
		for _, k := range i18nSortedKeys(m) {
			if strings.TrimSpace(m[k]) == "" {
				t.Errorf("key %q has an empty text", k)
			}
		}
	}
	// Format verbs must agree, or one language prints %!s(MISSING).
	verbs := regexp.MustCompile(`%[a-z]`)
	for k, e := range en {
		if a, b := verbs.FindAllString(e, -1), verbs.FindAllString(hi[k], -1); strings.Join(a, "") != strings.Join(b, "") {
			t.Errorf("key %q: en has verbs %v, hi has %v", k, a, b)
		}
	}
	if en["lang_name"] == hi["lang_name"] {
		t.Error("lang_name is the same in both languages")
	}
}

// i18nMsgKeys returns the values of the pledge.Msg* constants, read from
// the pledge package's source so that new keys are checked too.
func i18nMsgKeys(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "pledge", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Msg") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s is not a string literal", id.Name)
					}
					out[id.Name] = constant.StringVal(constant.MakeFromLiteral(lit.Value, lit.Kind, 0))
				}
			}
		}
	}
	if len(out) < 9 {
		t.Fatalf("found only %d Msg* constants: %v", len(out), out)
	}
	return out
}

func TestCatalogueHasEveryMessageKey(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range i18nMsgKeys(t) {
		for _, lang := range c.langs {
			if _, ok := c.strings[lang][key]; !ok {
				t.Errorf("pledge.%s = %q is missing from %s.json", name, key, lang)
			}
		}
	}
}

// TestCatalogueHasEveryUsedKey scans the web package and its templates for
// literal catalogue keys: .T "key", T(lang, "key") and the keys status maps
// errors to.
func TestCatalogueHasEveryUsedKey(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.T "([a-z_]+)"|\bT\([a-z]+, "([a-z_]+)"\)|return http\.Status[A-Za-z]+, "([a-z_]+)"|"(form_has_errors)"`)
	var files []string
	for _, pat := range []string{"*.go", filepath.Join("templates", "*")} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2] + m[3] + m[4]
			found++
			for _, lang := range c.langs {
				if _, ok := c.strings[lang][key]; !ok {
					t.Errorf("%s uses %q, missing from %s.json", name, key, lang)
				}
			}
		}
	}
	if found < 20 {
		t.Errorf("found only %d key uses; has the code layout changed?", found)
	}
}

func TestCatalogueT(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	en, hi := i18nRawCatalogue(t, "en"), i18nRawCatalogue(t, "hi")
	cases := []struct{ lang, key, want string }{
		{"en", "submit", en["submit"]},
		{"hi", "submit", hi["submit"]},
		{"fr", "submit", en["submit"]}, // unknown language: English
		{"", "submit", en["submit"]},
		{"hi", "no_such_key", "no_such_key"}, // unknown key: the key itself
		{"en", "", ""},
	}
	for _, tc := range cases {
		if got := c.T(tc.lang, tc.key); got != tc.want {
			t.Errorf("T(%q, %q) = %q, want %q", tc.lang, tc.key, got, tc.want)
		}
	}
}

func TestCatalogueNumber(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{100000, "1,00,000"},
		{1234567, "12,34,567"},
		{970000000, "97,00,00,000"},
	}
	for _, lang := range []string{"en", "hi", "fr"} {
		for _, tc := range cases {
			if got := c.Number(lang, tc.n); got != tc.want {
				t.Errorf("Number(%q, %d) = %q, want %q", lang, tc.n, got, tc.want)
			}
		}
	}
}

func TestPickLang(t *testing.T) {
	long := strings.Repeat("hi;q=0.9, ", 60) // > 512 bytes
	cases := []struct {
		name     string
		target   string
		accept   string
		offered  []string
		want     string
		explicit bool
	}{
		{"query wins over header", "/c/x?lang=hi", "en", []string{"en", "hi"}, "hi", true},
		{"query en", "/c/x?lang=en", "hi", []string{"en", "hi"}, "en", true},
		{"query not offered falls to header", "/c/x?lang=ta", "hi", []string{"en", "hi"}, "hi", false},
		{"query not offered, no header", "/c/x?lang=ta", "", []string{"hi", "en"}, "hi", false},
		{"query is case-sensitive", "/c/x?lang=HI", "", []string{"en", "hi"}, "en", false},
		{"empty query", "/c/x?lang=", "hi", []string{"en", "hi"}, "hi", false},
		{"first query value counts", "/c/x?lang=hi&lang=en", "", []string{"en", "hi"}, "hi", true},
		{"Indian browser", "/c/x", "hi-IN,hi;q=0.9,en;q=0.8", []string{"en", "hi"}, "hi", false},
		{"English browser", "/c/x", "en-IN,en;q=0.9,hi;q=0.8", []string{"en", "hi"}, "en", false},
		{"en-GB", "/c/x", "en-GB", []string{"hi", "en"}, "en", false},
		{"weights", "/c/x", "en;q=0.1, hi;q=0.7", []string{"en", "hi"}, "hi", false},
		{"unsupported first", "/c/x", "ta, hi;q=0.5", []string{"en", "hi"}, "hi", false},
		{"q=0 refuses", "/c/x", "hi;q=0, en", []string{"hi", "en"}, "en", false},
		{"french: first offered", "/c/x", "fr", []string{"en", "hi"}, "en", false},
		{"french: first offered hi", "/c/x", "fr", []string{"hi", "en"}, "hi", false},
		{"wildcard: first offered", "/c/x", "*", []string{"hi", "en"}, "hi", false},
		{"garbage: first offered", "/c/x", "garbage!!", []string{"hi", "en"}, "hi", false},
		{"garbage weight", "/c/x", "en;q=x", []string{"hi", "en"}, "hi", false},
		{"semicolons", "/c/x", ";;;", []string{"en", "hi"}, "en", false},
		{"no header", "/c/x", "", []string{"hi", "en"}, "hi", false},
		{"too long header", "/c/x", long, []string{"en", "hi"}, "en", false},
		{"nothing offered", "/c/x", "hi", nil, "en", false},
		{"nothing offered with query", "/c/x?lang=hi", "hi", nil, "en", false},
		{"single language", "/c/x", "hi", []string{"en"}, "en", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			lang, explicit := pickLang(r, tc.offered)
			if lang != tc.want || explicit != tc.explicit {
				t.Errorf("pickLang = %q, %v; want %q, %v", lang, explicit, tc.want, tc.explicit)
			}
		})
	}
}

// TestPickLangAlwaysOffered: whatever the header says, the answer is one of
// the offered languages (or "en" when nothing is offered).
func TestPickLangAlwaysOffered(t *testing.T) {
	headers := []string{"hi", "en", "mr-IN", "bn", "ur", "hi-Latn", "en-US-u-nu-deva", "x-klingon", "und", "zh-Hant-TW;q=0.5,*;q=0.1", "\xff\xfe", "hi,,en", "-", "hi;q=1.5"}
	offers := [][]string{{"en", "hi"}, {"hi", "en"}, {"hi"}, {"en"}, {"ta", "te"}}
	for _, h := range headers {
		for _, offered := range offers {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Language", h)
			lang, explicit := pickLang(r, offered)
			if explicit {
				t.Errorf("%q: explicit without ?lang=", h)
			}
			ok := false
			for _, l := range offered {
				ok = ok || l == lang
			}
			if !ok {
				t.Errorf("Accept-Language %q, offered %v: got %q", h, offered, lang)
			}
		}
	}
}

// TestLanguageLinksNeverLeaveTheSite: a path a browser would read as
// another host's gives the home page's links.
func TestLanguageLinksNeverLeaveTheSite(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"//evil.example":   "/?lang=hi",
		"/\\evil.example":  "/?lang=hi",
		"evil.example":     "/?lang=hi",
		"":                 "/?lang=hi",
		"/c/vote":          "/c/vote?lang=hi",
		"/%2F%2Fevil":      "/%2F%2Fevil?lang=hi",
		"/c/vote/thanks/x": "/c/vote/thanks/x?lang=hi",
	} {
		links := c.links(path, []string{"en", "hi"}, "en")
		if got := links[1].Href; got != want {
			t.Errorf("links(%q) lead to %q, want %q", path, got, want)
		}
	}
}

// TestMaskedEscapes: the masked name is escaped around the stars it hides
// from screen readers, whatever it holds.
func TestMaskedEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"R*** K***":     `R<span aria-hidden="true">***</span> K<span aria-hidden="true">***</span>`,
		`<b>*** &"***`:  `&lt;b&gt;<span aria-hidden="true">***</span> &amp;&#34;<span aria-hidden="true">***</span>`,
		"":              "",
		"no stars here": "no stars here",
	} {
		if got := string((pageData{}).Masked(in)); got != want {
			t.Errorf("Masked(%q) = %q, want %q", in, got, want)
		}
	}
}
