package admin

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzPledgeNumber: a certificate number typed into the console's search
// is a positive number written in ASCII digits, perhaps after "#" and
// spaces, or refused; never a number the text does not say.
func FuzzPledgeNumber(f *testing.F) {
	for _, s := range []string{"1", "#12", " 0042 ", "0", "-1", "+3", "१२", "9223372036854775808", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := pledgeNumber(s)
		if !ok {
			if n != 0 {
				t.Errorf("pledgeNumber(%q) refused with %d", s, n)
			}
			return
		}
		digits := strings.TrimPrefix(strings.TrimSpace(s), "#")
		if n < 1 || strings.TrimLeft(digits, "0") != strconv.FormatInt(n, 10) {
			t.Errorf("pledgeNumber(%q) = %d", s, n)
		}
	})
}
