package pledge

import "unicode"

// nameBlocks are the parts of Unicode a name may be written in: the
// scripts certificates have fonts for (Latin, Greek, Cyrillic and the
// scripts of India's scheduled languages). Within them a name may hold
// letters, marks, digits and punctuation; emoji, symbols and other scripts
// would print as empty boxes. The certificate's tests check that its
// fonts draw every character NameChar accepts, so the two cannot drift:
// a script gets its fonts there before its block is added here.
var nameBlocks = []struct{ lo, hi rune }{
	{0x0020, 0x007e}, // Basic Latin
	{0x00a0, 0x024f}, // Latin-1 Supplement, Latin Extended-A and -B
	{0x0250, 0x02ff}, // IPA Extensions, Spacing Modifier Letters (ʼ ʻ)
	{0x0300, 0x036f}, // Combining Diacritical Marks
	{0x0370, 0x03e1}, // Greek (not the Coptic letters after it)
	{0x03f0, 0x03ff},
	{0x0400, 0x052f}, // Cyrillic and its Supplement
	{0x0600, 0x06ff}, // Arabic: Urdu, Kashmiri, Sindhi
	{0x0750, 0x077f}, // Arabic Supplement
	{0x0900, 0x097f}, // Devanagari: Hindi, Marathi, Nepali, Sanskrit, Bodo, Dogri, Konkani, Maithili
	{0x0980, 0x09ff}, // Bengali: Bengali, Assamese, Manipuri
	{0x0a00, 0x0a7f}, // Gurmukhi: Punjabi
	{0x0a80, 0x0aff}, // Gujarati
	{0x0b00, 0x0b7f}, // Oriya: Odia
	{0x0b80, 0x0bff}, // Tamil
	{0x0c00, 0x0c7f}, // Telugu
	{0x0c80, 0x0cff}, // Kannada
	{0x0d00, 0x0d7f}, // Malayalam
	{0x1c50, 0x1c7f}, // Ol Chiki: Santali
	{0x1e00, 0x1eff}, // Latin Extended Additional (Vietnamese)
	{0x1f00, 0x1fff}, // Greek Extended
	{0x2010, 0x2027}, // General Punctuation: hyphens, dashes, quotation marks
	{0xaae0, 0xaaff}, // Meetei Mayek Extensions
	{0xabc0, 0xabff}, // Meetei Mayek: Manipuri
}

// nameLate are characters of those blocks that Unicode added after the
// fonts were made (Arabic end of text mark, Oriya sign overline, Telugu
// nukta and letter nakaara pollu, Kannada letter nakaara pollu and
// combining anusvara above right).
var nameLate = []rune{0x061d, 0x0b55, 0x0c3c, 0x0c5d, 0x0cdd, 0x0cf3}

// NameChar reports whether a name may hold r: a letter, mark, digit or
// punctuation mark of a script certificates are drawn in (see nameBlocks),
// a space, or a zero-width (non-)joiner, which shapes Indic conjuncts.
// Emoji, symbols and letters of other scripts are refused: no font of the
// certificate draws them.
func NameChar(r rune) bool {
	if r == '\u200c' || r == '\u200d' || r == ' ' || r == '`' || r == '\u00b4' { // ` and ´ stand for apostrophes
		return true
	}
	if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P) {
		return false
	}
	for _, late := range nameLate {
		if r == late {
			return false
		}
	}
	for _, b := range nameBlocks {
		if r >= b.lo && r <= b.hi {
			return true
		}
	}
	return false
}
