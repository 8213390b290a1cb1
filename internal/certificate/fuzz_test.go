package certificate

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// FuzzShapeName feeds any string, valid UTF-8 or not, through the name's
// fitting and shaping and through a whole render.
func FuzzShapeName(f *testing.F) {
	for _, seed := range []string{
		"", " ", "Ravi", "क्ष", "अर्जुन", "किशोर", "प्रिया", "श्री", "द्वारिका", "हृदय",
		"ज\u093cोया", "\u095bोया", "क्\u200dष", "क्\u200cष", "\u200d", "\u200c\u200d",
		"Ravi रवि Kumar", "श्रीमती Anjali Sharma", "Dr. अमित (Amit) 2nd",
		longLatin, longDeva, longMixed, strings.Repeat("W", 100),
		"ि", "्", "़ि्", "क" + strings.Repeat("\u0901\u093c\u094d", 30), // marks with nothing or too much under them
		"Jose\u0301", "e" + strings.Repeat("\u0301", 50),
		"\xff", "\xfe\xff", "क\x80ष", "Ravi\xc3", string([]byte{0xed, 0xa0, 0x80}), // invalid UTF-8, a surrogate
		"\x00", "\t\n\r", "\u202eRavi", "محمد", "عمران Khan", "Imran (عمران) 2", "خان 12:30", "李小龍", "😀👍🏽", "\U0010ffff", "\ufffd",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 4<<10 { // names are 100 characters at most
			t.Skip()
		}
		sh := newTestShaper(t)
		runes := []rune(name)
		for _, size := range []Size{Full, Share} {
			k := size.scale()
			l := fit(sh, name, "hi", 84*k, nameMin*k, textWidth*k, true)
			checkLine(t, name, runes, l)
			if l.size < nameMin*k || l.size > 84*k {
				t.Errorf("fit(%q) size %v outside [%v, %v]", name, l.size, nameMin*k, 84*k)
			}
			checkLine(t, name, runes, sh.shape(runes, "hi", 30*k, false))
			// On the certificate: one line or two, each within the text
			// column, none smaller than a name may be.
			lines, f := nameLines(sh, Data{Name: name, Lang: "hi"}, 84*k, nameMin*k, textWidth*k)
			if len(lines) < 1 || len(lines) > 2 || f <= 0 || f > 1 {
				t.Fatalf("nameLines(%q) at %s: %d lines at %v", name, size, len(lines), f)
			}
			for _, l := range lines {
				// Up to the longest name the form takes, the lines fit the
				// column; longer, the smallest size may still not.
				if l.size < nameMin*k*(1-1e-9) || len(runes) <= pledge.MaxNameLen && l.width > textWidth*k+1e-6 {
					t.Errorf("nameLines(%q) at %s: a line of %v px, %v wide", name, size, l.size, l.width)
				}
			}
		}
		// Runs cover the text exactly, in order, with a font each.
		at := 0
		for _, r := range sh.runs(runes) {
			if r.start != at || r.end <= r.start || r.font < 0 || r.font >= len(scriptFonts) {
				t.Fatalf("runs(%q): bad run %+v at %d", name, r, at)
			}
			at = r.end
		}
		if at != len(runes) {
			t.Fatalf("runs(%q) cover %d of %d runes", name, at, len(runes))
		}
		// Segments, in display order, cover every rune once.
		covered := make([]bool, len(runes))
		for _, sg := range sh.segments(runes, direction(runes)) {
			if sg.end <= sg.start || sg.level < 0 || sg.level > 2 {
				t.Fatalf("segments(%q): bad segment %+v", name, sg)
			}
			for i := sg.start; i < sg.end; i++ {
				if covered[i] {
					t.Fatalf("segments(%q): rune %d twice", name, i)
				}
				covered[i] = true
			}
		}
		if slices.Contains(covered, false) {
			t.Fatalf("segments(%q) miss a rune", name)
		}

		d := Data{Lang: "hi", Name: name} // the name alone: faster fuzzing
		img, err := render(sh, d, Share)
		if err != nil {
			t.Fatalf("render(Name %q): %v", name, err)
		}
		if w, h := Share.Dimensions(); img.Bounds().Dx() != w || img.Bounds().Dy() != h {
			t.Fatalf("render(Name %q): %v", name, img.Bounds())
		}
		if k := Key(d, Share); len(k) != 32 || k != Key(d, Share) {
			t.Fatalf("Key(Name %q) = %q, not 32 stable hex digits", name, k)
		}
	})
}

func checkLine(t *testing.T, name string, runes []rune, l line) {
	t.Helper()
	if math.IsNaN(l.width) || math.IsInf(l.width, 0) || l.width < 0 {
		t.Fatalf("shape(%q): width %v", name, l.width)
	}
	if len(runes) > 0 && len(l.glyphs) == 0 {
		t.Fatalf("shape(%q): no glyphs for %d runes", name, len(runes))
	}
	for i, g := range l.glyphs {
		if math.IsNaN(g.x) || math.IsInf(g.x, 0) || math.IsNaN(g.y) || math.IsInf(g.y, 0) {
			t.Fatalf("shape(%q): glyph %d at (%v, %v)", name, i, g.x, g.y)
		}
		if g.cluster < 0 || g.cluster >= len(runes) {
			t.Fatalf("shape(%q): glyph %d cluster %d outside %d runes", name, i, g.cluster, len(runes))
		}
		if g.face == nil {
			t.Fatalf("shape(%q): glyph %d without a face", name, i)
		}
	}
}
