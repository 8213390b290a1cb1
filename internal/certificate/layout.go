package certificate

import (
	"image"
	"image/color"
)

// Size is a certificate's size in pixels.
type Size int

// The sizes served.
const (
	Full  Size = iota // 1600×1130, for printing and screens
	Share             // 800×565, for messaging apps
)

// String names s as the metrics and logs do: "full" or "share".
func (s Size) String() string {
	if s == Share {
		return "share"
	}
	return "full"
}

// Dimensions returns the width and height of s in pixels.
func (s Size) Dimensions() (w, h int) {
	if s == Share {
		return 800, 565
	}
	return 1600, 1130
}

func (s Size) scale() float64 {
	w, _ := s.Dimensions()
	return float64(w) / 1600
}

// Data is what a certificate shows, every text already in its language:
// the caller (the web layer) owns the wording.
type Data struct {
	Lang        string // BCP 47 language of the texts, e.g. "hi"
	Heading     string // e.g. "Certificate of Pledge"
	Campaign    string // the campaign's title
	Certifies   string // e.g. "This is to certify that"
	Name        string // the citizen's name, in any script or mix of scripts
	TookPledge  string // e.g. "has taken the pledge"
	Pledge      string // the pledge text
	NumberLabel string // e.g. "Pledge no."
	Number      string // formatted, e.g. "12,345"
	DateLabel   string
	Date        string
	Signatory   string
	VerifyURL   string // what the QR code says: the public verification page
	VerifyLabel string // under the QR code, e.g. "Scan to verify"
}

// Colours of the certificate.
var (
	paper   = color.RGBA{0xff, 0xfc, 0xf4, 0xff}
	ink     = color.RGBA{0x1f, 0x24, 0x2b, 0xff}
	saffron = color.RGBA{0xe8, 0x7d, 0x1e, 0xff}
	green   = color.RGBA{0x13, 0x88, 0x08, 0xff}
	muted   = color.RGBA{0x55, 0x5d, 0x66, 0xff}
)

// Layout in pixels of the full size; Share scales it.
const (
	textWidth  = 1300 // widest line of text
	nameMin    = 13   // smallest size a long name shrinks to: 100 characters fit
	pledgeW    = 1180 // the pledge's column
	pledgeMaxL = 4    // lines of pledge text at full size: more would reach the QR code
	pledgeMinF = 0.5  // a long pledge shrinks to half size, and then takes 7 lines
	signatoryW = 620  // the signatory's column, clear of the QR code and its label
	// signatoryMinF is the smallest a long signatory shrinks to (18 px of
	// 28), where it takes three lines; larger, two.
	signatoryMinF = 18.0 / 28
	signatoryRows = 1 + 2*signatoryMinF
)

// The texts from the heading down to the pledge stand one under the other
// (the stack), each in a box as tall as its lines, with gaps between
// boxes. A line's box reaches boxAscent of its size above the baseline and
// boxDescent below it: room for the letters and marks of every script as
// the fonts draw them (Latin capitals with accents reach 0.93 em above,
// Telugu and Kannada subjoined letters about half an em below; a name
// that reaches further is set smaller).
const (
	boxAscent  = 1.0
	boxDescent = 0.5

	stackTop    = 130 // where the heading's box starts
	stackTopMin = 90  // how high the stack may start when its texts need the room
	stackBottom = 748 // the pledge's box ends above: clear of the QR code (770)
	// stackMinS is the smallest the texts above the pledge are set, as a
	// part of their sizes, to leave the pledge its room.
	stackMinS = 0.6

	headPitch   = 1.35 // baseline to baseline of the heading's and the title's lines, in ems
	headMinF    = 0.5  // a long heading or title shrinks to half size, in 3 lines
	pledgePx    = 30
	pledgePitch = 46.0 / 30 // baseline to baseline of the pledge's lines, in ems
	// The rule under the name is ruleGap below its lowest ink (a vowel
	// sign under a letter: राहुल, முருகன்; a descender), and ruleBelow below
	// its baseline at least.
	ruleGap   = 8
	ruleBelow = 25
)

// placed is a shaped line on the certificate.
type placed struct {
	what string // which text it is a line of: "title", "name"…
	l    line
	x, y float64 // the left end of its baseline
	c    color.Color
	clip image.Rectangle // nothing of it is drawn outside
}

// bar is a filled rectangle: the rule under the name, the line above the
// signatory.
type bar struct {
	r image.Rectangle
	c color.Color
}

// page is a certificate laid out: every line where it is drawn.
type page struct {
	texts  []placed
	bars   []bar
	qr     image.Rectangle // where the QR code of url goes
	url    string
	bottom float64 // of what is laid out so far, in the stack
}

// inside is the area within the green inner frame at size: nothing is
// drawn over the frame.
func inside(size Size) image.Rectangle {
	w, h := size.Dimensions()
	k := size.scale()
	i, t := int(52*k), max(1, int(3*k))
	return image.Rect(i+t, i+t, w-i-t, h-i-t)
}

// box is the height of a line's box at px.
func box(px float64) float64 { return (boxAscent + boxDescent) * px }

// layOut places everything d shows at size.
func layOut(sh *shaper, d Data, size Size) page {
	k := size.scale()
	pg := page{url: d.VerifyURL, qr: image.Rect(int(1230*k), int(770*k), int(1450*k), int(990*k))}
	pg.stack(sh, d, size)
	pg.foot(sh, d, size)
	return pg
}

// stack places the texts from the heading down to the pledge. The heading
// and the campaign's title wrap as the pledge does (two lines at full
// size, three when smaller); the pledge is set as it is under one-line
// texts, in pledgeMaxL lines and smaller. When the texts above it leave it
// too little room above stackBottom, the stack starts higher, up to
// stackTopMin, and then the texts above are set smaller, 5% at a time
// down to stackMinS; only then does the pledge take fewer, smaller lines.
// Nothing runs into the QR code or off the certificate.
func (pg *page) stack(sh *shaper, d Data, size Size) {
	k := size.scale()
	heading := sh.measure(d.Heading, d.Lang, true)
	title := sh.measure(d.Campaign, d.Lang, true)
	pledge := sh.measure(d.Pledge, d.Lang, false)
	px, pitch := pledgePx*k, pledgePitch*pledgePx*k
	lines, f := wrapShrinking(sh, pledge, px, pledgeW*k, pledgeMaxL, pledgeMinF, 0)
	need := 0.0
	if n := len(lines); n > 0 {
		need = box(px*f) + float64(n-1)*pitch*f
	}
	var above page
	for step := 0; ; step++ {
		s := max(stackMinS, 1-0.05*float64(step))
		above = upper(sh, d, heading, title, size, s, stackTop*k)
		height := above.bottom - stackTop*k
		top := min(stackTop*k, max(stackTopMin*k, stackBottom*k-need-height))
		room := stackBottom*k - top - height
		if room < need-1e-9 {
			if s > stackMinS {
				continue
			}
			lines, f = wrapShrinking(sh, pledge, px, pledgeW*k, 1+(room-box(px))/pitch, pledgeMinF, 0)
		}
		if top != stackTop*k {
			above = upper(sh, d, heading, title, size, s, top)
		}
		break
	}
	pg.texts = append(pg.texts, above.texts...)
	pg.bars = append(pg.bars, above.bars...)
	y := above.bottom + boxAscent*px*f
	for i, l := range lines {
		pg.center("pledge", l, y+float64(i)*pitch*f, size, ink, inside(size))
	}
}

// upper is the texts above the pledge laid out from top, their sizes and
// the gaps between them s of the full ones; bottom is where the pledge's
// box may start. The gaps keep texts of one line where they have always
// stood at full size: the baselines of the heading at 170, the title at
// 255, the line before the name at 335, the name at 445, the line after it
// at 530 and the pledge's first at 595.
func upper(sh *shaper, d Data, heading, title *para, size Size, s, top float64) page {
	k := size.scale()
	in := inside(size)
	var pg page
	y := top
	// block wraps p below a gap, in rows and at most 3 lines; an empty
	// one keeps the room of a line.
	block := func(what string, gap float64, p *para, px, rows float64, c color.Color) {
		y += gap * k * s
		px *= k * s
		lines, f := wrapShrinking(sh, p, px, textWidth*k, rows, headMinF, 3)
		if len(lines) == 0 {
			y += box(px)
			return
		}
		px *= f
		y += boxAscent * px
		for i, l := range lines {
			if i > 0 {
				y += headPitch * px
			}
			pg.center(what, l, y, size, c, in)
		}
		y += boxDescent * px
	}
	// single fits text on one line below a gap.
	single := func(gap float64, text string, px float64, bold bool, c color.Color) (baseline float64, l line) {
		y += gap * k * s
		px *= k * s
		baseline = y + boxAscent*px
		l = fit(sh, text, d.Lang, px, nameMin*k, textWidth*k, bold)
		y = baseline + boxDescent*px
		return baseline, l
	}
	block("heading", 0, heading, 40, 2, saffron)
	block("title", 11, title, 54, 2.5, ink)
	b, l := single(23, d.Certifies, 30, false, muted)
	pg.center("certifies", l, b, size, muted, in)
	y += 11 * k * s
	px := 84 * k * s
	names, nameF := nameLines(sh, d, px, nameMin*k, textWidth*k)
	b = y + boxAscent*px*nameF
	last := b + float64(len(names)-1)*box(px*nameF)
	rule := last + ruleBelow*k*s
	if ink, ok := names[len(names)-1].ink(); ok {
		rule = max(rule, last+ink.y1+ruleGap*k*s)
	}
	w, _ := size.Dimensions()
	r := image.Rect(int(float64(w)/2-300*k*s), int(rule), int(float64(w)/2+300*k*s), int(rule+2*k)+1)
	// The name keeps to its box, above the rule, whatever marks it stacks;
	// a second line keeps below the first's.
	nameTop := b - boxAscent*px*nameF
	for i, l := range names {
		base := b + float64(i)*box(px*nameF) // the lines' boxes one under the other
		bottom := r.Min.Y
		if i < len(names)-1 {
			bottom = int(base + boxDescent*px*nameF)
		}
		pg.center("name", l, base, size, ink, image.Rect(in.Min.X, int(nameTop), in.Max.X, bottom).Intersect(in))
		nameTop = float64(bottom)
	}
	pg.bars = append(pg.bars, bar{r, saffron})
	y = float64(r.Max.Y)
	b, l = single(27, d.TookPledge, 30, false, muted)
	pg.center("took pledge", l, b, size, muted, in)
	pg.bottom = y + 20*k*s
	return pg
}

// nameWrapBelow is the part of its size under which a name of several
// words is set on two lines rather than one.
const nameWrapBelow = 0.6

// nameLines sets the name in one line, as fitBox does, unless that is
// smaller than nameWrapBelow of px and two lines (at most) give it a
// larger size: a long name of several words stays readable, on share.png
// too, rather than shrinking to a thin line. The factor is the size of
// the lines as a part of px, for their pitch.
func nameLines(sh *shaper, d Data, px, minPx, maxW float64) ([]line, float64) {
	one := fitBox(sh, d.Name, d.Lang, px, minPx, maxW, boxAscent*px, boxDescent*px)
	if one.size >= nameWrapBelow*px {
		return []line{one}, 1
	}
	p := sh.measure(d.Name, d.Lang, true)
	two, f := wrapShrinking(sh, p, px, maxW, 2, minPx/px, 2)
	// Marks stacked on the letters may reach out of the lines' boxes, as
	// fitBox keeps a line from doing: then both lines are set smaller.
	if g := inkFits(two, px*f); g < 1 && len(two) == 2 {
		size := max(minPx, px*f*g*(1-1e-9))
		two, f = wrapShrinking(sh, p, size, maxW, 2, minPx/size, 2)
		f *= size / px
	}
	if len(two) != 2 || two[1].size <= one.size || two[0].size <= one.size {
		return []line{one}, 1
	}
	return two, f
}

// inkFits is the part of their size to which lines set at px must shrink
// for their ink to stay within their boxes (boxAscent above the baseline,
// boxDescent below), or 1 if it does.
func inkFits(lines []line, px float64) float64 {
	g := 1.0
	for _, l := range lines {
		b, ok := l.ink()
		if !ok {
			continue
		}
		if -b.y0 > boxAscent*px {
			g = min(g, boxAscent*px/-b.y0)
		}
		if b.y1 > boxDescent*px {
			g = min(g, boxDescent*px/b.y1)
		}
	}
	return g
}

// fitBox fits text, bold, as fit does, and then sets it smaller, as far
// as minPx, until its ink reaches no more than asc above the baseline and
// desc below it: a name that stacks mark upon mark stays in its place.
// Ink scales with the size, so one step lands there.
func fitBox(sh *shaper, text, lang string, px, minPx, maxW, asc, desc float64) line {
	l := fit(sh, text, lang, px, minPx, maxW, true)
	b, ok := l.ink()
	if !ok || l.size <= minPx {
		return l
	}
	f := 1.0
	if -b.y0 > asc {
		f = asc / -b.y0
	}
	if b.y1 > desc {
		f = min(f, desc/b.y1)
	}
	if f < 1 {
		l = fit(sh, text, lang, max(minPx, l.size*f*(1-1e-9)), minPx, maxW, true)
	}
	return l
}

// center places l, a line of what, centred on the certificate with its
// baseline at y.
func (pg *page) center(what string, l line, y float64, size Size, c color.Color, clip image.Rectangle) {
	w, _ := size.Dimensions()
	pg.texts = append(pg.texts, placed{what: what, l: l, x: (float64(w) - l.width) / 2, y: y, c: c, clip: clip})
}

// foot places the number, the date and the signatory at the bottom left,
// and the QR code's label under it at the right.
func (pg *page) foot(sh *shaper, d Data, size Size) {
	k := size.scale()
	in := inside(size)
	left := 150 * k
	add := func(what string, l line, x, y float64, c color.Color) {
		pg.texts = append(pg.texts, placed{what: what, l: l, x: x, y: y, c: c, clip: in})
	}
	add("number", fit(sh, d.NumberLabel+" "+d.Number, d.Lang, 36*k, nameMin*k, signatoryW*k, true), left, 900*k, ink)
	add("date", fit(sh, d.DateLabel+" "+d.Date, d.Lang, 28*k, nameMin*k, signatoryW*k, false), left, 950*k, muted)
	if d.Signatory != "" {
		// Left of the QR code's label, above the frame.
		sig, f := wrapShrinking(sh, sh.measure(d.Signatory, d.Lang, false), 28*k, signatoryW*k, signatoryRows, signatoryMinF, 3)
		widest := 0.0
		for i, l := range sig {
			add("signatory", l, left, (1010+float64(i)*34*f)*k, ink)
			widest = max(widest, l.width)
		}
		pg.bars = append(pg.bars, bar{image.Rect(int(left), int(970*k), int(left+widest), int(972*k)+1), muted})
	}
	if d.VerifyLabel != "" {
		l := fit(sh, d.VerifyLabel, d.Lang, 20*k, 12*k, 300*k, false)
		add("verify label", l, 1340*k-l.width/2, 1020*k, muted)
	}
}
