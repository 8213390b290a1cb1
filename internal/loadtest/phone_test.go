package loadtest

import "testing"

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
