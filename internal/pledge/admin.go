package pledge

import (
	"errors"
	"time"
	"unicode"
	"unicode/utf8"
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

// ValidUsername reports whether s can name an account: 2-64 characters,
// letters (with their combining marks, such as Devanagari vowel signs),
// digits, dots, dashes, underscores or @.
func ValidUsername(s string) error {
	if n := utf8.RuneCountInString(s); n < 2 || n > 64 || !utf8.ValidString(s) {
		return errors.New("a username has 2 to 64 characters")
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' && r != '@' {
			return errors.New("a username has only letters, digits, '.', '-', '_' and '@'")
		}
	}
	return nil
}

// Action is one entry of the admin audit log: who did what, when, from where.
type Action struct {
	ID     int64
	At     time.Time
	Actor  string // username, or "" for an anonymous attempt
	Remote string // client address
	Kind   string // e.g. "login", "login-failed", "logout", "user-add"
	Detail string // what exactly, free text
}
