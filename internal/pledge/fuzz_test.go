package pledge_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/pledge"
	"golang.org/x/text/unicode/norm"
)

var fuzzE164 = regexp.MustCompile(`^\+91[6-9][0-9]{9}$`)

func FuzzNormalisePhone(f *testing.F) {
	for _, s := range []string{
		"9876543210", "+91 98765-43210", "+91-98765-43210", "0091 98765 43210",
		"09876543210", "(+91) 98765 43210", "+91 (98765) 43210", "919876543210",
		"98765 43210", "98765.43210", "९८७६५४३२१०", "+९१\u00a0९८७६५४३२१०",
		"", " ", "+", "++919876543210", "98765+43210", "+1 987 654 3210",
		"5876543210", "987654321", "98765432101", "00919876543210", "+0091 9876543210",
		strings.Repeat("9", 65), "9876543210\xff", "+91 098765 43210", "+91 (0) 98765 43210",
		"\uff0b91 9876543210", "+91 00 98765 43210", "\uff0b\uff0b919876543210",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := pledge.NormalisePhone(s)
		if err != nil {
			var fe *pledge.FieldError
			if !errors.As(err, &fe) || fe.Field != "phone" ||
				(fe.Key != pledge.MsgPhoneInvalid && fe.Key != pledge.MsgPhoneRequired) {
				t.Fatalf("NormalisePhone(%q): unexpected error %#v", s, err)
			}
			if got != "" {
				t.Fatalf("NormalisePhone(%q) = %q alongside an error", s, got)
			}
			if (fe.Key == pledge.MsgPhoneRequired) != (strings.TrimSpace(s) == "") {
				t.Fatalf("NormalisePhone(%q): key %s", s, fe.Key)
			}
			return
		}
		if !fuzzE164.MatchString(got) {
			t.Fatalf("NormalisePhone(%q) = %q, not an Indian mobile number in E.164", s, got)
		}
		again, err := pledge.NormalisePhone(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: NormalisePhone(%q) = %q, %v", got, again, err)
		}
		// The ten national digits appear, in order, in the input (in any
		// script's decimal digits): nothing is invented.
		var digits []rune
		for _, r := range s {
			if unicode.Is(unicode.Nd, r) {
				digits = append(digits, '0'+fuzzDigitValue(r))
			}
		}
		if !strings.HasSuffix(string(digits), got[3:]) {
			t.Fatalf("NormalisePhone(%q) = %q: digits %q do not end in the number", s, got, string(digits))
		}
		if len(s) > 64 {
			t.Fatalf("accepted %d-byte input", len(s))
		}
		if m := pledge.MaskPhone(got); m != "******"+got[len(got)-4:] {
			t.Fatalf("MaskPhone(%q) = %q", got, m)
		}
	})
}

func FuzzNormaliseName(f *testing.F) {
	for _, s := range []string{
		"Asha Devi", "  Asha   Devi  ", "Rene\u0301e", "क्\u200dष", "आशा देवी", "முருகன்",
		"Asha\u202eivaD", "Asha\x00", "12345", "...", "", "\xff", strings.Repeat("a", 101),
		strings.Repeat("e\u0301", 100), "a" + strings.Repeat("\u0301", 40), " \u0301a", "\u3164",
		"a\u2000b", "\u0958", "\u1100\u1161\u11a8", "Ravi 🇮🇳 Kumar 🙏", "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ", "ꯃꯤꯇꯩ ꯃꯌꯦꯛ",
		"Asha ★", "李小龍", "D`Souza", "O’Brien", "रवि\u200bकुमार", "Ravi\u00adKumar", "e\u200b\u0301", "\u2060\u0301a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := pledge.NormaliseName(s)
		if err != nil {
			var fe *pledge.FieldError
			if !errors.As(err, &fe) || fe.Field != "name" {
				t.Fatalf("NormaliseName(%q): unexpected error %#v", s, err)
			}
			switch fe.Key {
			case pledge.MsgNameRequired, pledge.MsgNameInvalid, pledge.MsgNameTooLong, pledge.MsgNameLetters, pledge.MsgNameNoLetters:
			default:
				t.Fatalf("NormaliseName(%q): key %q", s, fe.Key)
			}
			if got != "" {
				t.Fatalf("NormaliseName(%q) = %q alongside an error", s, got)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("NormaliseName(%q) = %q: invalid UTF-8", s, got)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Fatalf("NormaliseName(%q) = %q: not NFC", s, got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > pledge.MaxNameLen {
			t.Fatalf("NormaliseName(%q) = %q: %d runes", s, got, n)
		}
		first, _ := utf8.DecodeRuneInString(got)
		last, _ := utf8.DecodeLastRuneInString(got)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			t.Fatalf("NormaliseName(%q) = %q: leading or trailing space", s, got)
		}
		if strings.Contains(got, "  ") {
			t.Fatalf("NormaliseName(%q) = %q: double space", s, got)
		}
		hasLetter := false
		for _, r := range got {
			if unicode.IsControl(r) || r == utf8.RuneError {
				t.Fatalf("NormaliseName(%q) = %q: control character %U", s, got, r)
			}
			if unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
				t.Fatalf("NormaliseName(%q) = %q: format character %U", s, got, r)
			}
			if unicode.IsSpace(r) && r != ' ' {
				t.Fatalf("NormaliseName(%q) = %q: white space %U other than U+0020", s, got, r)
			}
			// The certificate draws every character of a name it accepts
			// (its fonts are checked against NameChar): letters, marks,
			// digits, punctuation, never an emoji or another symbol but
			// the two that stand for apostrophes.
			if !pledge.NameChar(r) || unicode.Is(unicode.S, r) && r != '`' && r != '\u00b4' {
				t.Fatalf("NormaliseName(%q) = %q: %U (%q) is no letter, mark, digit or punctuation of a script certificates draw", s, got, r, r)
			}
			hasLetter = hasLetter || unicode.IsLetter(r)
		}
		if !hasLetter {
			t.Fatalf("NormaliseName(%q) = %q: no letter", s, got)
		}
		again, err := pledge.NormaliseName(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: NormaliseName(%q) = %q, %v", got, again, err)
		}
	})
}

func FuzzTokens(f *testing.F) {
	tk := testTokens()
	for _, p := range tokenPairs {
		tok := tk.Encode(p.campaign, p.number)
		f.Add(tok)
		f.Add(tok[:21])
		f.Add(tok + "A")
		f.Add(tok[:21] + "\n")
	}
	for _, s := range []string{"", "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAB", "!!!!!!!!!!!!!!!!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAA==", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, n, err := tk.Decode(s)
		if err != nil {
			if !errors.Is(err, pledge.ErrNotFound) {
				t.Fatalf("Decode(%q): error %v is not ErrNotFound", s, err)
			}
			if c != 0 || n != 0 {
				t.Fatalf("Decode(%q) = %d, %d alongside an error", s, c, n)
			}
			return
		}
		if c < 0 || c > 1<<32-1 || n < 0 || n > 1<<32-1 {
			t.Fatalf("Decode(%q) = %d, %d: out of 32-bit range", s, c, n)
		}
		if re := tk.Encode(c, n); re != s {
			t.Fatalf("Decode(%q) = %d, %d, which encodes to %q", s, c, n, re)
		}
	})
}

// fuzzDigitValue is the value of a decimal digit of any script. Unicode puts
// each script's digits 0-9 in a contiguous run, so the value is the distance
// from the start of the run, modulo ten.
func fuzzDigitValue(r rune) rune {
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return (r - start) % 10
}
