package pledge_test

import (
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestFormatIST(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 3, 2, h, m, 0, 0, pledge.IST).UTC() }
	cases := []struct {
		lang string
		t    time.Time
		want string
	}{
		{"en", at(17, 30), "2 March 2026, 5:30 pm IST"},
		{"en", at(0, 5), "2 March 2026, 12:05 am IST"},
		{"en", at(12, 0), "2 March 2026, 12:00 pm IST"},
		{"hi", at(17, 30), "2 मार्च 2026, शाम 5:30 बजे IST"},
		{"hi", at(9, 0), "2 मार्च 2026, सुबह 9:00 बजे IST"},
		{"hi", at(12, 0), "2 मार्च 2026, दोपहर 12:00 बजे IST"},
		{"hi", at(0, 5), "2 मार्च 2026, रात 12:05 बजे IST"},
		{"hi", at(3, 59), "2 मार्च 2026, रात 3:59 बजे IST"},
		{"hi", at(20, 0), "2 मार्च 2026, रात 8:00 बजे IST"},
		// Midnight: the start of the day it begins, not the end of the one before.
		{"en", at(0, 0), "2 March 2026, 00:00 IST (start of the day)"},
		{"hi", at(0, 0), "2 मार्च 2026, 00:00 बजे IST (दिन की शुरुआत)"},
		{"hi", at(0, 0).Add(59 * time.Second), "2 मार्च 2026, 00:00 बजे IST (दिन की शुरुआत)"},
		// The date is India's, not UTC's.
		{"en", time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC), "2 March 2026, 1:30 am IST"},
	}
	for _, c := range cases {
		if got := pledge.FormatIST(c.lang, c.t); got != c.want {
			t.Errorf("FormatIST(%s, %v) = %q, want %q", c.lang, c.t, got, c.want)
		}
	}
}
