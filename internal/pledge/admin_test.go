package pledge_test

import (
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestValidUsername(t *testing.T) {
	for _, ok := range []string{"deo", "deo.bilaspur", "ro_12-a@x", "कमल", "बिलासपुर",
		"जिलानिर्वाचनअधिकारीबिलासपुर", strings.Repeat("ब", 64), "ab"} {
		if err := pledge.ValidUsername(ok); err != nil {
			t.Errorf("ValidUsername(%q) = %v, want accepted", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "ब", strings.Repeat("a", 65), strings.Repeat("ब", 65),
		"deo admin", "deo/1", "deo\x00", "\xff\xfe", "deo:1"} {
		if err := pledge.ValidUsername(bad); err == nil {
			t.Errorf("ValidUsername(%q) accepted", bad)
		}
	}
}
