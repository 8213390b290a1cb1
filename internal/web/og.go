package web

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ogTags are the Open Graph (and Twitter card) tags of a page, which
// messaging apps and social sites read to show a preview of a shared link.
// An empty field is left out.
type ogTags struct {
	Type        string // "website"
	Title       string
	Description string
	URL         string // absolute, the page's own
	Image       string // absolute; with it the card is a large picture
	ImageAlt    string
	ImageWidth  int
	ImageHeight int
}

// ogDescriptionMax is the longest og:description, in characters: previews
// show about two lines of it.
const ogDescriptionMax = 200

// shorten collapses the white space of s and cuts it to at most "most"
// characters, at the end of a word where there is one, with an ellipsis
// after what is cut. It never cuts between a letter and its marks.
func shorten(s string, most int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	runes := []rune(s)
	cut := most - 1 // room for the ellipsis
	if i := lastIndexRune(runes[:cut+1], ' '); i > 0 {
		cut = i
	} else {
		// One long word: step back over marks and joiners, which belong
		// to the letter before them.
		for cut > 0 && (unicode.Is(unicode.M, runes[cut]) || runes[cut] == '\u200c' || runes[cut] == '\u200d') {
			cut--
		}
	}
	return strings.TrimRight(string(runes[:cut]), " ,;:") + "…"
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
