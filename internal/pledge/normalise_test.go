package pledge_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/pledge"
	"golang.org/x/text/unicode/norm"
)

// wantFieldError fails t unless err is a *pledge.FieldError for field with key.
func wantFieldError(t *testing.T, err error, field, key string) {
	t.Helper()
	var fe *pledge.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error = %v (%T), want *FieldError{%s, %s}", err, err, field, key)
	}
	if fe.Field != field || fe.Key != key {
		t.Fatalf("error = %+v, want {Field:%s Key:%s}", *fe, field, key)
	}
}

func TestNormalisePhoneAccepts(t *testing.T) {
	const want = "+919876543210"
	cases := []string{
		"9876543210",
		"+919876543210",
		"+91 98765-43210",
		"+91-98765-43210",
		"+91 98765 43210",
		"0091 98765 43210",
		"00919876543210",
		"09876543210",
		"0 98765 43210",
		"(+91) 98765 43210",
		"+91 (98765) 43210",
		"919876543210",
		"91 98765 43210",
		"98765 43210",
		"98765-43210",
		"98765.43210",
		"98765\u00a043210",          // no-break space
		"+91\u00a098765\u00a043210", // no-break spaces throughout
		"  9876543210  ",            // leading and trailing spaces
		"९८७६५४३२१०",                // Devanagari digits
		"+९१ ९८७६५-४३२१०",           // Devanagari with country code
		"०९८७६५४३२१०",               // Devanagari trunk prefix
		"98765४३२१०",                // mixed scripts
		"(98765) 43210",
		"+91 098765 43210",         // the trunk 0 after the country code
		"+91 (0) 98765 43210",      // written as in a letterhead
		"+91-0-98765-43210",        //
		"(+91) 098765 43210",       //
		"\uff0b91 9876543210",      // fullwidth plus
		"\uff0b91 (0) 98765 43210", // both
		"\uff0b９１ ９８７６５４３２１０",      // fullwidth throughout
	}
	for _, in := range cases {
		got, err := pledge.NormalisePhone(in)
		if err != nil || got != want {
			t.Errorf("NormalisePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// Every leading digit 6..9 is a mobile number.
	for _, in := range []string{"6000000000", "7123456789", "8999999999", "9000000000"} {
		got, err := pledge.NormalisePhone(in)
		if err != nil || got != "+91"+in {
			t.Errorf("NormalisePhone(%q) = %q, %v; want %q", in, got, err, "+91"+in)
		}
	}
}

func TestNormalisePhoneRefuses(t *testing.T) {
	cases := []struct {
		name, in string
	}{
		{"starts with 0 after trunk", "00876543210"},
		{"starts with 1", "1876543210"},
		{"starts with 2", "2876543210"},
		{"starts with 3", "3876543210"},
		{"starts with 4", "4876543210"},
		{"starts with 5", "5876543210"},
		{"starts with 5 after +91", "+91 58765 43210"},
		{"starts with 0 after 91", "910876543210"},
		{"nine digits", "987654321"},
		{"eleven digits", "98765432101"},
		{"eleven digits with +91", "+91 98765 432101"},
		{"nine digits with +91", "+91 98765 4321"},
		{"twelve digits not 91", "929876543210"},
		{"thirteen digits", "9198765432100"},
		{"foreign country code", "+1 987 654 3210"},
		{"foreign 12 digits", "+44 9876543210"},
		{"plus with ten digits only", "+9876543210"},
		{"plus then 0091", "+0091 98765 43210"},
		{"+91 then two zeros", "+91 00 98765 43210"},
		{"+91 0 then 5", "+91 0 58765 43210"},
		{"+91 0 then nine digits", "+91 0 98765 4321"},
		{"+91 0 then eleven digits", "+91 0 98765 432101"},
		{"0 without a plus before 91", "91 0 98765 43210"},
		{"0091 then 0", "0091 0 98765 43210"},
		{"zero before the plus", "0 +91 98765 43210"},
		{"+0 after another code", "+44 0 98765 43210"},
		{"fullwidth plus twice", "\uff0b\uff0b91 9876543210"},
		{"plus and fullwidth plus", "+\uff0b91 9876543210"},
		{"fullwidth plus in the middle", "98765\uff0b43210"},
		{"fullwidth plus with ten digits only", "\uff0b9876543210"},
		{"double plus", "++919876543210"},
		{"plus plus spaced", "+ +91 9876543210"},
		{"plus in the middle", "98765+43210"},
		{"plus at the end", "9876543210+"},
		{"letters", "98765abcde"},
		{"letter o for zero", "98765432l0"},
		{"vanity", "CALL-NOW-98"},
		{"slash", "98765/43210"},
		{"underscore", "98765_43210"},
		{"hash", "#9876543210"},
		{"extension", "9876543210 ext 1"},
		{"only separators", "--- ..."},
		{"only plus", "+"},
		{"65 chars", strings.Repeat(" ", 55) + "9876543210"},
		{"very long", strings.Repeat("9", 1000)},
		{"invalid utf8", "98765\xff43210"},
		{"nul", "98765\x0043210"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pledge.NormalisePhone(c.in)
			if err == nil {
				t.Fatalf("NormalisePhone(%q) = %q, want error", c.in, got)
			}
			if got != "" {
				t.Errorf("NormalisePhone(%q) returned %q alongside its error", c.in, got)
			}
			wantFieldError(t, err, "phone", pledge.MsgPhoneInvalid)
		})
	}
}

func TestNormalisePhoneLengthLimit(t *testing.T) {
	// 64 bytes is still read; 65 is refused before looking at it.
	at64 := strings.Repeat(" ", 54) + "9876543210"
	if len(at64) != 64 {
		t.Fatalf("fixture has %d bytes", len(at64))
	}
	if got, err := pledge.NormalisePhone(at64); err != nil || got != "+919876543210" {
		t.Errorf("64-byte input: %q, %v", got, err)
	}
	_, err := pledge.NormalisePhone(" " + at64)
	wantFieldError(t, err, "phone", pledge.MsgPhoneInvalid)
}

func TestNormalisePhoneRequired(t *testing.T) {
	for _, in := range []string{"", " ", "\t\n", "\u00a0", " \u00a0 "} {
		got, err := pledge.NormalisePhone(in)
		if got != "" {
			t.Errorf("NormalisePhone(%q) = %q", in, got)
		}
		wantFieldError(t, err, "phone", pledge.MsgPhoneRequired)
	}
}

func TestNormaliseName(t *testing.T) {
	composed := "Ren\u00e9e"    // é as one code point
	decomposed := "Rene\u0301e" // e + combining acute
	cases := []struct {
		name, in, want string
	}{
		{"plain", "Asha Devi", "Asha Devi"},
		{"trims", "  Asha Devi \t\n", "Asha Devi"},
		{"collapses", "Asha   \t Devi", "Asha Devi"},
		{"collapses unicode spaces", "Asha\u00a0\u2003\u3000Devi", "Asha Devi"},
		{"line separator is space", "Asha\u2028Devi", "Asha Devi"},
		{"NFC composed", composed, composed},
		{"NFC decomposed", decomposed, composed},
		{"Devanagari", "आशा देवी", "आशा देवी"},
		{"Devanagari conjunct with ZWJ", "क्\u200dष", "क्\u200dष"},
		{"Devanagari with ZWNJ", "क्\u200cष", "क्\u200cष"},
		// क़ (U+0958) is a composition exclusion: NFC writes it as क + nukta.
		{"Devanagari nukta stays decomposed", "\u0915\u093c", "\u0915\u093c"},
		{"Devanagari precomposed nukta", "\u0958", "\u0915\u093c"},
		{"Tamil", "முருகன்", "முருகன்"},
		{"Bengali", "রবীন্দ্রনাথ ঠাকুর", "রবীন্দ্রনাথ ঠাকুর"},
		{"Urdu", "عمران خان", "عمران خان"},
		{"initials and punctuation", "A. P. J. Abdul Kalam", "A. P. J. Abdul Kalam"},
		{"apostrophe and hyphen", "D'Souza-Rao", "D'Souza-Rao"},
		{"digits with a letter", "Ravi 2", "Ravi 2"},
		{"single letter", "x", "x"},
		{"Ol Chiki (Santali)", "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ", "ᱥᱟᱱᱛᱟᱲ ᱢᱩᱨᱢᱩ"},
		{"Meetei Mayek (Manipuri)", "ꯃꯤꯇꯩ ꯃꯌꯦꯛ", "ꯃꯤꯇꯩ ꯃꯌꯦꯛ"},
		{"Vietnamese", "Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"},
		{"Greek", "Σωκράτης", "Σωκράτης"},
		{"Cyrillic", "Юрий Гагарин", "Юрий Гагарин"},
		{"typographic apostrophe", "O’Brien", "O’Brien"},
		{"backtick for an apostrophe", "D`Souza", "D`Souza"},
		{"brackets and a full stop", "Ravi Kumar (Jr.)", "Ravi Kumar (Jr.)"},
		{"Devanagari danda", "श्री। राम", "श्री। राम"},
		// Copied from a chat or a contact card: direction marks around it.
		{"wrapped in an embedding", "\u202aRavi Kumar\u202c", "Ravi Kumar"},
		{"wrapped in an isolate", "\u2068आशा देवी\u2069", "आशा देवी"},
		{"trailing LRM", "Asha\u200e", "Asha"},
		{"leading BOM", "\ufeffAsha", "Asha"},
		{"marks and spaces around", " \u200f Asha \u200e ", "Asha"},
		{"Malayalam chillu as virama and ZWJ, at the end", "മേനോന്\u200d", "മേനോന്\u200d"},
		{"four marks on a letter", "Rx" + strings.Repeat("\u0301", 4) + "vi", "Rx" + strings.Repeat("\u0301", 4) + "vi"},
		{"Devanagari nukta, vowel sign and candrabindu", "\u0915\u093c\u0947\u0901", "\u0915\u093c\u0947\u0901"},
		{"Malayalam chillu, then a direction mark", "മേനോന്\u200d\u200e", "മേനോന്\u200d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pledge.NormaliseName(c.in)
			if err != nil || got != c.want {
				t.Fatalf("NormaliseName(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
		})
	}
	a, _ := pledge.NormaliseName(composed)
	b, _ := pledge.NormaliseName(decomposed)
	if a != b {
		t.Errorf("composed and decomposed forms differ: %q vs %q", a, b)
	}
}

func TestNormaliseNameRefuses(t *testing.T) {
	cases := []struct {
		name, in, key string
	}{
		{"empty", "", pledge.MsgNameRequired},
		{"spaces only", "  \t\u00a0 ", pledge.MsgNameRequired},
		{"NUL", "Asha\x00Devi", pledge.MsgNameInvalid},
		{"bell", "Asha\aDevi", pledge.MsgNameInvalid},
		{"escape", "\x1b[31mAsha", pledge.MsgNameInvalid},
		{"DEL", "Asha\x7f", pledge.MsgNameInvalid},
		{"C1 control", "Asha\u0090", pledge.MsgNameInvalid},
		{"RLO bidi override", "Asha\u202eivaD", pledge.MsgNameInvalid},
		{"LRO bidi override", "As\u202dha", pledge.MsgNameInvalid},
		{"RLI isolate", "Asha\u2067x", pledge.MsgNameInvalid},
		{"tag character", "As\U000E0041ha", pledge.MsgNameInvalid},
		{"zero width space only", "\u200b", pledge.MsgNameRequired},
		{"soft hyphens and a space", "\u00ad \u00ad", pledge.MsgNameRequired},
		{"word joiner beside an override", "As\u2060\u202eha", pledge.MsgNameInvalid},
		{"replacement char", "Asha\ufffd", pledge.MsgNameInvalid},
		{"invalid utf8", "Asha\xff", pledge.MsgNameInvalid},
		{"truncated utf8", "आश\xe0\xa4", pledge.MsgNameInvalid},
		{"overlong utf8", "\xc0\xafAsha", pledge.MsgNameInvalid},
		{"surrogate utf8", "\xed\xa0\x80Asha", pledge.MsgNameInvalid},
		{"digits only", "12345", pledge.MsgNameNoLetters},
		{"Devanagari digits only", "१२३", pledge.MsgNameNoLetters},
		{"punctuation only", "...", pledge.MsgNameNoLetters},
		{"symbols only", "-- !! ??", pledge.MsgNameNoLetters},
		{"emoji only", "🙏🗳️", pledge.MsgNameLetters},
		{"hyphen only", "-", pledge.MsgNameNoLetters},
		{"digits and punctuation", "12.345-6", pledge.MsgNameNoLetters},
		{"combining mark only", "\u0301", pledge.MsgNameInvalid},
		{"ZWJ only", "\u200d", pledge.MsgNameNoLetters},
		{"five marks on a letter", "Ravix" + strings.Repeat("\u0301", 5), pledge.MsgNameInvalid},
		{"thirty marks stacked", "Ravi A" + strings.Repeat("\u0301", 30) + " Kumar", pledge.MsgNameInvalid},
		{"too long ASCII", strings.Repeat("a", 101), pledge.MsgNameTooLong},
		{"too long Devanagari", strings.Repeat("क", 101), pledge.MsgNameTooLong},
		{"too long after collapsing", strings.Repeat("a ", 50) + "ab", pledge.MsgNameTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pledge.NormaliseName(c.in)
			if got != "" {
				t.Errorf("NormaliseName(%q) returned %q alongside its error", c.in, got)
			}
			wantFieldError(t, err, "name", c.key)
		})
	}
}

// A name the certificate cannot draw, every character of it, is refused
// with its own message: emoji, symbols and scripts it has no font for
// would print as empty boxes.
func TestNormaliseNameRefusesWhatCertificatesCannotDraw(t *testing.T) {
	for _, in := range []string{
		"Ravi 🇮🇳 Kumar 🙏", "Asha 😊", "Asha\u2764\ufe0f", "Asha ★", "Asha ♥ Devi", "✓ Asha", "Asha ©",
		"Ravi ₹", "Ravi + Asha", "Asha = Devi", "Asha ~", "Asha^", "Asha | Devi",
		"李小龍", "김민수", "สมชาย", "ትግርኛ", "ᚠᚢᚦ Asha", "Ｒａｖｉ", // Han, Hangul, Thai, Ethiopic, runes, fullwidth Latin
		"Asha\U0001d400", // mathematical bold capital A
		"ଓ\u0b55",        // Oriya sign overline: newer than the font
	} {
		got, err := pledge.NormaliseName(in)
		if got != "" {
			t.Errorf("NormaliseName(%q) = %q alongside its error", in, got)
		}
		wantFieldError(t, err, "name", pledge.MsgNameLetters)
	}
}

func TestNormaliseNameLength(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"100 ASCII", strings.Repeat("a", 100), true},
		{"101 ASCII", strings.Repeat("a", 101), false},
		// Devanagari: 3 bytes a rune, but runes are what count.
		{"100 Devanagari runes", strings.Repeat("क", 100), true},
		{"101 Devanagari runes", strings.Repeat("क", 101), false},
		// 100 decomposed é are 200 runes before NFC and 100 after.
		{"100 after NFC", strings.Repeat("e\u0301", 100), true},
		{"101 after NFC", strings.Repeat("e\u0301", 101), false},
		// Spaces collapse before counting.
		{"100 after collapsing", "a" + strings.Repeat(" ", 300) + strings.Repeat("b", 98), true},
		{"surrounding spaces are not counted", "   " + strings.Repeat("a", 100) + "   ", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pledge.NormaliseName(c.in)
			if c.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if n := utf8.RuneCountInString(got); n != pledge.MaxNameLen {
					t.Fatalf("got %d runes, want %d", n, pledge.MaxNameLen)
				}
				return
			}
			wantFieldError(t, err, "name", pledge.MsgNameTooLong)
		})
	}
}

func TestNormaliseNameIsNFC(t *testing.T) {
	// Bengali ো is written ে + া and composes to one character.
	for _, in := range []string{"Rene\u0301e", "A\u030a", "\u09a8\u09c7\u09be", "क्\u200dष"} {
		got, err := pledge.NormaliseName(in)
		if err != nil {
			t.Fatalf("NormaliseName(%q): %v", in, err)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Errorf("NormaliseName(%q) = %q is not NFC", in, got)
		}
	}
}

func TestNormaliseEmail(t *testing.T) {
	ok := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"asha@example.org", "asha@example.org"},
		{"  asha@example.org  ", "asha@example.org"},
		{"Asha@EXAMPLE.ORG", "Asha@example.org"}, // local part keeps its case
		{"asha.devi+pledge@mail.example.co.in", "asha.devi+pledge@mail.example.co.in"},
		{"a@b.in", "a@b.in"},
	}
	for _, c := range ok {
		got, err := pledge.NormaliseEmail(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormaliseEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if got != "" {
			again, err := pledge.NormaliseEmail(got)
			if err != nil || again != got {
				t.Errorf("NormaliseEmail not idempotent on %q: %q, %v", got, again, err)
			}
		}
	}
	bad := []string{
		"asha",
		"asha@",
		"@example.org",
		"asha@localhost",          // no dot in the domain
		"asha@example.org.",       // trailing dot
		"Asha <asha@example.org>", // display name
		"<asha@example.org>",      // angle brackets
		"asha@example.org (Asha)",
		"asha@@example.org",
		"asha @example.org",
		"asha@exa mple.org",
		"a@b.org, c@d.org",
		strings.Repeat("a", 250) + "@b.org", // 256 bytes
	}
	for _, in := range bad {
		got, err := pledge.NormaliseEmail(in)
		if got != "" {
			t.Errorf("NormaliseEmail(%q) = %q, want refusal", in, got)
		}
		wantFieldError(t, err, "email", pledge.MsgEmailInvalid)
	}
	// 254 bytes is the limit.
	at254 := strings.Repeat("a", 254-len("@example.org")) + "@example.org"
	if _, err := pledge.NormaliseEmail(at254); err != nil {
		// Local parts above 64 octets are not RFC-valid, but net/mail accepts
		// them; the portal only bounds the total length.
		t.Errorf("254-byte address refused: %v", err)
	}
	if _, err := pledge.NormaliseEmail("a" + at254); err == nil {
		t.Errorf("255-byte address accepted")
	}
}

func TestMaskEmail(t *testing.T) {
	cases := []struct{ in, want string }{
		{"asha9876543210@exmaple.org", "a•••0@exmaple.org"},
		{"Asha.Verma@gmail.co", "A•••a@gmail.co"},
		{"ab@x.in", "a•••@x.in"},
		{"a@x.in", "a•••@x.in"},
		{"राम@डाटामेल.भारत", "र•••म@डाटामेल.भारत"},
		{"", ""},
		{"@x.in", ""},
	}
	for _, c := range cases {
		if got := pledge.MaskEmail(c.in); got != c.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"+919876543210", "******3210"},
		{"+916000000001", "******0001"},
		{"", "****"},
		{"12", "****"},
		{"123", "****"},
	}
	for _, c := range cases {
		if got := pledge.MaskPhone(c.in); got != c.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := pledge.MaskPhone("+919876543210")
	if strings.Contains(got, "98765") || strings.Contains(got, "+91") {
		t.Errorf("mask %q reveals more than the last four digits", got)
	}
}

// TestNormalisePhonePastedForms lists forms people paste from documents and
// phones in other Indian scripts. Devanagari digits and U+00A0 are accepted,
// but these close relatives are not.
func TestNormalisePhonePastedForms(t *testing.T) {
	for _, in := range []string{
		"৯৮৭৬৫৪৩২১০",                  // Bengali digits
		"૯૮૭૬૫૪૩૨૧૦",                  // Gujarati digits
		"௯௮௭௬௫௪௩௨௧௦",                  // Tamil digits
		"98765\u202f43210",            // narrow no-break space
		"98765\u200943210",            // thin space
		"98765\t43210",                // tab
		"98765\u201343210",            // en dash
		"98765\u201043210",            // Unicode hyphen
		"９８７６５４３２１０",                  // fullwidth digits
		"۹۸۷۶۵۴۳۲۱۰",                  // Extended Arabic-Indic digits (Urdu)
		"٩٨٧٦٥٤٣٢١٠",                  // Arabic-Indic digits
		"\u202a+91 98765 43210\u202c", // copied from a contact: an embedding around it
		"\u2066+91 98765 43210\u2069", // or an isolate
		"\u200e+91 98765 43210",       // or a direction mark
		"98765\u200b43210",            // a zero-width space inside
		"\ufeff9876543210",            // a byte-order mark
	} {
		if got, err := pledge.NormalisePhone(in); err != nil || got != "+919876543210" {
			t.Errorf("NormalisePhone(%q) = %q, %v", in, got, err)
		}
	}
}

// TestNormaliseNameInvisible: names that print as nothing, or start with a
// mark that has no base character, pass the "has a letter" test.
func TestNormaliseNameInvisible(t *testing.T) {
	for _, in := range []string{"\u3164", "\u115f", "\uffa0", "\u3164\u3164 \u3164", " \u0301Asha"} {
		if got, err := pledge.NormaliseName(in); err == nil {
			t.Errorf("NormaliseName(%q) = %q, accepted", in, got)
		}
	}
}

// Invisible characters pasted inside a name are dropped, not refused: the
// name is accepted as it reads. ZWJ and ZWNJ, which shape Indic letters,
// stay.
func TestNormaliseNameDropsInvisible(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"रवि\u200bकुमार", "रविकुमार"},      // zero width space
		{"Ravi\u00adKumar", "RaviKumar"},    // soft hyphen
		{"Asha\ufeff Devi", "Asha Devi"},    // byte-order mark
		{"\ufeffAsha Devi", "Asha Devi"},    // at the start
		{"Asha\u2060Devi", "AshaDevi"},      // word joiner
		{"Asha\u180eDevi", "AshaDevi"},      // Mongolian vowel separator
		{"Asha \u200b Devi", "Asha Devi"},   // between spaces: still one space
		{"Rene\u200b\u0301e", "Ren\u00e9e"}, // the mark composes with its letter
		{"क्\u200dष\u200bा", "क्\u200dषा"},  // ZWJ stays
		{"Ra\u00ad\u00ad\u00advi", "Ravi"},  // several in a row
		{"As\u200eha", "Asha"},              // left-to-right mark
		{"عمران\u200f Khan", "عمران Khan"},  // right-to-left mark
		{"عمران\u061c خان", "عمران خان"},    // Arabic letter mark
	} {
		got, err := pledge.NormaliseName(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormaliseName(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
