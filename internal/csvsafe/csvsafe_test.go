package csvsafe_test

import (
	"testing"

	"github.com/pledgeportal/pledge/internal/csvsafe"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"Asha":       "Asha",
		"=1+2":       "'=1+2",
		"+91":        "'+91",
		"-x":         "'-x",
		"@SUM(A1)":   "'@SUM(A1)",
		"\tx":        "'\tx",
		"\rx":        "'\rx",
		"a=b":        "a=b",
		"******3210": "******3210",
		"उत्तर":      "उत्तर",
	} {
		if got := csvsafe.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
