package certificate

import (
	"image"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// glyph is one shaped glyph, positioned from the start of its line, in
// pixels.
type glyph struct {
	face    *font.Face
	id      font.GID
	cluster int     // index in the line's runes of the first rune it draws
	x, y    float64 // pen position plus offsets; y grows upwards
	advance float64 // how far it moves the pen
}

// line is shaped text on one line.
type line struct {
	glyphs []glyph
	width  float64
	size   float64 // pixels per em
}

// shaper shapes text run by run: the text is cut where the font changes
// (by script: a Latin and Devanagari name is two runs) and where the
// direction does, each piece is shaped with HarfBuzz's rules for its
// script, and the pieces are laid end to end in display order (segments).
type shaper struct {
	hb    shaping.HarfbuzzShaper
	faces *faces
	z     vector.Rasterizer // reused by every line this shaper draws

	canvas   map[Size]*image.RGBA // reused by PNG renders
	paletted image.Paletted       // reused by PNG encoding
}

// shape lays out text on one line at size pixels per em.
func (s *shaper) shape(text []rune, lang string, size float64, bold bool) line {
	return s.shapeIn(text, direction(text), lang, size, bold)
}

// shapeIn lays out text, one line of a paragraph of direction base, at
// size pixels per em.
func (s *shaper) shapeIn(text []rune, base class, lang string, size float64, bold bool) line {
	l := line{size: size}
	faceList := s.faces.regular
	if bold {
		faceList = s.faces.bold
	}
	for _, r := range s.segments(text, base) {
		// Shape in font units (one unit per em/upem), then scale: HarfBuzz
		// rounds a requested size up to a whole pixel, which would space a
		// 32.6 px line as if it were 33 px.
		face := faceList[r.font]
		upem := int(face.Upem())
		scale := size / float64(upem)
		dir := di.DirectionLTR
		if r.level%2 == 1 {
			dir = di.DirectionRTL // its glyphs come back in drawing order, left to right
		}
		out := s.hb.Shape(shaping.Input{
			Text:      text,
			RunStart:  r.start,
			RunEnd:    r.end,
			Direction: dir,
			Face:      face,
			Size:      fixed.I(upem),
			Script:    s.faces.set.scripts[r.font],
			Language:  language.NewLanguage(lang),
		})
		for _, g := range out.Glyphs {
			l.glyphs = append(l.glyphs, glyph{
				face:    face,
				id:      g.GlyphID,
				cluster: g.TextIndex(),
				x:       l.width + fixedF(g.XOffset)*scale,
				y:       fixedF(g.YOffset) * scale,
				advance: fixedF(g.Advance) * scale,
			})
			l.width += fixedF(g.Advance) * scale
		}
	}
	return l
}

type run struct{ start, end, font int }

// runs cuts text where the font changes. Characters of no script (spaces,
// digits, punctuation, joiners) stay in the run around them.
func (s *shaper) runs(text []rune) []run {
	var out []run
	cur := -1
	for i, r := range text {
		f := cur
		if sc := language.LookupScript(r); sc != language.Common && sc != language.Inherited || cur < 0 {
			f = s.faces.pick(r, cur)
		} else if _, ok := s.faces.set.regular[cur].NominalGlyph(r); !ok && !isJoiner(r) {
			f = s.faces.pick(r, cur)
		}
		if f != cur || len(out) == 0 {
			out = append(out, run{start: i, end: i + 1, font: f})
			cur = f
			continue
		}
		out[len(out)-1].end = i + 1
	}
	return out
}

// isJoiner reports the zero-width (non-)joiners, which belong to the run
// they sit in: they change how its letters join.
func isJoiner(r rune) bool { return r == 0x200C || r == 0x200D }

func fixedF(v fixed.Int26_6) float64 { return float64(v) / 64 }
