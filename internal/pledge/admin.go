package pledge

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Role is what an admin account may do.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"  // everything
	RoleViewer Role = "viewer" // dashboards and aggregate exports only
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleViewer }

// User is an account of the admin console.
type User struct {
	ID           int64
	Username     string
	PasswordHash string // argon2id, in its standard encoded form
	Role         Role
	Disabled     bool
	CreatedAt    time.Time
}

// The audit log's actors that are no account: the command line (pledge
// user ...) and a citizen correcting their own pledge. No account may take
// either name, so that an entry by one cannot pass for the other's.
const (
	ActorCLI     = "cli"
	ActorCitizen = "citizen"
)

// KindPledgeName is the audit log's kind of a pledge's name corrected,
// written by the console and by the citizen's own page alike, so that an
// operator reads the citizen's corrections beside the admins'.
const KindPledgeName = "pledge-name"

// ValidUsername reports whether s can name an account: 2-64 characters,
// letters (with the combining marks that follow them, such as Devanagari
// vowel signs), digits, dots, dashes, underscores or @, in Unicode's
// composed form (NFC, see NormaliseUsername). Marks that show nothing
// (variation selectors, the grapheme joiner) are refused: two names must
// not read alike. The actors ActorCLI and ActorCitizen, in any case, are
// refused too.
func ValidUsername(s string) error {
	if n := utf8.RuneCountInString(s); n < 2 || n > 64 || !utf8.ValidString(s) {
		return errors.New("a username has 2 to 64 characters")
	}
	if l := strings.ToLower(s); l == ActorCLI || l == ActorCitizen {
		return fmt.Errorf("%q is how the audit log names the command line and citizens: choose another username", s)
	}
	if !norm.NFC.IsNormalString(s) {
		return errors.New("a username must be in Unicode's composed form (NFC)")
	}
	prev := rune(0)
	for _, r := range s {
		mark := unicode.IsMark(r)
		if mark && !(unicode.IsLetter(prev) || unicode.IsMark(prev)) ||
			unicode.In(r, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point) {
			return errors.New("a username's marks (such as vowel signs) follow a letter, and none is invisible")
		}
		prev = r
		if !unicode.IsLetter(r) && !mark && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' && r != '@' {
			return errors.New("a username has only letters, digits, '.', '-', '_' and '@'")
		}
	}
	return nil
}

// NormaliseUsername puts a typed username in the form accounts are stored
// in: Unicode's composed form (NFC), so that one name typed two ways is
// one name.
func NormaliseUsername(s string) string { return norm.NFC.String(s) }

// Action is one entry of the admin audit log: who did what, when, from where.
type Action struct {
	ID     int64
	At     time.Time
	Actor  string // username, or "" for an anonymous attempt
	Remote string // client address
	Kind   string // e.g. "login", "login-failed", "logout", "user-add"
	Detail string // what exactly, free text
	// Campaign is the slug of the campaign the action was on, or "" for
	// one on none (a log-in, an account): the audit log is filtered by it.
	Campaign string
}
