package certificate

import (
	"strings"
	"unicode/utf8"
)

// fit shapes text at px, shrinking it (not below minPx) until it is no
// wider than maxW. Width is proportional to size, so one step lands there;
// the second guards against rounding.
func fit(sh *shaper, text, lang string, px, minPx, maxW float64, bold bool) line {
	runes := []rune(text)
	return fitIn(sh, runes, direction(runes), lang, px, minPx, maxW, bold)
}

// fitIn is fit for a line of a paragraph of direction base.
func fitIn(sh *shaper, runes []rune, base class, lang string, px, minPx, maxW float64, bold bool) line {
	l := sh.shapeIn(runes, base, lang, px, bold)
	for i := 0; i < 2 && l.width > maxW && l.width > 0 && px > minPx; i++ {
		px = max(minPx, px*maxW/l.width*(1-1e-9))
		l = sh.shapeIn(runes, base, lang, px, bold)
	}
	return l
}

// para is a paragraph measured for wrapping: its words, and how wide each
// word and the space after it are at one pixel per em, as shaped in the
// whole paragraph. Width is proportional to size, so one shaping serves
// every size a paragraph is tried at: a candidate line's width is the sum
// of its words' and spaces', and only a line that comes within
// measureSlack of the limit is shaped to decide (shaping every candidate
// took a quarter of a second for a 1000-character pledge).
type para struct {
	words  [][]rune
	widths []float64 // of each word, at 1 px
	spaces []float64 // of the space after each word, at 1 px; 0 after the last
	base   class     // the paragraph's direction, which every line keeps
	lang   string
	bold   bool
}

// measureSlack is how far a sum of widths may be from the shaped line's:
// shaping a line alone can differ from the paragraph in the font of a
// line's first punctuation or digits and in kerning across its ends.
const measureSlack = 0.02

// measure shapes text once, its runs of white space as single spaces, and
// returns it measured for wrapping.
func (sh *shaper) measure(text, lang string, bold bool) *para {
	words := strings.Fields(text)
	p := &para{lang: lang, bold: bold, base: strongL}
	if len(words) == 0 {
		return p
	}
	runes := []rune(strings.Join(words, " "))
	p.base = direction(runes)
	adv := make([]float64, len(runes))
	for _, g := range sh.shapeIn(runes, p.base, lang, 1, bold).glyphs {
		adv[g.cluster] += g.advance
	}
	at := 0
	for _, w := range words {
		n := utf8.RuneCountInString(w)
		width := 0.0
		for _, a := range adv[at : at+n] {
			width += a
		}
		space := 0.0
		if at+n < len(runes) {
			space = adv[at+n]
		}
		p.words = append(p.words, runes[at:at+n])
		p.widths = append(p.widths, width)
		p.spaces = append(p.spaces, space)
		at += n + 1
	}
	return p
}

// text returns words from..to-1 of p joined by spaces.
func (p *para) text(from, to int) []rune {
	var out []rune
	for i := from; i < to; i++ {
		if i > from {
			out = append(out, ' ')
		}
		out = append(out, p.words[i]...)
	}
	return out
}

// wrap breaks text into at most maxLines lines no wider than maxW, at
// spaces; what does not fit shrinks the last line.
// Every line takes the direction of the whole text.
func wrap(sh *shaper, text, lang string, px, maxW float64, maxLines int) []line {
	return sh.measure(text, lang, false).wrap(sh, px, maxW, maxLines)
}

// wrap breaks p into at most maxLines lines no wider than maxW at px, at
// spaces; what does not fit shrinks the last line, and a word wider than
// maxW on its own shrinks its line.
func (p *para) wrap(sh *shaper, px, maxW float64, maxLines int) []line {
	var lines []line
	from, w := 0, 0.0 // the line being filled: words from.., w wide at 1 px
	for i := range p.words {
		if i == from {
			w = p.widths[i]
			continue
		}
		try := w + p.spaces[i-1] + p.widths[i]
		if len(lines) < maxLines-1 && p.over(sh, from, i+1, try*px, px, maxW) {
			lines = append(lines, fitIn(sh, p.text(from, i), p.base, p.lang, px, 0, maxW, p.bold))
			from, w = i, p.widths[i]
			continue
		}
		w = try
	}
	if len(p.words) > 0 {
		lines = append(lines, fitIn(sh, p.text(from, len(p.words)), p.base, p.lang, px, 0, maxW, p.bold))
	}
	return lines
}

// over reports whether words from..to-1, about est wide at px, are wider
// than maxW: by the sum of their widths when it is clear, else by shaping
// them.
func (p *para) over(sh *shaper, from, to int, est, px, maxW float64) bool {
	switch {
	case est <= maxW*(1-measureSlack):
		return false
	case est > maxW*(1+measureSlack):
		return true
	}
	return sh.shapeIn(p.text(from, to), p.base, p.lang, px, p.bold).width > maxW
}

// wrapShrinking wraps p into lines no wider than maxW at px, taking
// at most rows lines; if it needs more, it tries smaller sizes, 10% at a
// time down to minF of px, where the lines sit closer (their pitch scales by
// the returned factor) and more of them fit in the same height: as many as
// keep the last one where the rows-th is at full size (rows need not be
// whole: 2.5 rows make room for a third line at 75% of the size or less),
// and never more than
// most (0: no limit). At the smallest size the last line shrinks to fit
// whatever is left.
func wrapShrinking(sh *shaper, p *para, px, maxW, rows, minF float64, most int) ([]line, float64) {
	var lines []line
	f := 1.0
	for step := 0; ; step++ {
		f = max(minF, 1-0.1*float64(step))
		n := int(1 + (rows-1)/f + 1e-9)
		if most > 0 {
			n = min(n, most)
		}
		lines = p.wrap(sh, px*f, maxW, n)
		if k := len(lines); k == 0 || lines[k-1].size == px*f || f == minF {
			return lines, f
		}
	}
}
