package admin

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// passwordPath is the page where every account changes its own password.
const passwordPath = "/admin/account/password"

// KindPasswdFailed is an audit entry of a password change refused for a
// wrong current password; it counts against the log-in limits as a
// failed log-in does.
const KindPasswdFailed = "user-passwd-failed"

// keyPasswordChanged is the session key that has the password page say,
// once, that the password was changed.
const keyPasswordChanged = "password-changed"

// passwordData is what the password page shows.
type passwordData struct {
	Error   string
	Changed bool // the password was just changed
}

// passwordForm shows the form that changes the logged-in account's own
// password.
func (a *Admin) passwordForm(w http.ResponseWriter, r *http.Request) error {
	d := passwordData{Changed: a.session(r).PopBool(r.Context(), keyPasswordChanged)}
	a.render(w, r, http.StatusOK, "password", a.newPage(r, "Change password", d))
	return nil
}

// changePassword changes the logged-in account's own password, given the
// current one, under the same rules and hashing as pledge user passwd.
// The new password is checked first, which costs nothing and tells
// nothing of the current one. The current password is then checked as a
// log-in is: under the log-in limits (throttle.go), a wrong one counted
// as a failed log-in and recorded, so that the form is no way around them
// for someone holding an officer's session but not the password.
//
// The change ends every other session of the account (their fingerprint
// of the password no longer matches: currentUser) and voids its device
// cookies (device.go). This browser goes on, with a new session token and
// form token rather than the ones it had: a password is changed when
// someone else may have had it, and so perhaps this session's cookie too,
// which must then end with the rest. It gets a new device cookie.
func (a *Admin) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := *userFrom(ctx)
	current, pw, again := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("again")
	refuse := func(status int, msg string) error {
		a.render(w, r, status, "password", a.newPage(r, "Change password", passwordData{Error: msg + " Nothing was changed."}))
		return nil
	}
	switch {
	case current == "":
		return refuse(http.StatusUnprocessableEntity, "Type your current password.")
	case pw != again:
		return refuse(http.StatusUnprocessableEntity, "The new password and its repetition differ.")
	case pw == current:
		return refuse(http.StatusUnprocessableEntity, "The new password is the current one: choose another.")
	}
	if err := ValidPassword(pw); err != nil {
		return refuse(http.StatusUnprocessableEntity, "The new password will not do: "+err.Error()+".")
	}

	acct, addr := accountKey(u.Username), netaddr.LimitKey(a.client.Of(r))
	at := attempt{account: acct, addr: addr, device: a.devices.key(a.deviceCookies(r, acct), u.PasswordHash)}
	if locked := a.throttle.admit(w, r, &at); locked != unlocked {
		if err := a.lockedOut(r, locked, u.Username, acct, addr); err != nil {
			return err
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(failWindow.Seconds())))
		return refuse(http.StatusTooManyRequests,
			fmt.Sprintf("Too many wrong passwords for this account or from this address. Try again in %d minutes.", int(failWindow.Minutes())))
	}
	ok, err := a.hasher.verify(ctx, current, u.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		a.log.ErrorContext(ctx, "admin password change: stored hash unusable", "username", u.Username, "err", err)
	}
	if !ok {
		if err := a.record(r, u.Username, KindPasswdFailed, fmt.Sprintf("username=%s: wrong current password", u.Username)); err != nil {
			return err
		}
		return refuse(http.StatusUnauthorized, "The current password is wrong.")
	}
	a.throttle.succeeded(at)

	hash, err := a.hasher.hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	act := a.action(r, KindUserPasswd, fmt.Sprintf("username=%s: own password, in the console; other sessions ended", u.Username))
	err = a.store.ChangeUserPassword(ctx, u.Username, u.PasswordHash, hash, act)
	switch {
	case errors.Is(err, store.ErrAccountChanged), errors.Is(err, pledge.ErrNotFound):
		return refuse(http.StatusConflict, "Your account was changed meanwhile (its password set, or the account disabled).")
	case err != nil:
		return fmt.Errorf("change password of %s: %w", u.Username, err)
	}

	sm := a.session(r)
	if err := sm.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session after a password change: %w", err)
	}
	sm.Put(ctx, keyPass, passPrint(hash))
	sm.Put(ctx, keyCSRF, rand.Text())
	sm.Put(ctx, keyPasswordChanged, true)
	a.setDeviceCookie(w, r, acct, hash)
	http.Redirect(w, r, passwordPath, http.StatusSeeOther)
	return nil
}
