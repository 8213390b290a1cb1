package certificate

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	qrcode "github.com/skip2/go-qrcode"
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
	canvasW    = 1600
	textWidth  = 1300 // widest line of text
	nameMin    = 13   // smallest size a long name shrinks to: 100 characters fit
	pledgeMaxL = 4    // lines of pledge text at full size: more would reach the QR code
	pledgeMinF = 0.5  // a long pledge shrinks to half size, and then takes 7 lines
	signatoryW = 620  // the signatory's column, clear of the QR code and its label
	// signatoryMinF is the smallest a long signatory shrinks to (18 px of 28).
	signatoryMinF = 18.0 / 28
)

// render draws d at size. sh must not be shared with another goroutine.
func render(sh *shaper, d Data, size Size) (*image.RGBA, error) {
	w, h := size.Dimensions()
	return renderInto(sh, d, size, image.NewRGBA(image.Rect(0, 0, w, h)))
}

// renderInto draws d at size onto img, which has size's dimensions (every
// pixel is painted: img may hold an earlier certificate).
func renderInto(sh *shaper, d Data, size Size, img *image.RGBA) (*image.RGBA, error) {
	w, _ := size.Dimensions()
	k := size.scale()
	fillRect(img, img.Bounds(), paper)
	frame(img, k)

	center := func(text string, baseline, px, maxW float64, bold bool, c color.Color) {
		l := fit(sh, text, d.Lang, px*k, nameMin*k, maxW*k, bold)
		drawLine(&sh.z, img, l, (float64(w)-l.width)/2, baseline*k, c)
	}
	center(d.Heading, 170, 40, textWidth, true, saffron)
	center(d.Campaign, 255, 54, textWidth, true, ink)
	center(d.Certifies, 335, 30, textWidth, false, muted)
	center(d.Name, 445, 84, textWidth, true, ink)
	underline(img, 470*k, k)
	center(d.TookPledge, 530, 30, textWidth, false, muted)
	pledge, f := wrapShrinking(sh, sh.measure(d.Pledge, d.Lang, false), 30*k, 1180*k, pledgeMaxL, pledgeMinF)
	for i, l := range pledge {
		drawLine(&sh.z, img, l, (float64(w)-l.width)/2, (595+float64(i)*46*f)*k, ink)
	}

	left := 150 * k
	num := sh.shape([]rune(d.NumberLabel+" "+d.Number), d.Lang, 36*k, true)
	drawLine(&sh.z, img, num, left, 900*k, ink)
	date := sh.shape([]rune(d.DateLabel+" "+d.Date), d.Lang, 28*k, false)
	drawLine(&sh.z, img, date, left, 950*k, muted)
	if d.Signatory != "" {
		// Two lines at most, left of the QR code's label, above the frame.
		sig, f := wrapShrinking(sh, sh.measure(d.Signatory, d.Lang, false), 28*k, signatoryW*k, 2, signatoryMinF)
		widest := 0.0
		for i, l := range sig {
			drawLine(&sh.z, img, l, left, (1010+float64(i)*34*f)*k, ink)
			widest = max(widest, l.width)
		}
		fillRect(img, image.Rect(int(left), int(970*k), int(left+widest), int(972*k)+1), muted)
	}
	if err := drawQR(img, d.VerifyURL, image.Rect(int(1230*k), int(770*k), int(1450*k), int(990*k))); err != nil {
		return nil, err
	}
	if d.VerifyLabel != "" {
		l := fit(sh, d.VerifyLabel, d.Lang, 20*k, 12*k, 300*k, false)
		drawLine(&sh.z, img, l, 1340*k-l.width/2, 1020*k, muted)
	}
	return img, nil
}

// frame draws the double border: saffron outside, green inside.
func frame(img *image.RGBA, k float64) {
	b := img.Bounds()
	border := func(inset, width float64, c color.Color) {
		i, t := int(inset*k), max(1, int(width*k))
		fillRect(img, image.Rect(b.Min.X+i, b.Min.Y+i, b.Max.X-i, b.Min.Y+i+t), c)
		fillRect(img, image.Rect(b.Min.X+i, b.Max.Y-i-t, b.Max.X-i, b.Max.Y-i), c)
		fillRect(img, image.Rect(b.Min.X+i, b.Min.Y+i, b.Min.X+i+t, b.Max.Y-i), c)
		fillRect(img, image.Rect(b.Max.X-i-t, b.Min.Y+i, b.Max.X-i, b.Max.Y-i), c)
	}
	border(28, 12, saffron)
	border(52, 3, green)
}

func underline(img *image.RGBA, y, k float64) {
	w := img.Bounds().Dx()
	fillRect(img, image.Rect(int(float64(w)/2-300*k), int(y), int(float64(w)/2+300*k), int(y+2*k)+1), saffron)
}

// drawQR draws the QR code of url scaled into r, on white with its quiet
// zone.
func drawQR(img *image.RGBA, url string, r image.Rectangle) error {
	if url == "" {
		return nil
	}
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("certificate: QR code: %w", err)
	}
	code := q.Image(r.Dx())
	draw.Draw(img, r, code, code.Bounds().Min, draw.Src)
	return nil
}
