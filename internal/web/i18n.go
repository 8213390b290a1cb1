package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed i18n/*.json
var catalogueFiles embed.FS

// catalogue holds the UI strings of every supported language.
type catalogue struct {
	langs    []string                     // in order of preference, "en" first
	strings  map[string]map[string]string // lang -> key -> text
	printers map[string]*message.Printer  // number formatting per language
}

func loadCatalogue() (*catalogue, error) {
	c := &catalogue{strings: map[string]map[string]string{}, printers: map[string]*message.Printer{}}
	for _, lang := range []string{"en", "hi"} {
		b, err := catalogueFiles.ReadFile(path.Join("i18n", lang+".json"))
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		c.langs = append(c.langs, lang)
		c.strings[lang] = m
		// Indian digit grouping (12,34,567) for both languages.
		c.printers[lang] = message.NewPrinter(language.MustParse(lang + "-IN"))
	}
	for key := range c.strings["en"] {
		for _, lang := range c.langs {
			if _, ok := c.strings[lang][key]; !ok {
				return nil, fmt.Errorf("catalogue %s lacks %q", lang, key)
			}
		}
	}
	return c, nil
}

// T returns the text of key in lang, falling back to English and then to the key.
func (c *catalogue) T(lang, key string) string {
	if s, ok := c.strings[lang][key]; ok {
		return s
	}
	if s, ok := c.strings["en"][key]; ok {
		return s
	}
	return key
}

// Number formats n with the grouping of lang.
func (c *catalogue) Number(lang string, n int64) string {
	p, ok := c.printers[lang]
	if !ok {
		p = c.printers["en"]
	}
	return p.Sprintf("%d", n)
}

// pickLang chooses the language of a response among offered: an explicit
// ?lang= wins, then the Accept-Language header, then the first offered.
// explicit reports whether ?lang= decided, which makes the answer cacheable
// without Vary.
func pickLang(r *http.Request, offered []string) (lang string, explicit bool) {
	if q := r.URL.Query().Get("lang"); q != "" {
		for _, l := range offered {
			if l == q {
				return l, true
			}
		}
	}
	if len(offered) == 0 {
		return "en", false
	}
	accept := r.Header.Get("Accept-Language")
	if accept == "" || len(accept) > 512 {
		return offered[0], false
	}
	tags := make([]language.Tag, len(offered))
	for i, l := range offered {
		tags[i] = language.Make(l)
	}
	desired, _, err := language.ParseAcceptLanguage(accept)
	if err != nil {
		return offered[0], false
	}
	_, idx, conf := language.NewMatcher(tags).Match(desired...)
	if conf == language.No {
		return offered[0], false
	}
	return offered[idx], false
}

// langLinks are the entries of the visible language switch.
type langLink struct {
	Lang, Name, Href string
	Current          bool
}

// links are the language switch of the page at path (escaped as in a URL).
// A path a browser would read as another site's ("//host", "/\host") is
// replaced by the home page's: a page answering for any path, as the 404
// page does, must not link off the site.
func (c *catalogue) links(path string, offered []string, current string) []langLink {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
		path = "/"
	}
	out := make([]langLink, 0, len(offered))
	for _, l := range offered {
		// Only ?lang= is kept: pages are cached per language, not per query.
		out = append(out, langLink{Lang: l, Name: c.T(l, "lang_name"), Href: path + "?lang=" + l, Current: l == current})
	}
	return out
}
