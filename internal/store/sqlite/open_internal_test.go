package sqlite

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// codeError is an error with SQLite's result code, as the driver's are.
type codeError int

func (e codeError) Error() string { return fmt.Sprintf("sqlite error (%d)", int(e)) }
func (e codeError) Code() int     { return int(e) }

// TestExplainOpen: SQLite's "unable to open database file" and "attempt to
// write a readonly database" name the file and what to check; other errors
// pass as they are.
func TestExplainOpen(t *testing.T) {
	for _, code := range []int{14, 8, 8 | 3<<8} { // CANTOPEN, READONLY, READONLY_CANTLOCK
		err := explainOpen("/var/lib/pledge/pledge.db", fmt.Errorf("create schema_migrations: %w", codeError(code)))
		if !strings.Contains(err.Error(), "/var/lib/pledge/pledge.db") || !strings.Contains(err.Error(), "may read and write") ||
			!errors.Is(err, codeError(code)) {
			t.Errorf("code %d: %v", code, err)
		}
	}
	for _, err := range []error{codeError(5), errors.New("disk I/O error")} { // BUSY, no code
		if got := explainOpen("x.db", err); got != err {
			t.Errorf("%v became %v", err, got)
		}
	}
}
