package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// loginData is what the log-in page shows.
type loginData struct {
	CSRF     string
	Username string
	Error    string
	Next     string // the console's page to go on to (nextPage)
	Ended    bool   // the browser's session has ended: say so
}

func (a *Admin) loginPage(w http.ResponseWriter, r *http.Request, status int, username, msg string) error {
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	d := loginData{CSRF: a.csrfToken(r), Username: username, Error: msg, Next: nextPage(next),
		Ended: r.URL.Query().Get("ended") == "1" && msg == ""}
	a.render(w, r, status, "login", a.newPage(r, "Log in", d))
	return nil
}

// loginForm shows the log-in form, or sends a logged-in user home.
func (a *Admin) loginForm(w http.ResponseWriter, r *http.Request) error {
	_, ok, err := a.currentUser(r)
	if err != nil {
		return err
	}
	if ok {
		http.Redirect(w, r, homePath, http.StatusSeeOther)
		return nil
	}
	if !a.throttle.admitForm(w, r, netaddr.LimitKey(a.client.Of(r))) {
		w.Header().Set("Retry-After", strconv.Itoa(int(formWindow.Seconds())))
		return errTooManyForms
	}
	return a.loginPage(w, r, http.StatusOK, "", "")
}

// findUser returns the account named name, whatever the case it is typed
// in: no two accounts differ only in case (Accounts.Add). Names match as
// the log-in throttle keys them (accountKey), so every spelling that logs
// in to an account counts against that account's limit.
func (a *Admin) findUser(ctx context.Context, name string) (pledge.User, error) {
	u, err := a.store.User(ctx, name)
	if !errors.Is(err, pledge.ErrNotFound) {
		return u, err
	}
	users, err := a.store.Users(ctx)
	if err != nil {
		return pledge.User{}, fmt.Errorf("find user: %w", err)
	}
	for _, u := range users {
		if accountKey(u.Username) == accountKey(name) {
			return u, nil
		}
	}
	return pledge.User{}, fmt.Errorf("user %q: %w", name, pledge.ErrNotFound)
}

// lookUpAccount is findUser for a log-in: the zero User if there is no
// such account.
func (a *Admin) lookUpAccount(ctx context.Context, name string) (pledge.User, error) {
	u, err := a.findUser(ctx, name)
	switch {
	case errors.Is(err, pledge.ErrNotFound):
		return pledge.User{}, nil
	case err != nil:
		return pledge.User{}, fmt.Errorf("log-in: %w", unavailable(err))
	}
	return u, nil
}

// login checks a username and password. Every attempt that gets past the
// throttle costs one argon2id comparison, against a dummy hash when there
// is no such account, and every failure looks the same to the client.
func (a *Admin) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name := pledge.NormaliseUsername(clipRunes(strings.TrimSpace(r.PostForm.Get("username")), 64))
	pw := r.PostForm.Get("password")
	acct, addr := accountKey(name), netaddr.LimitKey(a.client.Of(r))
	at := attempt{account: acct, addr: addr}

	// A device cookie counts only if it was issued with the account's
	// password as it is now, so the account is read first, but only for a
	// browser that holds a genuine cookie for it (deviceCookies).
	var u pledge.User
	found := false
	if cookies := a.deviceCookies(r, acct); len(cookies) > 0 {
		var err error
		if u, err = a.lookUpAccount(ctx, name); err != nil {
			return err
		}
		found = true
		at.device = a.devices.key(cookies, u.PasswordHash)
	}

	if locked := a.throttle.admit(w, r, &at); locked != unlocked {
		if err := a.lockedOut(r, locked, name, acct, addr); err != nil {
			return err
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(failWindow.Seconds())))
		return a.loginPage(w, r, http.StatusTooManyRequests, name,
			fmt.Sprintf("Too many failed log-ins for this account or from this address. Try again in %d minutes.", int(failWindow.Minutes())))
	}

	if !found {
		var err error
		if u, err = a.lookUpAccount(ctx, name); err != nil {
			return err
		}
	}
	ok, err := a.hasher.verify(ctx, pw, u.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		a.log.ErrorContext(ctx, "admin log-in: stored hash unusable", "username", name, "err", err)
	}

	var reason string
	switch {
	case u.PasswordHash == "":
		reason = "no such account"
	case !ok:
		reason = "wrong password"
	case u.Disabled:
		reason = "account disabled"
	}
	if reason != "" {
		if err := a.record(r, "", KindLoginFailed, fmt.Sprintf("%s: %s", a.accountLabel(name, u.Username != ""), reason)); err != nil {
			return err
		}
		if u.Disabled && ok && at.trusted {
			// Only the officer's own browser (its device cookie) that
			// types the right password learns that the account is
			// disabled: told "wrong password", the officer would try
			// again until locked out, while to anyone else the message
			// would confirm the password.
			return a.loginPage(w, r, http.StatusForbidden, name,
				"This account is disabled. Ask an administrator to enable it (pledge user enable).")
		}
		return a.loginPage(w, r, http.StatusUnauthorized, name, "Wrong username or password.")
	}

	a.throttle.succeeded(at)
	// Record first: if the audit log cannot be written, nobody logs in.
	if err := a.record(r, u.Username, KindLogin, "role="+string(u.Role)); err != nil {
		return err
	}
	if err := a.startSession(r, u); err != nil {
		return err
	}
	a.setDeviceCookie(w, r, acct, u.PasswordHash)
	http.Redirect(w, r, nextPage(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

// lockedOut reports a log-in attempt refused by the throttle's limit
// locked: to the server log every time, and to the audit log once per
// lock and failWindow, so a client sending on cannot flood it. The name
// typed is written only if it is an account's (accountLabel).
func (a *Admin) lockedOut(r *http.Request, locked lock, name, acct, addr string) error {
	ctx := r.Context()
	known := a.isAccount(ctx, acct)
	label := a.accountLabel(name, known)
	logged := name
	if !known {
		logged = a.unknownAccount(name)
	}
	a.log.WarnContext(ctx, "admin log-in throttled", "username", logged, "remote", a.remote(r))
	key := lockKey(locked, acct, addr)
	if !a.throttle.firstRefusal(key, a.now()) {
		return nil
	}
	var detail string
	switch locked {
	case lockedPair:
		detail = fmt.Sprintf("%s: locked from this address for up to %d minutes after %d failed log-ins",
			label, int(failWindow.Minutes()), maxFailsPerAccountAddr)
	case lockedAddr:
		detail = fmt.Sprintf("every account locked from this address for up to %d minutes after %d failed log-ins (this attempt: %s)",
			int(failWindow.Minutes()), maxFailsPerAddr, label)
	default:
		detail = fmt.Sprintf("%s: locked from every address for up to %d minutes after %d failed log-ins",
			label, int(failWindow.Minutes()), maxFailsPerAccount)
	}
	if err := a.record(r, "", KindLoginLocked, detail); err != nil {
		a.throttle.untell(key)
		return err
	}
	return nil
}

// isAccount reports whether an account has the throttle key acct. It
// looks in the accounts read at most accountsFresh ago, whether acct is
// one or not, so that a refused attempt takes as long for a name with an
// account as for one without, and a client sending on while locked out
// costs no database read each time; if they cannot be read, it reports
// false.
func (a *Admin) isAccount(ctx context.Context, acct string) bool {
	a.accounts.mu.Lock()
	defer a.accounts.mu.Unlock()
	if now := a.now(); a.accounts.keys == nil || now.Sub(a.accounts.read) >= accountsFresh || now.Before(a.accounts.read) {
		users, err := a.store.Users(ctx)
		if err != nil {
			return false
		}
		a.accounts.keys = make(map[string]bool, len(users))
		for _, u := range users {
			a.accounts.keys[accountKey(u.Username)] = true
		}
		a.accounts.read = now
	}
	return a.accounts.keys[acct]
}

// accountsFresh is how long isAccount trusts the accounts it read.
const accountsFresh = 10 * time.Second

// accountKeys are the throttle keys of the accounts, as read at a time.
type accountKeys struct {
	mu   sync.Mutex
	keys map[string]bool
	read time.Time
}

// accountLabel is how the audit and server logs name a username typed at
// log-in: quoted when it is an account's (known), and otherwise as an
// unknown account with a keyed fingerprint of its lower case, so that
// repeats of one name can be told apart from others without writing down
// what was typed (often a password, typed into the wrong field).
func (a *Admin) accountLabel(name string, known bool) string {
	if known {
		return fmt.Sprintf("username=%q", name)
	}
	return a.unknownAccount(name)
}

// unknownAccount names a username with no account by a keyed fingerprint:
// "unknown account 1d60cf23". Repeats of one name read alike; the name
// cannot be found from it without the key.
func (a *Admin) unknownAccount(name string) string {
	return "unknown account " + hex.EncodeToString(a.prints.Sum("admin username:" + accountKey(name))[:4])
}

// logout ends the session and records it.
func (a *Admin) logout(w http.ResponseWriter, r *http.Request) error {
	if err := a.record(r, userFrom(r.Context()).Username, KindLogout, ""); err != nil {
		return err
	}
	if err := a.session(r).Destroy(r.Context()); err != nil {
		return fmt.Errorf("log-out: %w", err)
	}
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
	return nil
}

// clipRunes cuts s to at most n runes, dropping invalid UTF-8.
func clipRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
