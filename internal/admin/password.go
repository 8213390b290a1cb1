package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// Password rules.
const (
	MinPasswordLength = 10   // characters
	maxPasswordLength = 1024 // bytes; argon2id takes any length, the server need not
	hashSlots         = 2    // argon2id runs at once (64 MiB each with the default parameters)
)

// ValidPassword reports whether pw may be an account's password.
func ValidPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return fmt.Errorf("a password has at least %d characters", MinPasswordLength)
	}
	if len(pw) > maxPasswordLength {
		return fmt.Errorf("a password has at most %d bytes", maxPasswordLength)
	}
	if !utf8.ValidString(pw) {
		return errors.New("a password must be valid UTF-8")
	}
	return nil
}

// hasher hashes and checks passwords with argon2id, a few at a time so a
// burst of log-ins cannot take all memory.
type hasher struct {
	params *argon2id.Params
	dummy  string // a hash of nothing anyone knows, for unknown usernames
	slots  chan struct{}
}

func newHasher(p *argon2id.Params) (*hasher, error) {
	if p == nil {
		p = argon2id.DefaultParams
	}
	dummy, err := argon2id.CreateHash(rand.Text(), p)
	if err != nil {
		return nil, fmt.Errorf("dummy hash: %w", err)
	}
	return &hasher{params: p, dummy: dummy, slots: make(chan struct{}, hashSlots)}, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait to hash: %w", ctx.Err())
	}
}

func (h *hasher) release() { <-h.slots }

// hash returns pw's argon2id hash in its standard encoded form.
func (h *hasher) hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	s, err := argon2id.CreateHash(pw, h.params)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return s, nil
}

// verify reports whether pw matches hash. An empty hash (no such account)
// is checked against the dummy hash and never matches, taking as long as a
// real check so that response times do not tell which usernames exist.
func (h *hasher) verify(ctx context.Context, pw, hash string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(pw, h.dummy)
		return false, nil
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	return ok, nil
}
