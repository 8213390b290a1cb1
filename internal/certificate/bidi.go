package certificate

import (
	"slices"
	"unicode"

	"github.com/go-text/typesetting/language"
)

// segment is a piece of a line shaped with one font in one direction: odd
// levels right to left. Segments are in visual order, left to right.
type segment struct {
	start, end, font int
	level            int
}

// class is a rune's bidirectional type, as far as certificate lines need
// it: names and short texts, without explicit embeddings or isolates.
type class int

const (
	neutral class = iota // spaces, punctuation, and what has no script
	strongL              // Latin, Devanagari and the other left-to-right scripts
	strongR              // Arabic script (Urdu, Kashmiri, Sindhi)
	digit                // digits, with single separators between them
)

// direction is the direction of a paragraph: its first strong letter's
// (P2, P3), left to right if it has none.
func direction(text []rune) class {
	for _, r := range text {
		if c := classify(r); c == strongL || c == strongR {
			return c
		}
	}
	return strongL
}

// segments cuts text, a line of a paragraph of direction base, into the
// pieces to shape and orders them for display, following the Unicode
// bidirectional algorithm (UAX #9) in its simple case: digits after
// right-to-left letters, or in a right-to-left paragraph, read left to
// right at a level of their own (W2, W7, I1, I2); neutrals between two
// letters of one direction take it, others the paragraph's (N1, N2); then
// the pieces are reversed level by level (L2). Within a piece of one
// direction and font, HarfBuzz places the glyphs.
func (s *shaper) segments(text []rune, base class) []segment {
	classes := make([]class, len(text))
	for i, r := range text {
		classes[i] = classify(r)
		if classes[i] == neutral && i > 0 && (isJoiner(r) || unicode.Is(unicode.Mn, r)) {
			classes[i] = classes[i-1] // marks and joiners belong to what they follow
		}
	}
	markNumbers(text, classes)
	levels := resolveLevels(classes, base)

	var segs []segment
	for _, r := range s.runs(text) {
		for i := r.start; i < r.end; i++ {
			if n := len(segs); n > 0 && segs[n-1].end == i && segs[n-1].font == r.font && segs[n-1].level == levels[i] {
				segs[n-1].end = i + 1
				continue
			}
			segs = append(segs, segment{start: i, end: i + 1, font: r.font, level: levels[i]})
		}
	}
	// L2: from the highest level down to 1, reverse every sequence of
	// pieces at that level or higher. A piece's own glyphs come from
	// HarfBuzz already in display order.
	top := 0
	for _, sg := range segs {
		top = max(top, sg.level)
	}
	for lv := top; lv >= 1; lv-- {
		for i := 0; i < len(segs); {
			if segs[i].level < lv {
				i++
				continue
			}
			j := i
			for j < len(segs) && segs[j].level >= lv {
				j++
			}
			slices.Reverse(segs[i:j])
			i = j
		}
	}
	return segs
}

// classify gives r's bidirectional type: digit for European and
// Arabic-Indic digits (EN, AN; the digits of Indian scripts are letters,
// L), strongR for the right-to-left scripts and marks (R, AL).
func classify(r rune) class {
	switch sc := language.LookupScript(r); {
	case r >= '0' && r <= '9', r >= 0x0660 && r <= 0x0669, r >= 0x06F0 && r <= 0x06F9:
		return digit
	case r == 0x200F, r == 0x061B, r == 0x061C, r == 0x061F, r == 0x0640: // RLM; Arabic semicolon, letter mark, question mark, tatweel
		return strongR
	case r == 0x200E: // LRM
		return strongL
	case slices.Contains(rightToLeft, sc):
		return strongR
	case sc == language.Common || sc == language.Inherited || sc == language.Unknown:
		return neutral
	default:
		return strongL
	}
}

// rightToLeft are the scripts written right to left that a name may hold
// (only Arabic has a font here; the others draw as missing glyphs, but in
// the right place).
var rightToLeft = []language.Script{language.Arabic, language.Hebrew, language.Syriac, language.Thaana, language.Nko}

// markNumbers makes one separator between two digits ("1,234", "12:30",
// "01-02-2026") part of the number (W4).
func markNumbers(text []rune, classes []class) {
	for i := 1; i+1 < len(text); i++ {
		switch text[i] {
		case '.', ',', ':', '/', '-':
			if classes[i-1] == digit && classes[i+1] == digit {
				classes[i] = digit
			}
		}
	}
}

// resolveLevels gives each rune its embedding level in a line of direction
// base.
func resolveLevels(classes []class, base class) []int {
	// Digits read as left-to-right letters after one (W7, with the line's
	// direction before the first letter), otherwise as right-to-left ones
	// for the neutrals around them (N1).
	dir := make([]class, len(classes))
	last := base
	for i, c := range classes {
		switch c {
		case strongL, strongR:
			last = c
			dir[i] = c
		case digit:
			dir[i] = strongR
			if last == strongL {
				dir[i] = strongL
			}
		}
	}
	// Neutrals take the direction on both sides when it agrees, else the
	// line's (N1, N2).
	for i := 0; i < len(dir); {
		if classes[i] != neutral {
			i++
			continue
		}
		j := i
		for j < len(dir) && classes[j] == neutral {
			j++
		}
		before, after := base, base
		if i > 0 {
			before = dir[i-1]
		}
		if j < len(dir) {
			after = dir[j]
		}
		d := base
		if before == after {
			d = before
		}
		for k := i; k < j; k++ {
			dir[k] = d
		}
		i = j
	}
	levels := make([]int, len(classes))
	for i, c := range classes {
		switch {
		case c == digit && (base == strongR || dir[i] == strongR):
			levels[i] = 2 // I1, I2: numbers in or after right-to-left text
		case base == strongL && dir[i] == strongR:
			levels[i] = 1
		case base == strongR && dir[i] == strongL:
			levels[i] = 2
		case base == strongR:
			levels[i] = 1
		}
	}
	return levels
}
