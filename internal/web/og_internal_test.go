package web

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestShorten(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"I will vote.", "I will vote."},
		{"  I will\n\tvote.  ", "I will vote."},
		{"I will vote in every election", "I will vote in…"},   // at a word
		{"I will vote, always and everywhere", "I will vote…"}, // no comma before the ellipsis
		{"Iwillvoteineveryelection", "Iwillvoteineve…"},        // one long word
	} {
		if got := shorten(c.in, 15); got != c.want {
			t.Errorf("shorten(%q, 15) = %q, want %q", c.in, got, c.want)
		}
	}
	// One long word of letters with vowel signs: never a sign without its
	// letter, nor a letter without its sign.
	long := strings.Repeat("कि", 150)
	got := shorten(long, 200)
	kept := strings.TrimSuffix(got, "…")
	if n := utf8.RuneCountInString(got); n > 200 || kept == got || !strings.HasPrefix(long, kept) || !strings.HasSuffix(kept, "कि") {
		t.Errorf("shorten(%q…, 200) = %q (%d characters)", long[:30], got, n)
	}
	if r, _ := utf8.DecodeRuneInString(long[len(kept):]); unicode.Is(unicode.M, r) {
		t.Errorf("cut before the mark %U", r)
	}
}
