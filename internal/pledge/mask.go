package pledge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxMarks bounds the combining marks on one letter: a real letter carries
// a few (a vowel sign, a nukta, a candrabindu); a "zalgo" pile would be
// drawn over the lines around it. NormaliseName refuses a name with more,
// and MaskName keeps no more after a word's first letter (for names stored
// before that rule).
const maxMarks = 4

// MaskName is a name as the public verification page shows it: each word
// (separated by white space) cut to its first character and "***", so
// "Ravi Kumar" becomes "R*** K***".
//
// A character here is the word's first grapheme cluster, approximated as
// its first rune and the combining marks (Unicode categories Mn, Mc, Me,
// at most four) that follow it, up to a virama: a letter is never split
// from its vowel sign or nukta, and nothing after it shows. So "रवि कुमार"
// becomes "र*** कु***" (the vowel sign ु belongs to क). A virama starts a
// conjunct with the next consonant, so it is dropped with everything after
// it: "क्षितिज श्रीवास्तव" becomes "क*** श***", not the dead consonants
// "क्*** श्***". Punctuation before a word's first letter (at most
// three marks of it) is kept and the letter shown after it: "(Dr.) Ravi"
// becomes "(D*** R***", not "(*** R***". Invalid UTF-8 shows as U+FFFD;
// the result is always valid UTF-8.
func MaskName(name string) string {
	var b strings.Builder
	for word := range strings.FieldsSeq(name) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		lead := leadingPunct(word)
		b.WriteString(word[:lead])
		b.WriteString(firstCluster(word[lead:]))
		b.WriteString("***")
	}
	return b.String()
}

// leadingPunct is the length in bytes of the punctuation and symbols
// (at most three runes) before word's first letter or digit, or 0 when
// the word has none after them: then its first character is what shows.
func leadingPunct(word string) int {
	n := 0
	for i, r := range word {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return i
		case n == 3 || r == utf8.RuneError || !(unicode.IsPunct(r) || unicode.IsSymbol(r)):
			return 0
		}
		n++
	}
	return 0
}

// virama reports whether r is a virama (canonical combining class 9) of
// any script: ् in Devanagari, ் in Tamil, ্ in Bengali...
func virama(r rune) bool {
	var b [utf8.UTFMax]byte
	return norm.NFC.Properties(b[:utf8.EncodeRune(b[:], r)]).CCC() == 9
}

// firstCluster is the first rune of word (not empty) and the combining
// marks right after it, as valid UTF-8.
func firstCluster(word string) string {
	var b strings.Builder
	r, size := utf8.DecodeRuneInString(word)
	b.WriteRune(r) // utf8.RuneError for a bad byte: written as U+FFFD
	marks := 0
	for _, r := range word[size:] {
		if marks == maxMarks || r == utf8.RuneError || !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) || virama(r) {
			break
		}
		b.WriteRune(r)
		marks++
	}
	return b.String()
}
