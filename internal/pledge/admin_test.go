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
		"deo admin", "deo/1", "deo\x00", "\xff\xfe", "deo:1",
		"deo\u034f", "deo\ufe00", "\u0301\u0301", "\u093fab", "-\u0301ab", // invisible marks, marks on nothing
		"e\u0301mile",                      // not composed: é is one character in NFC
		"cli", "CLI", "citizen", "Citizen", // the audit log's actors that are no account
	} {
		if err := pledge.ValidUsername(bad); err == nil {
			t.Errorf("ValidUsername(%q) accepted", bad)
		}
	}
}

func TestNormaliseUsername(t *testing.T) {
	// Two spellings of one name are one name, and a valid one.
	for _, pair := range [][2]string{{"e\u0301mile", "\u00e9mile"}, {"\u0958ab", "\u0915\u093cab"}} {
		a, b := pledge.NormaliseUsername(pair[0]), pledge.NormaliseUsername(pair[1])
		if a != b || pledge.ValidUsername(a) != nil {
			t.Errorf("%q and %q normalise to %q and %q (%v), want one valid name", pair[0], pair[1], a, b, pledge.ValidUsername(a))
		}
	}
}
