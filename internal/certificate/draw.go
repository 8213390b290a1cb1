package certificate

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/vector"
)

// drawLine paints l onto dst with its baseline's left end at (x, baseline),
// using z (whose buffer is reused from line to line). Only the line's box
// is rasterised, not the whole canvas.
func drawLine(z *vector.Rasterizer, dst *image.RGBA, l line, x, baseline float64, c color.Color) {
	if len(l.glyphs) == 0 {
		return
	}
	top := int(math.Floor(baseline - 1.3*l.size))
	bottom := int(math.Ceil(baseline + 0.6*l.size))
	left := int(math.Floor(x - 0.2*l.size))
	right := int(math.Ceil(x + l.width + 0.2*l.size))
	box := image.Rect(left, top, right, bottom).Intersect(dst.Bounds())
	if box.Empty() {
		return
	}
	z.Reset(box.Dx(), box.Dy())
	ox, oy := x-float64(box.Min.X), baseline-float64(box.Min.Y)
	for _, g := range l.glyphs {
		outline, ok := g.face.GlyphDataOutline(g.id)
		if !ok {
			continue
		}
		scale := l.size / float64(g.face.Upem())
		gx, gy := ox+g.x, oy-g.y
		pt := func(p opentype.SegmentPoint) (float32, float32) {
			return float32(gx + float64(p.X)*scale), float32(gy - float64(p.Y)*scale)
		}
		addOutline(z, outline, pt)
	}
	z.Draw(dst, box, image.NewUniform(c), image.Point{})
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
