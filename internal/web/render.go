package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"unicode"
)

//go:embed templates/*.html
var templateFiles embed.FS

func parseTemplates() (map[string]*template.Template, error) {
	out := make(map[string]*template.Template)
	for _, name := range []string{"index", "campaign", "thanks", "certificate", "error",
		"pending", "confirm", "withdraw", "message", "verify"} {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// pageData is what every template gets: the language, the switch, the
// catalogue, and the page's own Data.
type pageData struct {
	Lang  string
	Title string
	Langs []langLink
	Data  any
	cat   *catalogue
}

// T translates key into the page's language.
func (p pageData) T(key string) string { return p.cat.T(p.Lang, key) }

// Masked is a name masked by pledge.MaskName ("R*** K***") as HTML whose
// stars a screen reader skips: it says "R K", and the page's hint says
// that names are partly hidden, rather than "R star star star".
func (p pageData) Masked(name string) template.HTML {
	parts := strings.Split(name, "***")
	var b strings.Builder
	for i, part := range parts {
		b.WriteString(template.HTMLEscapeString(part))
		if i < len(parts)-1 {
			b.WriteString(`<span aria-hidden="true">***</span>`)
		}
	}
	return template.HTML(b.String()) // each part escaped above
}

// LangOf returns the language of text's script where it differs from the
// page's, for a lang attribute: a name in Devanagari on an English page is
// read by a screen reader in a Hindi voice, a name in Latin letters on a
// Hindi page in an English one, a Bengali name in a Bengali one. The first
// letter's script decides. Empty: the page's own, or not known.
func (p pageData) LangOf(text string) string {
	// For the scripts several of India's languages share, the one most
	// write in it.
	scriptLangs := [...]struct {
		script *unicode.RangeTable
		lang   string
	}{
		{unicode.Devanagari, "hi"}, {unicode.Latin, "en"}, {unicode.Bengali, "bn"}, {unicode.Gurmukhi, "pa"},
		{unicode.Gujarati, "gu"}, {unicode.Oriya, "or"}, {unicode.Tamil, "ta"}, {unicode.Telugu, "te"},
		{unicode.Kannada, "kn"}, {unicode.Malayalam, "ml"}, {unicode.Arabic, "ur"}, {unicode.Ol_Chiki, "sat"},
		{unicode.Meetei_Mayek, "mni"},
	}
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		for _, s := range scriptLangs {
			if unicode.Is(s.script, r) {
				if s.lang == p.Lang {
					return ""
				}
				return s.lang
			}
		}
		return ""
	}
	return ""
}

// Count writes the count n (already formatted) in the words of catalogue
// key, whose %s marks where the number goes in the page's language ("12
// pledges so far", "अब तक 12 संकल्प"), the number in bold.
func (p pageData) Count(key, n string) template.HTML {
	before, after, _ := strings.Cut(p.T(key), "%s")
	return template.HTML(template.HTMLEscapeString(before) + "<strong>" + template.HTMLEscapeString(n) + "</strong>" +
		template.HTMLEscapeString(after))
}

// messageView is a page of one heading and one paragraph, both catalogue
// keys, with a link back to the campaign when Slug is set.
type messageView struct {
	Heading, Body, Slug string
}

func (s *Server) newPage(r *http.Request, lang string, offered []string, title string, data any) pageData {
	return s.newPageAt(r.URL.EscapedPath(), lang, offered, title, data)
}

// newPageAt is newPage for an answer whose language switch leads to
// another path: the page a POST answers for.
func (s *Server) newPageAt(path, lang string, offered []string, title string, data any) pageData {
	return pageData{Lang: lang, Title: title, Langs: s.cat.links(path, offered, lang), Data: data, cat: s.cat}
}

// renderBytes executes template name into a buffer.
func (s *Server) renderBytes(name string, p pageData) ([]byte, error) {
	var buf bytes.Buffer
	if err := s.tmpl[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// render writes template name with status; pages with personal data are
// never stored by caches.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p pageData) {
	b, err := s.renderBytes(name, p)
	if err != nil {
		s.log.ErrorContext(r.Context(), "render failed", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	if varyGzip(h, b) {
		b = s.gzipFor(h, r, b)
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// gzipMin is the smallest page worth compressing: on 2G (about 50 kB/s)
// half of a 6 kB page is a tenth of a second, where a packet's worth is not.
const gzipMin = 1400

// varyGzip reports whether page b is big enough to be sent gzipped to
// clients that accept it, and then adds Accept-Encoding to h's Vary.
func varyGzip(h http.Header, b []byte) bool {
	if len(b) < gzipMin {
		return false
	}
	addVary(h, "Accept-Encoding")
	return true
}

// gzipFor returns page b gzipped, setting h's Content-Encoding, if r
// accepts gzip; otherwise b.
func (s *Server) gzipFor(h http.Header, r *http.Request, b []byte) []byte {
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return b
	}
	h.Set("Content-Encoding", "gzip")
	return s.gzip(b)
}

// gzip compresses a rendered page, quickly: pages are a few kB, made for
// one request (the campaign page, made once, is compressed harder).
func (s *Server) gzip(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := s.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&out, gzip.BestSpeed)
	} else {
		zw.Reset(&out)
	}
	_, _ = zw.Write(b)
	_ = zw.Close()
	s.gzips.Put(zw)
	return out.Bytes()
}
