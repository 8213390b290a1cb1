package loadtest

import (
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestPhoneNumber(t *testing.T) {
	t.Parallel()
	seen := make(map[string]int64)
	check := func(seed int64, n uint64) {
		t.Helper()
		p, err := PhoneNumber(seed, n)
		if err != nil {
			t.Fatalf("PhoneNumber(%d, %d): %v", seed, n, err)
		}
		if !validPhone.MatchString(p) {
			t.Errorf("PhoneNumber(%d, %d) = %q: not a valid mobile number", seed, n, p)
		}
		if s, dup := seen[p]; dup && s != seed {
			t.Errorf("PhoneNumber(%d, %d) = %q, also given to seed %d", seed, n, p, s)
		}
		seen[p] = seed
	}
	// Every block's first and last numbers, and a few in between: distinct
	// seeds below 400 never share a number.
	for seed := int64(0); seed < phoneBlocks; seed++ {
		for _, n := range []uint64{0, 1, 12345, PhoneBlock - 1} {
			check(seed, n)
		}
	}
	if p, _ := PhoneNumber(0, 0); p != "+91 6000000000" {
		t.Errorf("first number = %q", p)
	}
	if p, _ := PhoneNumber(phoneBlocks-1, PhoneBlock-1); p != "+91 9999999999" {
		t.Errorf("last number = %q", p)
	}
	a, _ := PhoneNumber(-1, 5)
	b, _ := PhoneNumber(phoneBlocks-1, 5)
	if a != b {
		t.Errorf("seed -1 gives %q, seed %d gives %q", a, phoneBlocks-1, b)
	}
	if _, err := PhoneNumber(1, PhoneBlock); err == nil {
		t.Error("PhoneNumber past the block: no error")
	}
}

func TestFormatPhone(t *testing.T) {
	t.Parallel()
	for _, number := range []string{"+91 6000000000", "+91 9876543210", "+91 7012345678", "+91 9999999999"} {
		want := strings.ReplaceAll(number, " ", "")
		seen := make(map[string]bool)
		for form := -PhoneForms; form < 2*PhoneForms; form++ {
			s := FormatPhone(number, form)
			got, err := pledge.NormalisePhone(s)
			if err != nil || got != want {
				t.Errorf("FormatPhone(%q, %d) = %q: NormalisePhone gives %q, %v; want %q", number, form, s, got, err, want)
			}
			seen[s] = true
		}
		if len(seen) != PhoneForms {
			t.Errorf("%q: %d distinct written forms, want %d", number, len(seen), PhoneForms)
		}
	}
	for _, want := range []string{"+91 98765 43210", "09876543210", "98765-43210", "0091 98765 43210", "९८७६५ ४३२१०"} {
		found := false
		for form := range PhoneForms {
			found = found || FormatPhone("+91 9876543210", form) == want
		}
		if !found {
			t.Errorf("no form writes %q", want)
		}
	}
}
