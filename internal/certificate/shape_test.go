package certificate

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"
	"github.com/google/go-cmp/cmp"
)

// Indices of scriptFonts.
const (
	latinFont      = 0
	devanagariFont = 1
)

// glyphNames describes gs as "glyph name@cluster", the glyph names being
// those of the Noto fonts' post tables.
func glyphNames(gs []glyph) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = fmt.Sprintf("%s@%d", g.face.GlyphName(g.id), g.cluster)
	}
	return out
}

// glyphIndex is the position in gs of the first glyph named name, or -1.
func glyphIndex(gs []glyph, name string) int {
	for i, g := range gs {
		if g.face.GlyphName(g.id) == name {
			return i
		}
	}
	return -1
}

// The HarfBuzz output for Devanagari names whose glyphs are not one per
// character: conjuncts, reph, pre-base matras, nukta, joiners. Glyph names
// are Noto Sans Devanagari's. Clusters are rune indices; HarfBuzz merges a
// reordered syllable into one cluster, at its first rune.
func TestShapeDevanagari(t *testing.T) {
	sh := newTestShaper(t)
	deva := sh.faces.set.regular[devanagariFont]
	nominal := func(t *testing.T, r rune) font.GID {
		t.Helper()
		g, ok := deva.NominalGlyph(r)
		if !ok {
			t.Fatalf("Noto Sans Devanagari has no glyph for %U", r)
		}
		return g
	}
	// The conjunct क्ष, for the half-form case to differ from.
	kssa := sh.shape([]rune("क्ष"), "hi", 84, false).glyphs[0].id

	tests := []struct {
		name  string
		text  string
		want  []string
		check func(t *testing.T, runes []rune, gs []glyph)
	}{
		{
			name: "conjunct kssa",
			text: "क्ष", // क ् ष
			want: []string{"kassadeva@0"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				if len(gs) >= len(runes) {
					t.Errorf("%d glyphs for %d runes: no conjunct", len(gs), len(runes))
				}
				for _, r := range runes {
					if gs[0].id == nominal(t, r) {
						t.Errorf("conjunct is the nominal glyph of %U", r)
					}
				}
			},
		},
		{
			name: "reph",
			text: "अर्जुन", // अ र ् ज ु न
			want: []string{"adeva@0", "jadeva@1", "uvowelsigndeva@1", "rephdeva@1", "nadeva@5"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				reph, ja := glyphIndex(gs, "rephdeva"), glyphIndex(gs, "jadeva")
				if reph < ja {
					t.Errorf("reph glyph at %d, before ja at %d", reph, ja)
				}
				if gs[reph].cluster != 1 || runes[1] != 'र' {
					t.Errorf("reph cluster %d, want 1 (र)", gs[reph].cluster)
				}
				if gs[reph].id == nominal(t, 'र') || gs[reph].id == nominal(t, '्') {
					t.Error("reph is the nominal glyph of र or ्")
				}
				if gs[reph].x != gs[reph+1].x {
					t.Errorf("reph advances the pen (x %.2f, next %.2f)", gs[reph].x, gs[reph+1].x)
				}
			},
		},
		{
			name:  "pre-base i matra",
			text:  "किशोर", // क ि श ो र
			want:  []string{"ivowelsign03deva@0", "kadeva@0", "shadeva@2", "ovowelsigndeva@2", "radeva@4"},
			check: checkPreBaseMatra(0, "kadeva"),
		},
		{
			name: "pre-base i matra before a conjunct",
			text: "प्रिया", // प ् र ि य ा
			want: []string{"ivowelsign03deva@0", "paradeva@0", "yadeva@4", "aavowelsigndeva@4"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				checkPreBaseMatra(0, "paradeva")(t, runes, gs)
				if gs[1].id == nominal(t, 'प') || gs[1].id == nominal(t, 'र') {
					t.Error("प्र is a nominal glyph")
				}
			},
		},
		{
			name: "shri",
			text: "श्री", // श ् र ी
			want: []string{"sharadeva@0", "iivowelsigndeva@0"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				if gs[1].id != nominal(t, 'ी') {
					t.Error("the post-base ii matra is not its nominal glyph")
				}
			},
		},
		{
			name:  "dva conjunct and i matra before ra",
			text:  "द्वारिका", // द ् व ा र ि क ा
			want:  []string{"davadeva@0", "aavowelsigndeva@0", "ivowelsign01deva@4", "radeva@4", "kadeva@6", "aavowelsigndeva@6"},
			check: checkPreBaseMatra(4, "radeva"),
		},
		{
			name: "vocalic r ligature",
			text: "हृदय", // ह ृ द य
			want: []string{"harvocalicdeva@0", "dadeva@2", "yadeva@3"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				if gs[0].id == nominal(t, 'ह') {
					t.Error("हृ is the nominal glyph of ह")
				}
			},
		},
		{
			name: "nukta, decomposed (as NFC leaves it)",
			text: "ज\u093cोया", // ज ़ ो य ा
			want: []string{"zadeva@0", "ovowelsigndeva@0", "yadeva@3", "aavowelsigndeva@3"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				if gs[0].id == nominal(t, 'ज') {
					t.Error("ज़ is the nominal glyph of ज")
				}
				if gs[0].id != nominal(t, '\u095b') {
					t.Error("ज+़ is not the glyph of the precomposed ज़ (U+095B)")
				}
			},
		},
		{
			name: "nukta, precomposed U+095B",
			text: "\u095bोया",
			want: []string{"zadeva@0", "ovowelsigndeva@0", "yadeva@2", "aavowelsigndeva@2"},
		},
		{
			name: "ZWJ gives the half form",
			text: "क्\u200dष", // क ् ZWJ ष
			// HarfBuzz hides the joiner as a zero-width space glyph.
			want: []string{"kaprehalfdeva@0", "space@0", "ssadeva@3"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				if gs[0].id == kssa || gs[0].id == nominal(t, 'क') {
					t.Error("क्+ZWJ+ष drew the conjunct or a full क, not the half form")
				}
				if gs[1].x != gs[2].x {
					t.Errorf("the joiner advances the pen (x %.2f, next %.2f)", gs[1].x, gs[2].x)
				}
			},
		},
		{
			name: "ZWNJ gives an explicit virama",
			text: "क्\u200cष", // क ् ZWNJ ष
			want: []string{"kadeva@0", "viramadeva@0", "space@2", "ssadeva@3"},
			check: func(t *testing.T, runes []rune, gs []glyph) {
				for i, r := range []rune{'क', '्'} {
					if gs[i].id != nominal(t, r) {
						t.Errorf("glyph %d is not the nominal glyph of %U", i, r)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		for _, bold := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bold=%v", tt.name, bold), func(t *testing.T) {
				runes := []rune(tt.text)
				l := sh.shape(runes, "hi", 84, bold)
				faceList := sh.faces.regular
				if bold {
					faceList = sh.faces.bold
				}
				got := glyphNames(l.glyphs)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("shape(%q) glyphs (-want +got):\n%s", tt.text, diff)
				}
				for i, g := range l.glyphs {
					if g.face != faceList[devanagariFont] {
						t.Errorf("glyph %d not from Noto Sans Devanagari", i)
					}
				}
				if tt.check != nil {
					tt.check(t, runes, l.glyphs)
				}
			})
		}
	}
}

// checkPreBaseMatra checks that the i matra glyph comes before the
// consonant (conjunct) glyph named base, whose cluster is at rune index at,
// and shares that cluster although its rune comes later.
func checkPreBaseMatra(at int, base string) func(t *testing.T, runes []rune, gs []glyph) {
	return func(t *testing.T, runes []rune, gs []glyph) {
		t.Helper()
		matra, cons := -1, glyphIndex(gs, base)
		for i, g := range gs {
			if strings.HasPrefix(g.face.GlyphName(g.id), "ivowelsign") {
				matra = i
				break
			}
		}
		if matra < 0 || cons < 0 {
			t.Fatalf("no i matra (%d) or %s (%d) glyph", matra, base, cons)
		}
		if matra != cons-1 {
			t.Errorf("i matra glyph at %d, want just before %s at %d", matra, base, cons)
		}
		iRune := slices.Index(runes, 'ि')
		if gs[matra].cluster != at || gs[cons].cluster != at || iRune <= at {
			t.Errorf("clusters: matra %d, %s %d; want both %d (the matra's rune is at %d)",
				gs[matra].cluster, base, gs[cons].cluster, at, iRune)
		}
		if gs[matra].x >= gs[cons].x {
			t.Errorf("i matra drawn at x %.2f, not left of %s at %.2f", gs[matra].x, base, gs[cons].x)
		}
	}
}

// Mixed-script names are cut into runs exactly where the script changes;
// characters of no script (spaces, punctuation, digits, joiners) stay with
// the run they follow when its font has them.
func TestRuns(t *testing.T) {
	sh := newTestShaper(t)
	tests := []struct {
		text string
		want []run
	}{
		{"Ravi रवि Kumar", []run{{0, 5, latinFont}, {5, 9, devanagariFont}, {9, 14, latinFont}}},
		{"श्रीमती Anjali Sharma", []run{{0, 8, devanagariFont}, {8, 21, latinFont}}},
		// "(" follows अमित and Noto Sans Devanagari has it, so it is drawn
		// from that font, while ")" comes from Noto Sans.
		{"Dr. अमित (Amit) 2nd", []run{{0, 4, latinFont}, {4, 10, devanagariFont}, {10, 19, latinFont}}},
		{" रवि", []run{{0, 1, latinFont}, {1, 4, devanagariFont}}},
		{"क्\u200dष Kumar", []run{{0, 5, devanagariFont}, {5, 10, latinFont}}},
		{"१२३ 123", []run{{0, 7, devanagariFont}}},
		{"Jose\u0301", []run{{0, 5, latinFont}}}, // a combining mark stays
		{"राम।", []run{{0, 4, devanagariFont}}},
		{"李", []run{{0, 1, latinFont}}}, // no font: the fallback (.notdef)
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, sh.runs([]rune(tt.text)), cmp.AllowUnexported(run{})); diff != "" {
			t.Errorf("runs(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

// Mixed-script names draw every character from a font that has it: no
// .notdef, and each glyph from the font of its script.
func TestShapeMixedNoNotdef(t *testing.T) {
	sh := newTestShaper(t)
	for _, name := range []string{
		"Ravi रवि Kumar",
		"श्रीमती Anjali Sharma",
		"Dr. अमित (Amit) 2nd",
		"अर्जुन O'Brien-Smith",
		"Zoë ज़ोया",
	} {
		for _, bold := range []bool{false, true} {
			runes := []rune(name)
			runs := sh.runs(runes)
			l := sh.shape(runes, "hi", 84, bold)
			faceList := sh.faces.regular
			if bold {
				faceList = sh.faces.bold
			}
			if len(l.glyphs) == 0 || l.width <= 0 {
				t.Errorf("shape(%q): %d glyphs, width %.2f", name, len(l.glyphs), l.width)
			}
			for i, g := range l.glyphs {
				if g.id == 0 {
					t.Errorf("shape(%q, bold %v): glyph %d (cluster %d, %q) is .notdef", name, bold, i, g.cluster, runes[g.cluster])
				}
				for _, r := range runs {
					if g.cluster >= r.start && g.cluster < r.end && g.face != faceList[r.font] {
						t.Errorf("shape(%q): glyph %d (cluster %d) not from its run's font %d", name, i, g.cluster, r.font)
					}
				}
			}
			if l.glyphs[0].x != 0 {
				t.Errorf("shape(%q): first glyph at x %.2f, want 0", name, l.glyphs[0].x)
			}
		}
	}
}

// A line's width is proportional to its size: text shaped at a fractional
// size (as fit makes) must be as wide as the font's advances at that size.
func TestShapeWidthProportionalToSize(t *testing.T) {
	sh := newTestShaper(t)
	for _, text := range []string{"Venkata Subramanian", "रामचन्द्र कृष्णमूर्ति"} {
		ref := sh.shape([]rune(text), "hi", 100, true)
		perPx := ref.width / 100
		for _, px := range []float64{10, 10.5, 15.43, 30, 30.86, 41.2, 84} {
			l := sh.shape([]rune(text), "hi", px, true)
			if got, want := l.width, perPx*px; math.Abs(got-want) > 0.0025*want {
				t.Errorf("%q at %.2f px: width %.2f, want %.2f (±0.25%%) as at 100 px scaled", text, px, got, want)
			}
		}
	}
}

// 100 characters is pledge.MaxNameLen.
var (
	longLatin = "Sri Venkata Lakshmi Narasimha Subramanian Ramachandran Chandrasekharan Parthasarathy Iyengar Kumaran"
	longDeva  = "श्री वेंकट लक्ष्मी नरसिंह सुब्रमण्यम रामचंद्रन चंद्रशेखरन पार्थसारथी अय्यंगार कुमार स्वामी नायडू राव"
	longMixed = "Dr. श्रीमती Anjali Sharma रामचन्द्र कृष्णमूर्ति Venkata Subramanian (सुब्रमण्यम) Iyer 2nd Rao Naidu."
)

// The name is fitted as render fits it: bold, from 84 px down to nameMin,
// within textWidth, all times the size's scale.
func TestFitName(t *testing.T) {
	sh := newTestShaper(t)
	for _, s := range []string{longLatin, longDeva, longMixed} {
		if n := len([]rune(s)); n != 100 {
			t.Fatalf("%q has %d runes, want 100", s, n)
		}
	}
	tests := []struct {
		name, text string
		shrinks    bool
	}{
		{"short", "Ravi रवि Kumar", false},
		{"medium latin", "Venkata Subramanian Ramasubramanian Lakshminarayanan Chandrasekharan", true},
		{"100 latin", longLatin, true},
		{"100 devanagari", longDeva, true},
		{"100 mixed", longMixed, true},
	}
	for _, tt := range tests {
		for _, size := range []Size{Full, Share} {
			t.Run(fmt.Sprintf("%s/size=%d", tt.name, size), func(t *testing.T) {
				k := size.scale()
				l := fit(sh, tt.text, "hi", 84*k, nameMin*k, textWidth*k, true)
				if l.width > textWidth*k {
					t.Errorf("width %.2f > textWidth %.0f (size %.2f px, min %.0f)", l.width, textWidth*k, l.size, nameMin*k)
				}
				if l.size < nameMin*k {
					t.Errorf("size %.2f px < nameMin %.0f", l.size, nameMin*k)
				}
				if !tt.shrinks && l.size != 84*k {
					t.Errorf("short name shrunk to %.2f px, want %.0f", l.size, 84*k)
				}
				if tt.shrinks && l.size >= 84*k {
					t.Errorf("long name kept %.2f px", l.size)
				}
				for _, g := range l.glyphs {
					if g.id == 0 {
						t.Errorf(".notdef at cluster %d", g.cluster)
					}
				}
			})
		}
	}
}

// A name in any of the scripts of India's scheduled languages draws without
// .notdef, in regular and bold.
func TestShapeIndianScriptsNoNotdef(t *testing.T) {
	sh := newTestShaper(t)
	for script, name := range map[string]string{
		"Bengali":   "রবীন্দ্রনাথ ঠাকুর",
		"Gujarati":  "હાર્દિક પટેલ",
		"Gurmukhi":  "ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ",
		"Kannada":   "ಮಂಜುನಾಥ ಗೌಡ",
		"Malayalam": "ശ്രീജിത്ത് മേനോൻ",
		"Oriya":     "ସୌମ୍ୟ ମହାପାତ୍ର",
		"Tamil":     "முத்துலட்சுமி ராமசாமி",
		"Telugu":    "శ్రీనివాస్ రెడ్డి",
		"Urdu":      "عمران خان",
		"Ol Chiki":  "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ", // Santali
		"Meetei":    "ꯃꯤꯇꯩ ꯃꯌꯦꯛ",    // Manipuri
		"mixed":     "Anu அனு অনু ᱢᱩᱨᱢᱩ",
	} {
		for _, bold := range []bool{false, true} {
			runes := []rune(name)
			l := sh.shape(runes, "en", 84, bold)
			if len(l.glyphs) == 0 {
				t.Errorf("%s %q: nothing shaped", script, name)
			}
			for _, g := range l.glyphs {
				if g.id == 0 {
					t.Errorf("%s %q (bold %v): .notdef at cluster %d (%q)", script, name, bold, g.cluster, runes[g.cluster])
					break
				}
			}
		}
	}
}

// A name in Arabic script is shaped right to left: its glyphs come back in
// drawing order, the first letter's at the right end.
func TestShapeArabicRightToLeft(t *testing.T) {
	sh := newTestShaper(t)
	runes := []rune("عمران")
	l := sh.shape(runes, "en", 84, false)
	if len(l.glyphs) < 2 {
		t.Fatalf("%d glyphs", len(l.glyphs))
	}
	first, last := l.glyphs[0], l.glyphs[len(l.glyphs)-1]
	if first.x != 0 || last.cluster != 0 || first.cluster <= last.cluster {
		t.Errorf("glyphs run from cluster %d at x %.1f to cluster %d at x %.1f: want the last letter leftmost, the first rightmost",
			first.cluster, first.x, last.cluster, last.x)
	}
}
