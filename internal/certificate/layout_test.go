package certificate

import (
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/go-text/typesetting/font"
	"github.com/google/go-cmp/cmp"
	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestRenderDimensions(t *testing.T) {
	sh := newTestShaper(t)
	for _, tt := range []struct {
		size Size
		w, h int
	}{{Full, 1600, 1130}, {Share, 800, 565}} {
		if w, h := tt.size.Dimensions(); w != tt.w || h != tt.h {
			t.Errorf("Size %d: Dimensions %dx%d, want %dx%d", tt.size, w, h, tt.w, tt.h)
		}
		for _, d := range []Data{sampleData(), {}} {
			img, err := render(sh, d, tt.size)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if img.Bounds() != image.Rect(0, 0, tt.w, tt.h) {
				t.Errorf("Size %d: image %v, want %dx%d", tt.size, img.Bounds(), tt.w, tt.h)
			}
		}
	}
}

// diffColumns reports the leftmost and rightmost columns where a and b
// differ, or ok false if they do not.
func diffColumns(a, b *image.RGBA) (left, right int, ok bool) {
	left, right = a.Bounds().Max.X, -1
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				left, right = min(left, x), max(right, x)
			}
		}
	}
	return left, right, right >= 0
}

// However long, the name is drawn within the text column (textWidth wide,
// centred), so it is neither cut at the edges nor drawn over the frame.
func TestRenderLongNameWithinTextColumn(t *testing.T) {
	sh := newTestShaper(t)
	for _, name := range []string{"Ravi रवि Kumar", longLatin, longDeva, longMixed} {
		for _, size := range []Size{Full, Share} {
			k := size.scale()
			blank, err := render(sh, Data{}, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := render(sh, Data{Name: name}, size)
			if err != nil {
				t.Fatal(err)
			}
			left, right, ok := diffColumns(blank, img)
			if !ok {
				t.Errorf("%q at size %d: nothing drawn", name, size)
				continue
			}
			w, _ := size.Dimensions()
			// Half a pixel of anti-aliasing either side.
			minX, maxX := int((float64(w)-textWidth*k)/2)-1, int((float64(w)+textWidth*k)/2)
			if left < minX || right > maxX {
				t.Errorf("name %.24q (%d runes) at size %d drawn over columns %d..%d, outside the text column %d..%d",
					name, len([]rune(name)), size, left, right, minX, maxX)
			}
		}
	}
}

// The pledge text, up to its five lines, stays clear of the QR code: drawn
// without one, nothing is where the QR code would be.
func TestRenderPledgeClearOfQRCode(t *testing.T) {
	sh := newTestShaper(t)
	d := sampleData()
	d.VerifyURL = ""
	d.Pledge = strings.Repeat("मैं शपथ लेता हूँ कि मैं स्वयं स्वच्छता के प्रति सजग रहूँगा और उसके लिए समय दूँगा। ", 7)
	for _, size := range []Size{Full, Share} {
		k := size.scale()
		if n := len(wrap(sh, d.Pledge, d.Lang, 30*k, 1180*k, pledgeMaxL)); n != pledgeMaxL {
			t.Fatalf("the pledge wraps to %d lines, want the most (%d)", n, pledgeMaxL)
		}
		img, err := render(sh, d, size)
		if err != nil {
			t.Fatal(err)
		}
		if n := inkIn(img, qrRect(size)); n != 0 {
			t.Errorf("size %d: the pledge's last line puts %d pixels where the QR code goes (%v)", size, n, qrRect(size))
		}
	}
}

// wrap breaks at spaces into at most maxLines lines, each within maxW; only
// the last line may shrink.
func TestWrap(t *testing.T) {
	sh := newTestShaper(t)
	pledge := sampleData().Pledge // 872.8 px at 30 px
	for _, tt := range []struct {
		text      string
		maxW      float64
		maxLines  int
		wantLines []string
	}{
		{"", 1180, 5, nil},
		{"   ", 1180, 5, nil},
		{"शपथ", 1180, 5, []string{"शपथ"}},
		{pledge, 1180, 5, []string{pledge}},
		{pledge, 400, 5, []string{
			"मैं शपथ लेता हूँ कि मैं स्वयं स्वच्छता",
			"के प्रति सजग रहूँगा और उसके लिए",
			"समय दूँगा।",
		}},
		{"एक  दो\tतीन\nचार", 1180, 5, []string{"एक दो तीन चार"}},
	} {
		lines := wrap(sh, tt.text, "hi", 30, tt.maxW, tt.maxLines)
		if len(lines) != len(tt.wantLines) {
			t.Errorf("wrap(%.20q, %.0f px): %d lines, want %d", tt.text, tt.maxW, len(lines), len(tt.wantLines))
			continue
		}
		for i, l := range lines {
			want := sh.shape([]rune(tt.wantLines[i]), "hi", 30, false)
			if diff := cmp.Diff(glyphIDs(want), glyphIDs(l)); diff != "" || l.width != want.width {
				t.Errorf("wrap(%.20q, %.0f px): line %d is not %q (width %.2f, want %.2f):\n%s",
					tt.text, tt.maxW, i, tt.wantLines[i], l.width, want.width, diff)
			}
			if l.width > tt.maxW {
				t.Errorf("wrap(%.20q, %.0f px): line %d is %.2f px wide", tt.text, tt.maxW, i, l.width)
			}
			if l.size != 30 {
				t.Errorf("wrap(%.20q, %.0f px): line %d shrunk to %.2f px", tt.text, tt.maxW, i, l.size)
			}
		}
	}
}

func glyphIDs(l line) []font.GID {
	ids := make([]font.GID, len(l.glyphs))
	for i, g := range l.glyphs {
		ids[i] = g.id
	}
	return ids
}

// wrapByShaping is wrap as it was before paragraphs were measured once:
// every candidate line shaped to see whether it fits.
func wrapByShaping(sh *shaper, text, lang string, px, maxW float64, maxLines int) []line {
	base := direction([]rune(text))
	words := strings.Fields(text)
	var lines []line
	cur := ""
	for i, word := range words {
		try := strings.TrimSpace(cur + " " + word)
		if cur != "" && sh.shapeIn([]rune(try), base, lang, px, false).width > maxW && len(lines) < maxLines-1 {
			lines = append(lines, sh.shapeIn([]rune(cur), base, lang, px, false))
			cur = word
		} else {
			cur = try
		}
		if i == len(words)-1 {
			lines = append(lines, fitIn(sh, []rune(cur), base, lang, px, 0, maxW, false))
		}
	}
	return lines
}

// Summing the widths of words measured once breaks lines exactly where
// shaping every candidate line does, in every script and direction.
func TestWrapBreaksAsShapingEachLine(t *testing.T) {
	sh := newTestShaper(t)
	for _, text := range []string{
		"हम, भारत के नागरिक, लोकतंत्र में अपनी पूर्ण आस्था रखते हुए यह शपथ लेते हैं कि हम अपने देश की लोकतांत्रिक परम्पराओं की मर्यादा को बनाए रखेंगे तथा स्वतंत्र, निष्पक्ष एवं शांतिपूर्ण निर्वाचन की गरिमा को अक्षुण्ण रखते हुए।",
		"I pledge to keep myself and my surroundings clean, and to give 100 hours a year (two hours a week) to it: from 2nd October.",
		"ووٹ " + strings.Repeat("EVM عمران (12) ", 8),
		"Dr. अमित (Amit) 2nd “quoted” — 12:30 ଓଡ଼ିଆ தமிழ் తెలుగు ಕನ್ನಡ বাংলা ਪੰਜਾਬੀ ગુજરાતી മലയാളം",
	} {
		for _, px := range []float64{15, 30} {
			for _, maxW := range []float64{310, 620, 1180} {
				want := wrapByShaping(sh, text, "hi", px, maxW, 20)
				got := wrap(sh, text, "hi", px, maxW, 20)
				if len(got) != len(want) {
					t.Errorf("%.16q at %v px in %v: %d lines, want %d", text, px, maxW, len(got), len(want))
					continue
				}
				for i := range got {
					if !slices.Equal(glyphIDs(got[i]), glyphIDs(want[i])) || got[i].width != want[i].width {
						t.Errorf("%.16q at %v px in %v: line %d differs (%.1f px wide, want %.1f)", text, px, maxW, i, got[i].width, want[i].width)
					}
				}
			}
		}
	}
}

// A word wider than the column on its own (a long compound, a web
// address) shrinks its line to the column instead of running past it,
// wherever it falls.
func TestWrapLongWordShrinksItsLine(t *testing.T) {
	sh := newTestShaper(t)
	text := "Visit https://voters.eci.gov.in/registration-of-new-electors today and register"
	lines := wrap(sh, text, "en", 30, 300, 10)
	if len(lines) < 3 {
		t.Fatalf("%d lines, want the address on a line between others", len(lines))
	}
	shrunk := 0
	for i, l := range lines {
		if l.width > 300 {
			t.Errorf("line %d is %.1f px wide, over the 300 px column", i, l.width)
		}
		if l.size < 30 {
			shrunk++
		}
	}
	if shrunk != 1 {
		t.Errorf("%d lines shrunk, want only the address's", shrunk)
	}
}

// A pledge longer than its five lines still stays within the text column.
func TestWrapLongPledgeWithinWidth(t *testing.T) {
	sh := newTestShaper(t)
	long := strings.Repeat(sampleData().Pledge+" ", 10)
	lines := wrap(sh, long, "hi", 30, 1180, pledgeMaxL)
	if len(lines) != pledgeMaxL {
		t.Fatalf("%d lines, want %d", len(lines), pledgeMaxL)
	}
	last := lines[len(lines)-1]
	if last.width > 1180 {
		t.Errorf("last line is %.2f px wide at %.2f px, over the 1180 px column", last.width, last.size)
	}
}

// A signatory of the most characters a campaign allows (200) stays in its
// column, left of the QR code and its label, and above the inner frame.
func TestRenderLongSignatoryInItsColumn(t *testing.T) {
	sh := newTestShaper(t)
	long := []rune(strings.Repeat("ज़िला निर्वाचन अधिकारी एवं कलेक्टर, बिलासपुर, छत्तीसगढ़ ", 5))
	for _, sig := range []string{string(long[:200]), strings.Repeat("District Election Officer ", 8)[:200]} {
		for _, size := range []Size{Full, Share} {
			k := size.scale()
			blank, err := render(sh, Data{}, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := render(sh, Data{Signatory: sig}, size)
			if err != nil {
				t.Fatal(err)
			}
			left, right, ok := diffColumns(blank, img)
			if !ok {
				t.Fatalf("%.20q at size %d: nothing drawn", sig, size)
			}
			if maxX := int((150+signatoryW)*k) + 1; left < int(150*k)-1 || right > maxX {
				t.Errorf("signatory %.20q at size %d drawn over columns %d..%d, outside %d..%d", sig, size, left, right, int(150*k), maxX)
			}
			if top, bottom := diffRows(blank, img); bottom > int(1078*k) || top < int(960*k) {
				t.Errorf("signatory %.20q at size %d drawn over rows %d..%d, outside %d..%d", sig, size, top, bottom, int(960*k), int(1078*k))
			}
		}
	}
}

// A long pledge (a thousand characters: some official pledges are) takes
// more, smaller lines, none squeezed below half size, and stays clear of the
// QR code.
func TestRenderLongPledge(t *testing.T) {
	sh := newTestShaper(t)
	d := sampleData()
	d.VerifyURL = ""
	d.Pledge = string([]rune(strings.Repeat(d.Pledge+" ", 20))[:1000])
	for _, size := range []Size{Full, Share} {
		k := size.scale()
		lines, f := wrapShrinking(sh, sh.measure(d.Pledge, d.Lang, false), 30*k, 1180*k, pledgeMaxL, pledgeMinF, 0)
		for i, l := range lines {
			if l.size < 15*k-1e-9 || l.width > 1180*k {
				t.Errorf("size %d: line %d of %d at %.1f px (factor %.1f), %.0f px wide", size, i, len(lines), l.size, f, l.width)
			}
		}
		img, err := render(sh, d, size)
		if err != nil {
			t.Fatal(err)
		}
		if n := inkIn(img, qrRect(size)); n != 0 {
			t.Errorf("size %d: the pledge puts %d pixels where the QR code goes", size, n)
		}
	}
}

// diffRows reports the top and bottom rows where a and b differ.
func diffRows(a, b *image.RGBA) (top, bottom int) {
	top, bottom = a.Bounds().Max.Y, -1
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				top, bottom = min(top, y), max(bottom, y)
				break
			}
		}
	}
	return top, bottom
}

// cut repeats s and cuts it to n characters.
func cut(s string, n int) string {
	r := []rune(strings.Repeat(s, n/len([]rune(s))+1))
	return string(r[:n])
}

// longest is a certificate with every text a campaign sets at the most
// characters the console allows and a name of the most a form takes: in
// English in capitals (the widest Latin) or in Hindi.
func longest(lang string) Data {
	d := Data{
		Lang:        "en",
		Heading:     strings.ToUpper(cut("Certificate of participation in the voter pledge ", pledge.MaxCertificateTitle)),
		Campaign:    strings.ToUpper(cut("Systematic Voters' Education and Electoral Participation ", pledge.MaxTitle)),
		Certifies:   "This is to certify that",
		Name:        cut("Gopal Yogesh Pappu Jyoti Qureshi ", pledge.MaxNameLen),
		TookPledge:  "has taken the pledge",
		Pledge:      cut("We, the citizens of India, having abiding faith in democracy, hereby pledge to uphold the democratic traditions of our country and the dignity of free, fair and peaceful elections, and to vote in every election fearlessly. ", pledge.MaxPledgeText),
		NumberLabel: "Pledge no.",
		Number:      "123,456,789",
		DateLabel:   "Date",
		Date:        "15-08-2025",
		Signatory:   cut("District Election Officer and Collector, Bilaspur ", pledge.MaxSignatory),
		VerifyURL:   testVerifyURL,
		VerifyLabel: "Scan to verify",
	}
	if lang == "hi" {
		d.Lang = "hi"
		d.Heading = cut("मतदाता शपथ प्रमाणपत्र लोकसभा आम निर्वाचन ज़िला बिलासपुर ", pledge.MaxCertificateTitle)
		d.Campaign = cut("सुव्यवस्थित मतदाता शिक्षा एवं निर्वाचक सहभागिता (स्वीप) कार्यक्रम ", pledge.MaxTitle)
		d.Certifies = "यह प्रमाणित किया जाता है कि"
		d.Name = cut("श्री कृष्णमूर्ति राहुल प्रियंका द्रौपदी ", pledge.MaxNameLen)
		d.TookPledge = "ने प्रतिज्ञा ली है"
		d.Pledge = cut("हम, भारत के नागरिक, लोकतंत्र में अपनी पूर्ण आस्था रखते हुए यह शपथ लेते हैं कि हम अपने देश की लोकतांत्रिक परम्पराओं की मर्यादा को बनाए रखेंगे तथा निर्भीक होकर मतदान करेंगे। ", pledge.MaxPledgeText)
		d.NumberLabel, d.DateLabel = "प्रतिज्ञा संख्या", "दिनांक"
		d.Signatory = cut("ज़िला निर्वाचन अधिकारी एवं कलेक्टर, बिलासपुर, छत्तीसगढ़ ", pledge.MaxSignatory)
		d.VerifyLabel = "सत्यापन के लिए स्कैन करें"
	}
	return d
}

func (b inkBox) overlaps(o inkBox) bool {
	return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1
}

func (b inkBox) within(r image.Rectangle) bool {
	return b.x0 >= float64(r.Min.X) && b.x1 <= float64(r.Max.X) && b.y0 >= float64(r.Min.Y) && b.y1 <= float64(r.Max.Y)
}

func boxOf(r image.Rectangle) inkBox {
	return inkBox{float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)}
}

// checkLayout lays d out at size and checks that every line's ink is
// inside the frame and within what it may draw (so nothing of it is cut
// off), clear of the QR code, of the rules and of every other line.
func checkLayout(t *testing.T, sh *shaper, what string, d Data, size Size) page {
	t.Helper()
	pg := layOut(sh, d, size)
	in := inside(size)
	type inked struct {
		name string
		b    inkBox
	}
	var lines []inked
	for i, p := range pg.texts {
		b, ok := p.ink()
		if !ok {
			continue
		}
		name := fmt.Sprintf("%s (line %d, %.1f px at y %.0f)", p.what, i, p.l.size, p.y)
		if !b.within(in) {
			t.Errorf("%s at size %s: %s drawn over %+v, outside the frame %v", what, size, name, b, in)
		}
		if !b.within(p.clip) {
			t.Errorf("%s at size %s: %s drawn over %+v, cut off at %v", what, size, name, b, p.clip)
		}
		if pg.url != "" && b.overlaps(boxOf(pg.qr)) {
			t.Errorf("%s at size %s: %s over the QR code %v", what, size, name, pg.qr)
		}
		for _, r := range pg.bars {
			if b.overlaps(boxOf(r.r)) {
				t.Errorf("%s at size %s: %s crossed by the rule %v", what, size, name, r.r)
			}
		}
		for _, o := range lines {
			if b.overlaps(o.b) {
				t.Errorf("%s at size %s: %s overlaps %s", what, size, name, o.name)
			}
		}
		lines = append(lines, inked{name, b})
	}
	return pg
}

// Every text at the most characters the console and the form allow, in
// English and in Hindi, stays inside the frame, clear of the QR code, and
// no line overlaps another; nothing is painted over the frame or outside
// it.
func TestLayoutLongestTextsWithinFrame(t *testing.T) {
	sh := newTestShaper(t)
	for _, lang := range []string{"en", "hi"} {
		d := longest(lang)
		for _, size := range []Size{Full, Share} {
			pg := checkLayout(t, sh, lang, d, size)
			seen := map[string]bool{}
			for _, p := range pg.texts {
				seen[p.what] = true
			}
			for _, what := range []string{"heading", "title", "certifies", "name", "took pledge", "pledge", "number", "date", "signatory", "verify label"} {
				if !seen[what] {
					t.Errorf("%s at size %s: no %s drawn", lang, size, what)
				}
			}
			blank, err := render(sh, Data{}, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := render(sh, d, size)
			if err != nil {
				t.Fatal(err)
			}
			in := inside(size)
			for y := range img.Bounds().Max.Y {
				for x := range img.Bounds().Max.X {
					if !image.Pt(x, y).In(in) && img.RGBAAt(x, y) != blank.RGBAAt(x, y) {
						t.Fatalf("%s at size %s: pixel (%d, %d) painted, outside the frame's inside %v", lang, size, x, y, in)
					}
				}
			}
		}
	}
}

// sveep is a campaign title as district election offices write them.
const sveep = "Systematic Voters' Education and Electoral Participation (SVEEP) pledge for every voter of District Bilaspur: vote in the General Election to the Lok Sabha 2024 without fear or inducement"

// A long title or heading wraps, up to three lines, before it shrinks,
// and not below half its size: readable on share.png too.
func TestLayoutLongTitleWraps(t *testing.T) {
	sh := newTestShaper(t)
	for _, tc := range []struct {
		what, text string
		px         float64
		set        func(*Data, string)
	}{
		{"title", sveep, 54, func(d *Data, s string) { d.Campaign = s }},
		{"title", longest("en").Campaign, 54, func(d *Data, s string) { d.Campaign = s }},
		{"title", longest("hi").Campaign, 54, func(d *Data, s string) { d.Campaign = s }},
		{"heading", longest("en").Heading, 40, func(d *Data, s string) { d.Heading = s }},
		{"heading", longest("hi").Heading, 40, func(d *Data, s string) { d.Heading = s }},
	} {
		d := sampleData()
		tc.set(&d, tc.text)
		for _, size := range []Size{Full, Share} {
			k := size.scale()
			pg := checkLayout(t, sh, tc.what, d, size)
			var lines []placed
			for _, p := range pg.texts {
				if p.what == tc.what {
					lines = append(lines, p)
				}
			}
			if len(lines) < 2 || len(lines) > 3 {
				t.Errorf("%s %.20q at size %s: %d lines, want 2 or 3", tc.what, tc.text, size, len(lines))
			}
			for i, p := range lines {
				if p.l.size < tc.px*headMinF*k-1e-9 || p.l.width > textWidth*k {
					t.Errorf("%s %.20q at size %s: line %d at %.1f px, %.0f px wide; want at least %.1f px, at most %.0f wide",
						tc.what, tc.text, size, i, p.l.size, p.l.width, tc.px*headMinF*k, textWidth*k)
				}
			}
		}
	}
	// The district's title on share.png: three lines at 70% of the size,
	// not one at a quarter.
	d := sampleData()
	d.Campaign = sveep
	for _, p := range layOut(sh, d, Share).texts {
		if p.what == "title" && p.l.size < 0.7*54*Share.scale()-1e-9 {
			t.Errorf("%.20q on share.png at %.1f px", sveep, p.l.size)
		}
	}
}

// Texts of one line each stand where they always have (under a name with
// nothing below its baseline: a descender moves the rule down, and what
// is under it); a wrapped title moves only what is below it.
func TestLayoutShortTextsInPlace(t *testing.T) {
	sh := newTestShaper(t)
	want := map[string]float64{"heading": 170, "title": 255, "certifies": 335, "name": 445, "took pledge": 530, "pledge": 595}
	d := sampleData()
	d.Name = "श्रीमती Anita Sharma"
	pg := checkLayout(t, sh, "sample", d, Full)
	for _, p := range pg.texts {
		if y, ok := want[p.what]; ok && math.Abs(p.y-y) > 1 {
			t.Errorf("%s at y %.1f, want %.0f", p.what, p.y, y)
		}
	}
	d.Campaign = sveep
	moved := checkLayout(t, sh, "wrapped title", d, Full)
	for i, p := range moved.texts {
		if p.what == "heading" && p.y != pg.texts[i].y {
			t.Errorf("the heading moved from y %.1f to %.1f under a longer title", pg.texts[i].y, p.y)
		}
		if p.what == "name" && p.y <= want["name"] {
			t.Errorf("the name at y %.1f under a title of three lines: want it lower than %.0f", p.y, want["name"])
		}
	}
}

// The rule under the name runs below the name's lowest ink, a small gap
// under it, whatever the script: vowel signs written under the letter
// (राहुल, कृष्ण, प्रिया, முருகன்), subjoined letters (Telugu, Kannada) and
// descenders (g, y, p). A name with nothing below its baseline keeps the
// rule where it always was.
func TestLayoutRuleBelowName(t *testing.T) {
	sh := newTestShaper(t)
	for _, name := range []string{
		"राहुल", "कृष्ण", "पूजा", "प्रिया", "द्रौपदी", "हृदय", "ड्रृ", "முருகன்", "ரூபா",
		"శ్రీనివాస్ రెడ్డి", "ಲಕ್ಷ್ಮೀ ಸ್ತ್ರೀ", "ਗੁਰਪ੍ਰੀਤ", "গুরু", "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ", "ꯃꯤꯇꯩ ꯃꯌꯦꯛ",
		"Gopal Yogesh Pappu", "Jyoti Qureshi", "Anil",
		cut("Gupta Yogi राहुल ", 100),
	} {
		d := sampleData()
		d.Name = name
		for _, size := range []Size{Full, Share} {
			k := size.scale()
			pg := checkLayout(t, sh, name, d, size)
			var ink inkBox
			var baseline float64
			for _, p := range pg.texts {
				if p.what == "name" {
					ink, _ = p.ink()
					baseline = p.y
				}
			}
			rule := pg.bars[0].r // the first bar is the name's
			if pg.bars[0].c != saffron || rule.Dx() < int(500*k) {
				t.Fatalf("the first bar is %v, %v: not the rule under the name", rule, pg.bars[0].c)
			}
			if gap := float64(rule.Min.Y) - ink.y1; gap < ruleGap*k-1 {
				t.Errorf("%q at size %s: the rule at y %d, %.1f px under the name's ink (down to %.1f), want %.0f",
					name, size, rule.Min.Y, gap, ink.y1, ruleGap*k)
			}
			if name == "Anil" && rule.Min.Y != int(baseline+ruleBelow*k) {
				t.Errorf("%q at size %s: the rule at y %d, want %d, %.0f px under the baseline", name, size, rule.Min.Y, int(baseline+ruleBelow*k), ruleBelow*k)
			}
		}
	}
}

// A name that stacks mark upon mark is set smaller to keep to its box,
// not drawn over the lines above it.
func TestLayoutNameWithStackedMarks(t *testing.T) {
	sh := newTestShaper(t)
	d := sampleData()
	d.Name = "Ane" + strings.Repeat("\u0301", 12) + " Rao"
	for _, size := range []Size{Full, Share} {
		pg := checkLayout(t, sh, "stacked marks", d, size)
		for _, p := range pg.texts {
			if p.what == "name" && p.l.size >= 84*size.scale() {
				t.Errorf("size %s: the name kept %.1f px", size, p.l.size)
			}
		}
	}
}

// A long name of several words takes two lines rather than shrinking to a
// thin one, on share.png too, and its lines keep clear of everything else;
// a name that fits one line at a good size keeps one, and one long word
// (which cannot wrap) shrinks as before.
func TestLayoutLongNameWraps(t *testing.T) {
	sh := newTestShaper(t)
	for _, tc := range []struct {
		name  string
		lines int
	}{
		{"Asha Verma", 1},
		{"Venkata Lakshmi Narasimha Rao", 1},
		{longLatin, 2},
		{longDeva, 2},
		{longMixed, 2},
		{strings.Repeat("W", 100), 1},
		// Marks stacked as high as a name may have them: set smaller rather
		// than cut off, in one line or two, whichever is larger.
		{strings.TrimSpace(strings.Repeat("Ä\u0301\u0301\u0301\u0301sha ", 10)), 0},
		{strings.TrimSpace(strings.Repeat("कि\u0901\u0902\u0903 ", 16)), 2},
	} {
		for _, size := range []Size{Full, Share} {
			d := longest("en")
			d.Name = tc.name
			pg := checkLayout(t, sh, tc.name, d, size)
			var names []placed
			for _, p := range pg.texts {
				if p.what == "name" {
					names = append(names, p)
				}
			}
			if tc.lines > 0 && len(names) != tc.lines {
				t.Errorf("%.20q at size %s: %d lines, want %d", tc.name, size, len(names), tc.lines)
				continue
			}
			if tc.lines == 2 && !strings.ContainsAny(tc.name, "\u0301\u0901") {
				one := fitBox(sh, tc.name, "en", 84*size.scale(), nameMin*size.scale(), textWidth*size.scale(), 1e9, 1e9)
				if min(names[0].l.size, names[1].l.size) < 1.5*one.size {
					t.Errorf("%.20q at size %s: two lines of %.1f and %.1f px, hardly larger than one of %.1f",
						tc.name, size, names[0].l.size, names[1].l.size, one.size)
				}
			}
		}
	}
}
