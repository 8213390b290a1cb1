package certificate

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/vector"
)

// render draws d at size. sh must not be shared with another goroutine.
func render(sh *shaper, d Data, size Size) (*image.RGBA, error) {
	w, h := size.Dimensions()
	return renderInto(sh, d, size, image.NewRGBA(image.Rect(0, 0, w, h)))
}

// renderInto draws d at size onto img, which has size's dimensions (every
// pixel is painted: img may hold an earlier certificate).
func renderInto(sh *shaper, d Data, size Size, img *image.RGBA) (*image.RGBA, error) {
	pg := layOut(sh, d, size)
	fillRect(img, img.Bounds(), paper)
	frame(img, size.scale())
	for _, t := range pg.texts {
		drawLine(&sh.z, img, t)
	}
	for _, b := range pg.bars {
		fillRect(img, b.r, b.c)
	}
	if err := drawQR(img, pg.url, pg.qr); err != nil {
		return nil, err
	}
	return img, nil
}

// inkBox is a rectangle in pixels, not rounded; y grows downwards.
type inkBox struct{ x0, y0, x1, y1 float64 }

// ink is the box of l's glyphs' outlines from the left end of its
// baseline; ok is false when it draws nothing.
func (l line) ink() (b inkBox, ok bool) {
	b = inkBox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, g := range l.glyphs {
		e, found := g.face.GlyphExtents(g.id)
		if !found || e.Width == 0 || e.Height == 0 {
			continue
		}
		scale := l.size / float64(g.face.Upem())
		left := g.x + float64(e.XBearing)*scale
		top := -g.y - float64(e.YBearing)*scale
		b.x0, b.x1 = min(b.x0, left), max(b.x1, left+float64(e.Width)*scale)
		b.y0, b.y1 = min(b.y0, top), max(b.y1, top-float64(e.Height)*scale)
		ok = true
	}
	return b, ok
}

// ink is the box of t's glyphs' outlines on the certificate.
func (t placed) ink() (inkBox, bool) {
	b, ok := t.l.ink()
	return inkBox{b.x0 + t.x, b.y0 + t.y, b.x1 + t.x, b.y1 + t.y}, ok
}

// drawLine paints t onto dst, using z (whose buffer is reused from line to
// line). Only the line's ink, within its clip, is rasterised, not the
// whole canvas.
func drawLine(z *vector.Rasterizer, dst *image.RGBA, t placed) {
	b, ok := t.ink()
	if !ok {
		return
	}
	r := image.Rect(int(math.Floor(b.x0))-1, int(math.Floor(b.y0))-1, int(math.Ceil(b.x1))+1, int(math.Ceil(b.y1))+1)
	r = r.Intersect(t.clip).Intersect(dst.Bounds())
	if r.Empty() {
		return
	}
	z.Reset(r.Dx(), r.Dy())
	ox, oy := t.x-float64(r.Min.X), t.y-float64(r.Min.Y)
	for _, g := range t.l.glyphs {
		outline, ok := g.face.GlyphDataOutline(g.id)
		if !ok {
			continue
		}
		scale := t.l.size / float64(g.face.Upem())
		gx, gy := ox+g.x, oy-g.y
		pt := func(p opentype.SegmentPoint) (float32, float32) {
			return float32(gx + float64(p.X)*scale), float32(gy - float64(p.Y)*scale)
		}
		addOutline(z, outline, pt)
	}
	z.Draw(dst, r, image.NewUniform(t.c), image.Point{})
}

func addOutline(z *vector.Rasterizer, o font.GlyphOutline, pt func(opentype.SegmentPoint) (float32, float32)) {
	open := false
	for _, s := range o.Segments {
		switch s.Op {
		case opentype.SegmentOpMoveTo:
			if open {
				z.ClosePath()
			}
			x, y := pt(s.Args[0])
			z.MoveTo(x, y)
			open = true
		case opentype.SegmentOpLineTo:
			x, y := pt(s.Args[0])
			z.LineTo(x, y)
		case opentype.SegmentOpQuadTo:
			x1, y1 := pt(s.Args[0])
			x, y := pt(s.Args[1])
			z.QuadTo(x1, y1, x, y)
		case opentype.SegmentOpCubeTo:
			x1, y1 := pt(s.Args[0])
			x2, y2 := pt(s.Args[1])
			x, y := pt(s.Args[2])
			z.CubeTo(x1, y1, x2, y2, x, y)
		}
	}
	if open {
		z.ClosePath()
	}
}

// fillRect paints r onto dst.
func fillRect(dst *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
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
