package loadtest

import (
	"fmt"
	"strings"
)

// PhoneBlock is how many distinct phone numbers one seed owns. A run that
// needs more stops with an error rather than reuse a number.
const PhoneBlock = 10_000_000

// phoneBlocks is how many blocks fit in the 4·10⁹ ten-digit numbers that
// begin with 6, 7, 8 or 9.
const phoneBlocks = 4_000_000_000 / PhoneBlock

// PhoneNumber returns the n-th phone number (n counting from zero) of the
// block owned by seed, as "+91 " followed by ten digits.
//
// The ten-digit numbers beginning with 6, 7, 8 or 9 are indexed 0..4·10⁹-1
// (index i is the number (6 + i/10⁹)·10⁹ + i mod 10⁹) and cut into 400
// blocks of PhoneBlock numbers. Seed s owns block s mod 400 (taken
// non-negative), and the n-th number is index block·PhoneBlock + n.
// Hence two runs never submit the same number provided their seeds differ
// modulo 400 and neither sends PhoneBlock or more requests. With Unix-time
// seeds, runs collide only if started a multiple of 400 s apart.
func PhoneNumber(seed int64, n uint64) (string, error) {
	if n >= PhoneBlock {
		return "", fmt.Errorf("loadtest: phone block of seed %d exhausted after %d numbers", seed, PhoneBlock)
	}
	block := seed % phoneBlocks
	if block < 0 {
		block += phoneBlocks
	}
	i := uint64(block)*PhoneBlock + n
	return fmt.Sprintf("+91 %d%09d", 6+i/1_000_000_000, i%1_000_000_000), nil
}

// PhoneForms is the number of written forms FormatPhone knows.
const PhoneForms = len(phoneForms)

// phoneForms writes a ten-digit mobile number the ways people type it into
// a form. Every one is accepted by the portal and normalises to the same
// E.164 number.
var phoneForms = [...]func(d string) string{
	func(d string) string { return "+91 " + d },                            // +91 9876543210
	func(d string) string { return "+91 " + d[:5] + " " + d[5:] },          // +91 98765 43210
	func(d string) string { return "+91-" + d[:5] + "-" + d[5:] },          // +91-98765-43210
	func(d string) string { return "+91" + d },                             // +919876543210
	func(d string) string { return "0" + d },                               // 09876543210
	func(d string) string { return "0" + d[:5] + " " + d[5:] },             // 098765 43210
	func(d string) string { return d },                                     // 9876543210
	func(d string) string { return d[:5] + " " + d[5:] },                   // 98765 43210
	func(d string) string { return d[:5] + "-" + d[5:] },                   // 98765-43210
	func(d string) string { return "0091 " + d[:5] + " " + d[5:] },         // 0091 98765 43210
	func(d string) string { return "(+91) " + d[:5] + "-" + d[5:] },        // (+91) 98765-43210
	func(d string) string { return "91" + d },                              // 919876543210
	func(d string) string { return devanagariDigits(d[:5] + " " + d[5:]) }, // ९८७६५ ४३२१०
}

// FormatPhone writes number, as returned by PhoneNumber, in written form
// form (taken modulo PhoneForms): "+91 98765 43210", "09876543210",
// "98765-43210" with other separators, or in Devanagari digits.
func FormatPhone(number string, form int) string {
	d := strings.TrimPrefix(number, "+91 ")
	if len(d) != 10 {
		return number
	}
	form %= PhoneForms
	if form < 0 {
		form += PhoneForms
	}
	return phoneForms[form](d)
}

// devanagariDigits replaces the ASCII digits of s by Devanagari ones.
func devanagariDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '०' + (r - '0')
		}
		return r
	}, s)
}
