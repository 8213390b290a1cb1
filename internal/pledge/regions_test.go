package pledge_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestParseRegionsCSV(t *testing.T) {
	in := "\ufeffcode,parent,name_en,name_hi\n" +
		"NORTH,,North,उत्तर\n" +
		"N1,NORTH,North One,उत्तर एक\n" +
		"\n" +
		"S1,,\"South, One\",दक्षिण एक\n"
	got, err := pledge.ParseRegionsCSV(strings.NewReader(in), []string{"en", "hi"})
	if err != nil {
		t.Fatal(err)
	}
	want := []pledge.Region{
		{Code: "NORTH", Name: pledge.Text{"en": "North", "hi": "उत्तर"}},
		{Code: "N1", Parent: "NORTH", Name: pledge.Text{"en": "North One", "hi": "उत्तर एक"}},
		{Code: "S1", Name: pledge.Text{"en": "South, One", "hi": "दक्षिण एक"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
}

// TestParseRegionsCSVAsSpreadsheetsSaveIt: a file saved by a spreadsheet
// reads as the file typed by hand: header names in capitals or with spaces
// around them, empty columns with no name beside the data (in every row, in
// some rows, or in none), and rows with nothing in them.
func TestParseRegionsCSVAsSpreadsheetsSaveIt(t *testing.T) {
	want := []pledge.Region{
		{Code: "RJ", Name: pledge.Text{"en": "Rajasthan", "hi": "राजस्थान"}},
		{Code: "kota", Parent: "RJ", Name: pledge.Text{"en": "Kota", "hi": "कोटा"}},
	}
	for name, in := range map[string]string{
		"by hand":         "code,parent,name_en,name_hi\nRJ,,Rajasthan,राजस्थान\nkota,RJ,Kota,कोटा\n",
		"capitals":        "Code,Parent,Name_EN,Name_HI\r\nRJ,,Rajasthan,राजस्थान\r\nkota,RJ,Kota,कोटा\r\n",
		"spaces":          "\ufeff CODE , parent ,name_hi , Name_En\nRJ,,राजस्थान,Rajasthan\nkota,RJ,कोटा,Kota\n",
		"empty columns":   "code,parent,name_en,name_hi,,\nRJ,,Rajasthan,राजस्थान,,\nkota,RJ,Kota,कोटा,,\n",
		"uneven rows":     "code,parent,name_en,name_hi,,\nRJ,,Rajasthan,राजस्थान\nkota,RJ,Kota,कोटा,, ,\n",
		"unnamed between": "code,parent,,name_en,name_hi\nRJ,,,Rajasthan,राजस्थान\nkota,RJ, ,Kota,कोटा\n",
		"empty rows":      "code,parent,name_en,name_hi,,\n,,,,,\nRJ,,Rajasthan,राजस्थान,,\n,,,,,\nkota,RJ,Kota,कोटा,,\n,,,,,\n",
	} {
		got, err := pledge.ParseRegionsCSV(strings.NewReader(in), []string{"en", "hi"})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: regions (-want +got):\n%s", name, diff)
		}
	}
}

// TestParseRegionsCSVIgnoresOtherLanguagesLeftEmpty: the new-campaign
// form's header names every language a campaign can have; with one of them
// unticked, its column, left empty, is read for nothing.
func TestParseRegionsCSVIgnoresOtherLanguagesLeftEmpty(t *testing.T) {
	in := "code,parent,name_en,name_hi\nA,,Alpha,\nB,A,Beta, \nC,A,Gamma\n"
	got, err := pledge.ParseRegionsCSV(strings.NewReader(in), []string{"en"})
	if err != nil {
		t.Fatal(err)
	}
	want := []pledge.Region{
		{Code: "A", Name: pledge.Text{"en": "Alpha"}},
		{Code: "B", Parent: "A", Name: pledge.Text{"en": "Beta"}},
		{Code: "C", Parent: "A", Name: pledge.Text{"en": "Gamma"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
}

func TestParseRegionsCSVErrors(t *testing.T) {
	tests := []struct {
		name  string
		langs []string
		in    string
		want  []string // every problem, in order
	}{
		{"empty", []string{"en"}, "", []string{"the file is empty"}},
		{"no rows", []string{"en"}, "code,parent,name_en\n", []string{"the file has no regions"}},
		{"bad header", []string{"en", "hi"}, "id,parent,name_en,name_fr,note\nA,,a,,\n", []string{
			"line 1: the header must start with code,parent",
			`line 1: unknown column "note": columns after code,parent are name_<language>`,
			"line 1: column name_hi is missing",
		}},
		{"names in a language the campaign does not have", []string{"en"}, "code,parent,name_en,Name_HI\n" +
			"A,,Alpha,\n" +
			"B,,Beta,बी\n" + // line 3
			"C,,Gamma,सी\n", []string{
			`line 3: column Name_HI holds a name ("बी"), but the campaign is not in hi: delete the column, or add hi to the campaign's languages`,
		}},
		{"every bad line", []string{"en", "hi"}, "code,parent,name_en,name_hi\n" +
			"A,,Alpha,अ\n" +
			"B,A,Beta\n" + // line 3: columns
			"C,Z,Gamma,ग\n" + // line 4: unknown parent
			"A,,Again,फिर\n" + // line 5: duplicate
			"D,A,Delta,\n" + // line 6: missing hi name
			"E,F,Eps,ए\n" + // line 7: three levels (F's parent is A)
			"F,A,Phi,फ\n" +
			"G,G,Gee,ग\n" + // line 9: its own parent
			"H,G,Aitch,ह\n", []string{
			"line 3: 3 columns, want 4 (code,parent,name_en,name_hi)",
			"line 4: region C has unknown parent Z",
			"line 5: code A appears twice (first on line 2)",
			"line 6: the name in hi is missing",
			"line 7: region E: its parent F has a parent itself; regions have at most two levels",
			"line 9: region G cannot be its own parent: leave the parent empty for a top-level region",
			"line 10: region H: its parent G has a parent itself; regions have at most two levels",
		}},
		{"names and codes not shown as typed", []string{"en", "hi"}, "code,parent,name_en,name_hi\n" +
			"A,,Alpha,अ\n" +
			"B,A,Beta\a,ब\n" + // line 3: BEL
			"C,A,\x1b[31mGamma,ग\n" + // line 4: ESC
			"D,A,Delta,\u202eटल्ड\n" + // line 5: right-to-left override
			"E,A,Eps\u2066ilon,ए\n" + // line 6: isolate
			"F,A," + strings.Repeat("F", 3000) + ",फ\n" + // line 7: 3,000 characters
			"G\u202e,A,Gee,ग\n" + // line 8: override in the code
			"H,A\a,Aitch,ह\n" + // line 9: BEL in the parent
			"I,A," + strings.Repeat("इ", pledge.MaxRegionName) + ",इ\n", // line 10: at the limit, fine
			[]string{
				"line 3: the name in en has bytes that are not text, or control characters",
				"line 4: the name in en has bytes that are not text, or control characters",
				"line 5: the name in hi has a character that changes the direction of the text around it (U+202E)",
				"line 6: the name in en has a character that changes the direction of the text around it (U+2066)",
				"line 7: the name in en has at most 100 characters",
				`line 8: code "G\u202e" has control characters or characters that change the direction of text`,
				`line 9: parent "A\a" is not a valid code`,
			}},
		{"unnamed columns holding values", []string{"en"}, "code,parent,name_en,,\n" +
			"A,,Alpha,,\n" +
			"B,,Beta,,note\n" + // line 3: the fifth column
			"C,,Gamma,x,y\n" + // line 4: the fourth (the fifth was reported)
			"D,,Delta,,z\n" +
			"E,,Eps,,,w\n" + // line 6: beyond the header
			"F\n", []string{ // line 7: too few
			`line 3: column 5 has no name in the header, but holds "note": a column without a name must be empty`,
			`line 4: column 4 has no name in the header, but holds "x": a column without a name must be empty`,
			"line 6: 6 columns, want 3 to 5 (code,parent,name_en,,)",
			"line 7: 1 column, want 3 to 5 (code,parent,name_en,,)",
		}},
		{"header names twice, whatever the case", []string{"en"}, "code,parent,name_en,NAME_EN\nA,,a,a\n", []string{
			`line 1: column "NAME_EN" appears twice`,
		}},
		{"codes that differ only in case", []string{"en"}, "code,parent,name_en\n" +
			"NORTH,,North\n" +
			"a,,Alpha\n" +
			"A,,Alpha Two\n" + // line 4
			"Ωmega,,Omega\n" +
			"ωMEGA,,Omega Two\n" + // line 6
			"n1,north,North One\n" + // line 7: the parent NORTH, in other case
			"a,,Alpha Three\n", // line 8
			[]string{
				"line 4: code A differs only in case from code a on line 3: codes are matched exactly as written, so these would be two regions easily taken for one",
				"line 6: code ωMEGA differs only in case from code Ωmega on line 5: codes are matched exactly as written, so these would be two regions easily taken for one",
				"line 7: region n1 has unknown parent north: codes are matched exactly as written; NORTH differs only in case",
				"line 8: code a appears twice (first on line 3)",
			}},
		{"names twice under one parent", []string{"en", "hi"}, "code,parent,name_en,name_hi\n" +
			"K1,,Kota,कोटा\n" +
			"K2,,Kota,कोटा नगर\n" + // line 3: Kota at the top level again
			"RJ,,Rajasthan,राजस्थान\n" +
			"R1,RJ,Kota,कोटा\n" + // under another parent: fine
			"R2,RJ,\"KOTA \",कोटा\n" + // line 6: both names of R1, in another case and spacing
			"R3,RJ,Bundi Town,बूंदी\n" +
			"R4,RJ,Bundi  Town,बूंदी नगर\n" + // line 8: R3's name in en, spaced otherwise
			"R5,RJ,Bundi,बूंदी शहर\n",
			[]string{
				`line 3: region K2 is called "Kota" in en, as is region K1 on line 2, both at the top level: citizens could not tell them apart`,
				`line 6: region R2 is called "KOTA" in en, as is region R1 on line 5 ("Kota"), both under RJ: citizens could not tell them apart`,
				`line 6: region R2 is called "कोटा" in hi, as is region R1 on line 5, both under RJ: citizens could not tell them apart`,
				`line 8: region R4 is called "Bundi  Town" in en, as is region R3 on line 7 ("Bundi Town"), both under RJ: citizens could not tell them apart`,
			}},
		{"bare quote", []string{"en"}, "code,parent,name_en\nA,,x\"y\n", []string{
			`line 2: not valid CSV: bare " in non-quoted-field`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pledge.ParseRegionsCSV(strings.NewReader(tc.in), tc.langs)
			var rerr *pledge.RegionsCSVError
			if !errors.As(err, &rerr) {
				t.Fatalf("err = %v, want *RegionsCSVError", err)
			}
			var got []string
			for _, p := range rerr.Problems {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseRegionsCSVLimit: a file defines at most 10,000 regions, as
// docs/operations.md and the regions page say.
func TestParseRegionsCSVLimit(t *testing.T) {
	file := func(n int) string {
		var b strings.Builder
		b.WriteString("code,parent,name_en\n")
		for i := range n {
			fmt.Fprintf(&b, "R%d,,Region %d\n", i, i)
		}
		return b.String()
	}
	if got, err := pledge.ParseRegionsCSV(strings.NewReader(file(10000)), []string{"en"}); err != nil || len(got) != 10000 {
		t.Fatalf("10,000 regions: %d, %v", len(got), err)
	}
	_, err := pledge.ParseRegionsCSV(strings.NewReader(file(10001)), []string{"en"})
	var rerr *pledge.RegionsCSVError
	if !errors.As(err, &rerr) || len(rerr.Problems) != 1 || rerr.Problems[0].String() != "line 10002: too many regions: at most 10000" {
		t.Errorf("10,001 regions: %v", err)
	}
}

func TestAcceptingPaused(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	c := pledge.Campaign{OpensAt: now.Add(-time.Hour)}
	if !c.Accepting(now) {
		t.Fatal("open campaign not accepting")
	}
	c.Paused = true
	if c.Accepting(now) || !c.OpenAt(now) {
		t.Errorf("paused: Accepting = %v, OpenAt = %v; want false, true", c.Accepting(now), c.OpenAt(now))
	}
}

// FuzzParseRegionsCSV: a file either parses into regions that make a
// valid campaign, each named in exactly the campaign's languages, no two
// with codes alike but for case nor with names alike but for case and
// spacing under one parent, or is refused with its problems listed. The campaign is in Hindi or not, so
// that a name_hi column is read or must be empty.
func FuzzParseRegionsCSV(f *testing.F) {
	f.Add("code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\n", true)
	f.Add("code,parent,name_en,name_hi\nA,B,a,b\nB,A,b,a\n", true)
	f.Add("code,parent,name_en,name_hi\nA,A,a,b\n", true)
	f.Add("code,parent,name_en,name_hi\nK,,a,b\nk,,c,d\nǅ,K,e,f\nǆ,k,g,h\n", true)
	f.Add("code,parent,name_en,name_hi\nK,,Kota,b\nL,,kota,c\nM,K,Kota,b\nN,K,K  ota,d\nO,K,K ota,e\n", true)
	f.Add("code,parent,name_hi,name_en\n\"A\nB\",,\"x\"\"y\",z\n", true)
	f.Add("code,parent\n", true)
	f.Add("Code, PARENT ,Name_EN,name_hi,,\nA,,a,b,,\n,,,,,\nB,A,c,d\nC,,e,f,,g\n", true)
	f.Add("code,parent,name_en,name_hi\nA,,Alpha,\nB,A,Beta, \nC,A,Gamma\n", false)
	f.Add("code,parent,name_en,name_hi\nA,,Alpha,\nB,A,Beta,ब\n", false)
	f.Add("code,parent,name_en,name_hi\nA,,\aAlpha,\u202eअ\nB\u2067,A,\x1b,ब\n", true)
	f.Add("code,parent,name_en,name_hi\nA,,\""+strings.Repeat("a", 101)+"\",\u2069\n", true)
	f.Fuzz(func(t *testing.T, in string, hindi bool) {
		langs := []string{"en"}
		if hindi {
			langs = append(langs, "hi")
		}
		regions, err := pledge.ParseRegionsCSV(strings.NewReader(in), langs)
		if err != nil {
			var rerr *pledge.RegionsCSVError
			if !errors.As(err, &rerr) || len(rerr.Problems) == 0 {
				t.Fatalf("err = %v, want a *RegionsCSVError with problems", err)
			}
			return
		}
		c := pledge.Campaign{Slug: "fuzz", Languages: langs,
			Title: pledge.Text{"en": "t", "hi": "t"}, Pledge: pledge.Text{"en": "p", "hi": "p"},
			Regions: regions, Email: pledge.EmailNone}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed regions %+v do not validate: %v", regions, err)
		}
		for i, r := range regions {
			for _, o := range regions[:i] {
				if strings.EqualFold(o.Code, r.Code) {
					t.Fatalf("codes %q and %q, alike but for case, are both accepted", o.Code, r.Code)
				}
				for _, l := range langs {
					if o.Parent == r.Parent && strings.EqualFold(strings.Join(strings.Fields(o.Name[l]), " "), strings.Join(strings.Fields(r.Name[l]), " ")) {
						t.Fatalf("regions %s and %s under %q are both accepted, named %q and %q in %s", o.Code, r.Code, r.Parent, o.Name[l], r.Name[l], l)
					}
				}
			}
			if len(r.Name) != len(langs) {
				t.Fatalf("region %s is named in %v, want %v", r.Code, slices.Sorted(maps.Keys(r.Name)), langs)
			}
			for _, l := range langs {
				if r.Name[l] == "" {
					t.Fatalf("region %s has no name in %s", r.Code, l)
				}
			}
		}
	})
}

func TestLeavesLost(t *testing.T) {
	r := func(code, parent string) pledge.Region {
		return pledge.Region{Code: code, Parent: parent, Name: pledge.Text{"en": code}}
	}
	before := []pledge.Region{r("S", ""), r("A", "S"), r("B", "S")}
	for _, tc := range []struct {
		name  string
		after []pledge.Region
		want  bool
	}{
		{"unchanged", before, false},
		{"renamed", []pledge.Region{r("S", ""), {Code: "A", Parent: "S", Name: pledge.Text{"en": "Alpha"}}, r("B", "S")}, false},
		{"leaf added", []pledge.Region{r("S", ""), r("A", "S"), r("B", "S"), r("C", "S")}, false},
		{"leaf moved", []pledge.Region{r("S", ""), r("T", ""), r("A", "S"), r("B", "T")}, false},
		{"leaf removed", []pledge.Region{r("S", ""), r("A", "S")}, true},
		{"leaf made a parent", []pledge.Region{r("S", ""), r("A", "S"), r("B", "S"), r("B1", "B")}, true},
		{"parent removed, its leaves kept", []pledge.Region{r("A", ""), r("B", "")}, false},
		{"all removed", nil, true},
	} {
		if got := pledge.LeavesLost(before, tc.after); got != tc.want {
			t.Errorf("%s: LeavesLost = %v, want %v", tc.name, got, tc.want)
		}
	}
}
