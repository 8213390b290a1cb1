package pledge_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestMaskName(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"latin", "Ravi Kumar", "R*** K***"},
		{"one word", "Asha", "A***"},
		{"one letter", "A", "A***"},
		{"devanagari", "रवि कुमार", "र*** कु***"}, // ु stays with क
		{"vowel sign after the first letter", "सुनीता देवी", "सु*** दे***"}, // and nothing more
		{"conjunct", "क्षितिज श्रीवास्तव", "क*** श***"},                     // the virama and what it joins stay hidden
		{"nukta before a virama", "\u0915\u093c\u094d\u0937", "\u0915\u093c***"},
		{"tamil pulli", "க்ருஷ்ணா", "க***"},
		{"nukta", "\u091c\u093c\u093e\u0915\u093f\u0930", "\u091c\u093c\u093e***"}, // ज़ाकिर: NFC keeps the nukta apart
		{"candrabindu", "चाँद", "चाँ***"},
		{"independent vowel", "ऐश्वर्या राय", "ऐ*** रा***"},
		{"mixed scripts", "Ravi कुमार", "R*** कु***"},
		{"tamil", "முருகன்", "மு***"},
		{"bengali", "সুনীল", "সু***"},
		{"initials", "R. K. Narayan", "R*** K*** N***"},
		{"surrounding and inner space", "  Ravi \t Kumar  ", "R*** K***"},
		{"empty", "", ""},
		{"only space", "   ", ""},
		{"accent decomposed", "E\u0301milie", "E\u0301***"},
		{"zalgo", "Z" + strings.Repeat("\u0301", 50) + "algo", "Z" + strings.Repeat("\u0301", 4) + "***"},
		{"invalid UTF-8", "\xffabc d\xff", "\uFFFD*** d***"},
		{"mark opens a later word", "a \u093f", "a*** \u093f***"},
		{"punctuation before the first letter", "(Dr.) Ravi Kumar", "(D*** R*** K***"},
		{"quoted nickname", "'Appu' Nair", "'A*** N***"},
		{"only punctuation", "- Ravi", "-*** R***"},
		{"long punctuation", "((((Ravi", "(***"},
		{"devanagari in quotes", "\"रवि\"", "\"र***"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pledge.MaskName(tc.in); got != tc.want {
				t.Errorf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzMaskName: whatever the name, MaskName does not panic, writes valid
// UTF-8, keeps one masked word per word, and shows of each word only its
// first rune and the combining marks that follow it (one grapheme).
func FuzzMaskName(f *testing.F) {
	for _, s := range []string{"Ravi Kumar", "रवि कुमार", "क्षमा", "", " ", "\xff", "a\u0301\u0301 b", "***", "ਸੁਖਵਿੰਦਰ ਸਿੰਘ", "क्षितिज श्रीवास्तव", "क\u093c\u094d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := pledge.MaskName(name)
		if !utf8.ValidString(got) {
			t.Fatalf("MaskName(%q) = %q: not valid UTF-8", name, got)
		}
		in, out := strings.Fields(name), strings.Fields(got)
		if len(in) != len(out) {
			t.Fatalf("MaskName(%q) = %q: %d words from %d", name, got, len(out), len(in))
		}
		for i, w := range out {
			shown, ok := strings.CutSuffix(w, "***")
			if !ok || shown == "" {
				t.Fatalf("MaskName(%q) word %q: want a character and ***", name, w)
			}
			// Punctuation before the first letter, three marks at most, is
			// shown as it stands.
			lead := strings.IndexFunc(shown, func(r rune) bool { return !unicode.IsPunct(r) && !unicode.IsSymbol(r) })
			if r, _ := utf8.DecodeRuneInString(shown[max(lead, 0):]); lead > 0 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				if !strings.HasPrefix(in[i], shown[:lead]) || utf8.RuneCountInString(shown[:lead]) > 3 {
					t.Fatalf("MaskName(%q) word %q: the punctuation before its letter is not %q's", name, w, in[i])
				}
				shown, in[i] = shown[lead:], in[i][lead:]
			}
			first, size := utf8.DecodeRuneInString(in[i])
			if r, _ := utf8.DecodeRuneInString(shown); r != first {
				t.Fatalf("MaskName(%q) word %q does not start as %q does", name, w, in[i])
			}
			rest := shown[utf8.RuneLen(first):]
			if first != utf8.RuneError && !strings.HasPrefix(in[i][size:], rest) {
				t.Fatalf("MaskName(%q) word %q shows what %q does not begin with", name, w, in[i])
			}
			for _, r := range rest {
				if !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
					t.Fatalf("MaskName(%q) word %q shows %q after the first character: more than one grapheme", name, w, r)
				}
			}
			if strings.ContainsAny(rest, "\u094d\u09cd\u0bcd\u0c4d\u0ccd\u0d4d\u0a4d\u0acd\u0b4d") {
				t.Fatalf("MaskName(%q) word %q shows a virama: the start of a conjunct", name, w)
			}
			if n := utf8.RuneCountInString(rest); n > 4 {
				t.Fatalf("MaskName(%q) word %q keeps %d marks", name, w, n)
			}
		}
	})
}
