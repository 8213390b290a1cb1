package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Who is the actor and address an audit entry records: a username and a
// client address for the console, "cli" and "local" for the command line.
type Who struct {
	Actor  string
	Remote string
}

// Accounts adds and changes admin accounts, recording each change in the
// audit log in the change's own transaction: a change is on record, or not
// made. The command line uses it; so will the console's user pages.
type Accounts struct {
	Store  store.Store
	Params *argon2id.Params // nil: argon2id.DefaultParams
	Now    func() time.Time // nil: time.Now
}

func (ac Accounts) hasher() *hasher {
	p := ac.Params
	if p == nil {
		p = argon2id.DefaultParams
	}
	return &hasher{params: p, slots: make(chan struct{}, 1)}
}

// action is the audit entry of a change by who, stamped now; the store
// writes it in the change's own transaction.
func (ac Accounts) action(who Who, kind, detail string) *pledge.Action {
	return &pledge.Action{At: stamp(ac.Now), Actor: who.Actor, Remote: who.Remote, Kind: kind, Detail: detail}
}

// Add creates the account username with role and password; a taken
// username, or one that differs from a taken one only in case, gives
// pledge.ErrDuplicate: two such names would read as one in the audit log,
// and share one count of failed log-ins.
func (ac Accounts) Add(ctx context.Context, who Who, username string, role pledge.Role, password string) (pledge.User, error) {
	username = pledge.NormaliseUsername(username)
	if err := pledge.ValidUsername(username); err != nil {
		return pledge.User{}, fmt.Errorf("username %q: %w", username, err)
	}
	users, err := ac.Store.Users(ctx)
	if err != nil {
		return pledge.User{}, fmt.Errorf("add user: %w", err)
	}
	for _, u := range users {
		if strings.EqualFold(u.Username, username) && u.Username != username {
			return pledge.User{}, fmt.Errorf("username %q differs from the account %q only in case: %w", username, u.Username, pledge.ErrDuplicate)
		}
	}
	if !role.Valid() {
		return pledge.User{}, fmt.Errorf("role %q: want %s or %s", role, pledge.RoleAdmin, pledge.RoleViewer)
	}
	hash, err := ac.hashNew(ctx, password)
	if err != nil {
		return pledge.User{}, err
	}
	u := pledge.User{Username: username, PasswordHash: hash, Role: role}
	if ac.Now != nil {
		u.CreatedAt = ac.Now().UTC()
	}
	if err := ac.Store.CreateUser(ctx, &u, ac.action(who, KindUserAdd, fmt.Sprintf("username=%s role=%s", username, role))); err != nil {
		return pledge.User{}, fmt.Errorf("add user: %w", err)
	}
	return u, nil
}

// hashNew checks a new password and returns its hash.
func (ac Accounts) hashNew(ctx context.Context, password string) (string, error) {
	if err := ValidPassword(password); err != nil {
		return "", err
	}
	return ac.hasher().hash(ctx, password)
}

// SetPassword replaces the password of username, which ends the account's
// open sessions.
func (ac Accounts) SetPassword(ctx context.Context, who Who, username, password string) error {
	username = pledge.NormaliseUsername(username)
	hash, err := ac.hashNew(ctx, password)
	if err != nil {
		return err
	}
	if err := ac.Store.SetUserPassword(ctx, username, hash, ac.action(who, KindUserPasswd, "username="+username)); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// Disable stops username from logging in and ends its open sessions. An
// account disabled already is left as it is, with no second audit entry:
// the log records changes, and this would be none.
func (ac Accounts) Disable(ctx context.Context, who Who, username string) error {
	username = pledge.NormaliseUsername(username)
	u, err := ac.Store.User(ctx, username)
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	if u.Disabled {
		return nil
	}
	if err := ac.Store.SetUserDisabled(ctx, username, true, ac.action(who, KindUserDisable, "username="+username)); err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	return nil
}

// Enable lets a disabled username log in again, with a new password: no
// password or open session from before it was disabled works again. The
// password is set first (recorded as a password change), so that the
// account is never enabled with the old one.
func (ac Accounts) Enable(ctx context.Context, who Who, username, password string) error {
	username = pledge.NormaliseUsername(username)
	hash, err := ac.hashNew(ctx, password)
	if err != nil {
		return err
	}
	if err := ac.Store.SetUserPassword(ctx, username, hash, ac.action(who, KindUserPasswd, "username="+username)); err != nil {
		return fmt.Errorf("enable user: %w", err)
	}
	if err := ac.Store.SetUserDisabled(ctx, username, false, ac.action(who, KindUserEnable, "username="+username)); err != nil {
		return fmt.Errorf("enable user: %w", err)
	}
	return nil
}
