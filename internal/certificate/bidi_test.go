package certificate

import (
	"cmp"
	"slices"
	"strings"
	"testing"
)

// TestSegmentsDisplayOrder: lines mixing Arabic script with left-to-right
// text come out in the order the Unicode bidirectional algorithm gives:
// each piece as it is displayed, left to right, "<" marking one shaped
// right to left.
func TestSegmentsDisplayOrder(t *testing.T) {
	sh := newTestShaper(t)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Ravi Kumar", []string{"Ravi Kumar"}},
		{"Ravi रवि Kumar", []string{"Ravi ", "रवि ", "Kumar"}},
		{"عمران خان", []string{"<عمران خان"}},
		// A right-to-left line: the Latin name sits on the left.
		{"عمران Khan", []string{"Khan", "<عمران "}},
		// A left-to-right line: the spaces around the Arabic word stay
		// left to right, one on each side.
		{"Imran عمران Khan", []string{"Imran ", "<عمران", " ", "Khan"}},
		{"Imran (عمران)", []string{"Imran (", "<عمران", ")"}},
		// Digits read left to right inside right-to-left text.
		{"عمران 12", []string{"12", "<عمران "}},
		{"خان 12:30 عمران", []string{"< عمران", "12:30", "<خان "}},
		{"Khan 2nd", []string{"Khan 2nd"}},
		// The digits of Indian scripts are letters, left to right.
		{"रवि १२", []string{"रवि १२"}},
		{"عمران؟ Khan", []string{"Khan", "<عمران؟ "}},
	} {
		var got []string
		for _, sg := range sh.segments([]rune(tc.text), direction([]rune(tc.text))) {
			piece := string([]rune(tc.text)[sg.start:sg.end])
			if sg.level%2 == 1 {
				piece = "<" + piece
			}
			got = append(got, piece)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: pieces %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestShapeMixedRightToLeftLine: in a line that starts in Arabic script a
// Latin surname is drawn to the left of the Arabic name.
func TestShapeMixedRightToLeftLine(t *testing.T) {
	sh := newTestShaper(t)
	text := []rune("عمران Khan")
	l := sh.shape(text, "en", 84, false)
	var latinMax, arabicMin float64 = -1, 1e9
	for _, g := range l.glyphs {
		if text[g.cluster] >= 'A' && text[g.cluster] <= 'z' {
			latinMax = max(latinMax, g.x)
		} else if text[g.cluster] != ' ' {
			arabicMin = min(arabicMin, g.x)
		}
	}
	if latinMax < 0 || latinMax >= arabicMin {
		t.Errorf("Latin glyphs up to x %.1f, Arabic from x %.1f: want the Latin name on the left", latinMax, arabicMin)
	}
}

// TestWrapKeepsTheParagraphDirection: a line of a right-to-left text that
// wraps to start with a Latin word is still laid out right to left.
func TestWrapKeepsTheParagraphDirection(t *testing.T) {
	sh := newTestShaper(t)
	line := []rune("EVM عمران")
	if direction(line) != strongL {
		t.Fatal("the line alone should read left to right")
	}
	var got []string
	for _, sg := range sh.segments(line, direction([]rune("ووٹ EVM عمران"))) {
		got = append(got, string(line[sg.start:sg.end]))
	}
	if want := []string{"عمران", " ", "EVM"}; !slices.Equal(got, want) {
		t.Errorf("pieces %q in a right-to-left paragraph, want %q", got, want)
	}
	// Wrapped, every line starts (its first rune, cluster 0) away from the
	// left edge, where a left-to-right line would start.
	lines := wrap(sh, "ووٹ "+strings.Repeat("EVM عمران ", 20), "en", 40, 300, 10)
	if len(lines) < 3 {
		t.Fatalf("%d lines, want the text wrapped", len(lines))
	}
	for i, l := range lines {
		left := slices.MinFunc(l.glyphs, func(a, b glyph) int { return cmp.Compare(a.x, b.x) })
		if left.cluster == 0 {
			t.Errorf("line %d starts at the left edge: laid out left to right", i+1)
		}
	}
}
