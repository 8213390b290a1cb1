package certificate

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
)

//go:embed fonts/*.ttf
var fontFiles embed.FS

// scriptFonts names the font files of each script the certificate can
// write, regular and bold: Latin (with Greek and Cyrillic) and the scripts
// of India's scheduled languages (Arabic right to left; Ol Chiki for
// Santali, Meetei Mayek for Manipuri), since a citizen may write their name
// in any of them. Another script needs its two Noto files under fonts/ and
// one line here. The first entry is the fallback for characters of no
// particular script (digits, punctuation).
var scriptFonts = []struct {
	script        language.Script
	regular, bold string
}{
	{language.Latin, "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"},
	{language.Devanagari, "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"},
	{language.Bengali, "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"},
	{language.Gujarati, "NotoSansGujarati-Regular.ttf", "NotoSansGujarati-Bold.ttf"},
	{language.Gurmukhi, "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf"},
	{language.Kannada, "NotoSansKannada-Regular.ttf", "NotoSansKannada-Bold.ttf"},
	{language.Malayalam, "NotoSansMalayalam-Regular.ttf", "NotoSansMalayalam-Bold.ttf"},
	{language.Oriya, "NotoSansOriya-Regular.ttf", "NotoSansOriya-Bold.ttf"},
	{language.Tamil, "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf"},
	{language.Telugu, "NotoSansTelugu-Regular.ttf", "NotoSansTelugu-Bold.ttf"},
	{language.Arabic, "NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf"},               // Urdu, Kashmiri, Sindhi: right to left
	{language.Ol_Chiki, "NotoSansOlChiki-Regular.ttf", "NotoSansOlChiki-Bold.ttf"},             // Santali
	{language.Meetei_Mayek, "NotoSansMeeteiMayek-Regular.ttf", "NotoSansMeeteiMayek-Bold.ttf"}, // Manipuri
}

// fontSet is the parsed fonts, shared read-only by every render.
type fontSet struct {
	scripts []language.Script
	regular []*font.Font // in the order of scripts
	bold    []*font.Font
}

func loadFonts() (*fontSet, error) {
	fs := &fontSet{}
	for _, sf := range scriptFonts {
		reg, err := parseFont(sf.regular)
		if err != nil {
			return nil, err
		}
		bold, err := parseFont(sf.bold)
		if err != nil {
			return nil, err
		}
		fs.scripts = append(fs.scripts, sf.script)
		fs.regular = append(fs.regular, reg)
		fs.bold = append(fs.bold, bold)
	}
	return fs, nil
}

func parseFont(name string) (*font.Font, error) {
	b, err := fontFiles.ReadFile("fonts/" + name)
	if err != nil {
		return nil, fmt.Errorf("certificate: font %s: %w", name, err)
	}
	ld, err := font.ParseTTF(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("certificate: font %s: %w", name, err)
	}
	return ld.Font, nil
}

// faces are one render's faces over the shared fonts (a font.Face keeps
// caches and is not for concurrent use; a font.Font is).
type faces struct {
	set     *fontSet
	regular []*font.Face
	bold    []*font.Face
}

func (fs *fontSet) faces() *faces {
	f := &faces{set: fs}
	for i := range fs.scripts {
		f.regular = append(f.regular, font.NewFace(fs.regular[i]))
		f.bold = append(f.bold, font.NewFace(fs.bold[i]))
	}
	return f
}

// pick returns the index of the font for rune r, given the script of the
// run it continues (prefer): the font of r's own script if there is one,
// else the preferred one if it has the glyph, else the first that has it,
// else the fallback (which draws .notdef).
func (f *faces) pick(r rune, prefer int) int {
	s := language.LookupScript(r)
	for i, fs := range f.set.scripts {
		if fs == s {
			return i
		}
	}
	if prefer >= 0 {
		if _, ok := f.set.regular[prefer].NominalGlyph(r); ok {
			return prefer
		}
	}
	for i, ft := range f.set.regular {
		if _, ok := ft.NominalGlyph(r); ok {
			return i
		}
	}
	return 0
}
