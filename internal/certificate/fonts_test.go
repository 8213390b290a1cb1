package certificate

import (
	"testing"
	"unicode"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Every character a name may hold (pledge.NameChar, checked where names
// are taken) has a glyph, regular and bold, in the font the certificate
// picks for it: no accepted name prints as empty boxes. A block added to
// the names' table without its fonts here fails this test.
func TestFontsDrawEveryNameChar(t *testing.T) {
	sh := newTestShaper(t)
	accepted, missing := 0, 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !pledge.NameChar(r) {
			continue
		}
		accepted++
		i := sh.faces.pick(r, -1)
		_, reg := sh.faces.set.regular[i].NominalGlyph(r)
		_, bold := sh.faces.set.bold[i].NominalGlyph(r)
		if !reg || !bold {
			if missing++; missing <= 20 {
				t.Errorf("%U %q is accepted in names, but %s (font %d) lacks it (regular %v, bold %v)",
					r, r, scriptFonts[i].regular, i, reg, bold)
			}
		}
	}
	if missing > 20 {
		t.Errorf("and %d more", missing-20)
	}
	if accepted < 2000 {
		t.Errorf("only %d characters accepted in names", accepted)
	}
}

// Names in every script a name may be written in, with their punctuation,
// are shaped without a .notdef glyph; emoji, which names may not hold,
// would be.
func TestShapeAcceptedNamesNoNotdef(t *testing.T) {
	sh := newTestShaper(t)
	for _, name := range []string{
		"Ravi Kumar (Jr.)", "O’Brien-D`Souza", "Nguyễn Thị Minh Khai", "Σωκράτης", "Юрий Гагарин",
		"श्री। राम", "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ", "ꯃꯤꯇꯩ ꯃꯌꯦꯛ", "عمران خان، کراچی", "Renée क\u0301",
	} {
		if got, err := pledge.NormaliseName(name); err != nil || got != name {
			t.Fatalf("NormaliseName(%q) = %q, %v: want it accepted as it is", name, got, err)
		}
		runes := []rune(name)
		for _, bold := range []bool{false, true} {
			for _, g := range sh.shape(runes, "en", 84, bold).glyphs {
				if g.id == 0 {
					t.Errorf("%q (bold %v): .notdef at %q", name, bold, runes[g.cluster])
				}
			}
		}
	}
	runes := []rune("Ravi 🇮🇳 Kumar 🙏")
	notdef := false
	for _, g := range sh.shape(runes, "en", 84, true).glyphs {
		notdef = notdef || g.id == 0
	}
	if !notdef {
		t.Error("an emoji is drawn: names with emoji could be accepted")
	}
	if _, err := pledge.NormaliseName(string(runes)); err == nil {
		t.Errorf("NormaliseName(%q) accepted a name the certificate draws as empty boxes", string(runes))
	}
}
