package pledge

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLen is the longest name accepted, in characters after NFC.
const MaxNameLen = 100

// NormaliseName trims and NFC-normalises a name, collapses runs of white
// space, drops the invisible characters pasting leaves inside a name (see
// droppedInName), and refuses other control and format characters that
// have no place in a printed name (MsgNameInvalid) and characters the
// certificate cannot draw: emoji, symbols, scripts it has no font for
// (MsgNameLetters, see NameChar). A name of digits or punctuation only,
// without a letter, is refused with MsgNameNoLetters. The result has
// 1..MaxNameLen characters.
func NormaliseName(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", &FieldError{Field: "name", Key: MsgNameInvalid}
	}
	// Dropped before NFC, so that letters and marks they stood between
	// compose as if they had never been there.
	if strings.ContainsFunc(s, droppedInName) {
		s = strings.Map(func(r rune) rune {
			if droppedInName(r) {
				return -1
			}
			return r
		}, s)
	}
	// Text copied from a chat or a contact card often comes wrapped in
	// invisible direction marks: around the name they say nothing. ZWJ and
	// ZWNJ stay: ending a word, they shape its last letter (a Malayalam
	// chillu written the older way, virama + ZWJ).
	s = strings.TrimFunc(norm.NFC.String(s), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d'
	})
	var b strings.Builder
	b.Grow(len(s))
	space, marks := false, 0
	for _, r := range s {
		if unicode.Is(unicode.M, r) {
			marks++
		} else {
			marks = 0
		}
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case marks > maxMarks: // a letter buried under marks, drawn over the lines around it
			return "", &FieldError{Field: "name", Key: MsgNameInvalid}
		case unicode.IsControl(r), r == utf8.RuneError, invisibleLetter(r),
			unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d',
			b.Len() == 0 && unicode.Is(unicode.M, r): // a mark needs a letter to sit on
			// ZWNJ and ZWJ shape Indic conjuncts; other format characters
			// (bidi overrides, invisible separators) only disguise a name.
			return "", &FieldError{Field: "name", Key: MsgNameInvalid}
		case !NameChar(r):
			return "", &FieldError{Field: "name", Key: MsgNameLetters}
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	switch n := utf8.RuneCountInString(out); {
	case n == 0:
		return "", &FieldError{Field: "name", Key: MsgNameRequired}
	case n > MaxNameLen:
		return "", &FieldError{Field: "name", Key: MsgNameTooLong}
	}
	if !hasLetter(out) {
		return "", &FieldError{Field: "name", Key: MsgNameNoLetters}
	}
	return out, nil
}

// droppedInName reports the invisible characters that copying a name from
// a web page, a document or a chat leaves inside it: zero width space,
// soft hyphen, byte-order mark (zero width no-break space), word joiner,
// Mongolian vowel separator, and the direction marks (LRM, RLM, ALM),
// which only place the characters beside them, where the pages show a
// name in its own direction anyway. They print as nothing and mean nothing
// in a name, so NormaliseName drops them rather than refusing the name.
// ZWJ and ZWNJ are not among them: they shape Indic letters. Nor are the
// direction overrides and isolates, which can show a name as other than
// it is: a name with one is refused.
func droppedInName(r rune) bool {
	switch r {
	case '\u200b', '\u00ad', '\ufeff', '\u2060', '\u180e', '\u200e', '\u200f', '\u061c':
		return true
	}
	return false
}

// invisibleLetter reports the Hangul fillers: letters by category that print
// as nothing.
func invisibleLetter(r rune) bool {
	return r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// NormalisePhone turns an Indian mobile number written in any common form
// ("+91 98765-43210", "0091 98765 43210", "09876543210", "(+91) 98765 43210",
// "919876543210", Devanagari digits) into E.164: "+919876543210". Indian
// mobile numbers have ten digits and begin with 6, 7, 8 or 9. The country
// code may be followed by the trunk 0 written for calls within India
// ("+91 098765 43210", "+91 (0) 98765 43210"), and its plus may be the
// fullwidth one of East Asian keyboards ("＋91").
func NormalisePhone(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", &FieldError{Field: "phone", Key: MsgPhoneRequired}
	}
	if len(s) > 64 {
		return "", &FieldError{Field: "phone", Key: MsgPhoneInvalid}
	}
	digits := make([]byte, 0, 16)
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case indicDigit(r) >= 0:
			digits = append(digits, byte('0'+indicDigit(r)))
		case (r == '+' || r == '\uff0b') && len(digits) == 0 && !plus:
			plus = true
		case r == '-' || r == '.' || r == '(' || r == ')' || r >= '\u2010' && r <= '\u2015',
			unicode.IsSpace(r) || r == '\u202f',
			unicode.Is(unicode.Cf, r): // direction marks and the like, which copying a number adds
		default:
			return "", &FieldError{Field: "phone", Key: MsgPhoneInvalid}
		}
	}
	d := string(digits)
	switch {
	case plus && strings.HasPrefix(d, "91") && len(d) == 12:
		d = d[2:]
	case plus && strings.HasPrefix(d, "910") && len(d) == 13:
		d = d[3:]
	case plus:
		return "", &FieldError{Field: "phone", Key: MsgPhoneInvalid}
	case strings.HasPrefix(d, "0091") && len(d) == 14:
		d = d[4:]
	case strings.HasPrefix(d, "91") && len(d) == 12:
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 11:
		d = d[1:]
	}
	if len(d) != 10 || d[0] < '6' {
		return "", &FieldError{Field: "phone", Key: MsgPhoneInvalid}
	}
	return "+91" + d, nil
}

// indicDigit returns the value of r as a digit of the scripts of India
// (Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Tamil, Telugu, Kannada,
// Malayalam, and the Arabic-Indic digits of Urdu and Kashmiri) or a
// fullwidth digit, or -1. Each script's digits follow its zero.
func indicDigit(r rune) int {
	zeros := [...]rune{'\u0966', '\u09e6', '\u0a66', '\u0ae6', '\u0b66', '\u0be6', '\u0c66', '\u0ce6', '\u0d66',
		'\u0660', '\u06f0', '\uff10'}
	for _, zero := range zeros {
		if r >= zero && r <= zero+9 {
			return int(r - zero)
		}
	}
	return -1
}

// MaskPhone keeps the last four digits of an E.164 number: "******3210".
func MaskPhone(e164 string) string {
	if len(e164) < 4 {
		return "****"
	}
	return "******" + e164[len(e164)-4:]
}

// MaskEmail shows enough of an address for its owner to see a typo in the
// domain, the commonest, and little of the rest: "a•••0@exmaple.org".
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 1 {
		return ""
	}
	local := []rune(addr[:at])
	masked := string(local[0]) + "•••"
	if len(local) > 2 {
		masked += string(local[len(local)-1])
	}
	return masked + addr[at:]
}

// NormaliseEmail checks a plain address (no display name) and lower-cases its
// domain. An empty address is allowed; the caller decides whether it is required.
func NormaliseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 254 {
		return "", &FieldError{Field: "email", Key: MsgEmailInvalid}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", &FieldError{Field: "email", Key: MsgEmailInvalid}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", &FieldError{Field: "email", Key: MsgEmailInvalid}
	}
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}
