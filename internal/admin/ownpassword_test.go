package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

const passwordPath = "/admin/account/password"

// changePassword sends the password form with a fresh token.
func (b *browser) changePassword(current, pw, again string) response {
	b.t.Helper()
	tok := b.csrf(passwordPath)
	return b.post(passwordPath, url.Values{"csrf": {tok}, "current": {current}, "new": {pw}, "again": {again}})
}

// hashOf is the stored password hash of username.
func (c *console) hashOf(t *testing.T, username string) string {
	t.Helper()
	u, err := c.Store.User(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// TestChangeOwnPassword: an admin and a viewer each change their own
// password from the console's header: the hash is replaced (argon2id),
// the change is on record, every other session of the account ends and
// the browser that changed it goes on with a new session token.
func TestChangeOwnPassword(t *testing.T) {
	for _, tc := range []struct{ user, pass, other string }{
		{adminUser, adminPass, viewerUser},
		{viewerUser, viewerPass, adminUser},
	} {
		t.Run(tc.user, func(t *testing.T) {
			c := newConsole(t)
			b := c.browser(t)
			b.mustLogin(tc.user, tc.pass)
			second := c.browser(t) // the same account, in another browser
			second.mustLogin(tc.user, tc.pass)
			other := c.browser(t) // another account
			otherPass := adminPass
			if tc.other == viewerUser {
				otherPass = viewerPass
			}
			other.mustLogin(tc.other, otherPass)

			home := b.get(homePath)
			mustContain(t, home.Body, `<a href="/admin/account/password">Change password</a>`)
			form := b.get(passwordPath)
			wantStatus(t, form, http.StatusOK)
			mustContain(t, form.Body, `name="current"`, `name="new"`, `name="again"`, `autocomplete="new-password"`)

			old := b.token()
			const fresh = "a fresh and long passphrase"
			r := b.changePassword(tc.pass, fresh, fresh)
			wantRedirect(t, r, passwordPath)
			if ck := r.sessionCookie(); ck == nil || ck.Value == old || ck.Value == "" {
				t.Errorf("the session token was not re-issued: %v", ck)
			}
			done := b.get(passwordPath)
			wantStatus(t, done, http.StatusOK)
			mustContain(t, done.Body, "Your password was changed.")
			if again := b.get(passwordPath); strings.Contains(again.Body, "Your password was changed.") {
				t.Error("the password page says it was changed on every view")
			}
			wantStatus(t, b.get(homePath), http.StatusOK)

			if ok, err := argon2id.ComparePasswordAndHash(fresh, c.hashOf(t, tc.user)); err != nil || !ok {
				t.Errorf("the stored hash does not take the new password: %v, %v", ok, err)
			}
			a := c.lastAction(t, admin.KindUserPasswd)
			if a.Actor != tc.user || a.Remote != "127.0.0.1" || !strings.HasPrefix(a.Detail, "username="+tc.user+":") {
				t.Errorf("user-passwd entry = %+v", a)
			}
			// Every other session of the account has ended, and the token
			// this browser had before, replayed, is worth nothing.
			wantLogin(t, second.get(homePath))
			wantLogin(t, c.withToken(t, old).get(homePath))
			// Another account's session goes on.
			wantStatus(t, other.get(homePath), http.StatusOK)
			// Only the new password logs in.
			wantStatus(t, c.browser(t).login(tc.user, tc.pass), http.StatusUnauthorized)
			c.browser(t).mustLogin(tc.user, fresh)
		})
	}
}

// TestChangeOwnPasswordRefused: a form that would not do changes nothing,
// says why, and leaves the session as it was.
func TestChangeOwnPasswordRefused(t *testing.T) {
	c := newConsole(t)
	b := c.adminBrowser(t)
	before := c.hashOf(t, adminUser)
	tests := []struct {
		name               string
		current, pw, again string
		status             int
		msg                string
	}{
		{"no current password", "", "a fresh and long one", "a fresh and long one", http.StatusUnprocessableEntity, "Type your current password."},
		{"repetition differs", adminPass, "a fresh and long one", "a fresh and long 0ne", http.StatusUnprocessableEntity, "The new password and its repetition differ."},
		{"too short", adminPass, "short", "short", http.StatusUnprocessableEntity, "at least 10 characters"},
		{"the current one", adminPass, adminPass, adminPass, http.StatusUnprocessableEntity, "The new password is the current one"},
		{"wrong current password", "not my password", "a fresh and long one", "a fresh and long one", http.StatusUnauthorized, "The current password is wrong."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.changePassword(tc.current, tc.pw, tc.again)
			wantStatus(t, r, tc.status)
			mustContain(t, r.Body, tc.msg, "Nothing was changed.")
			if strings.Contains(r.Body, tc.pw) && tc.pw != "" {
				t.Error("the page shows the new password typed")
			}
			if c.hashOf(t, adminUser) != before {
				t.Fatal("a refused form changed the password")
			}
			wantStatus(t, b.get(homePath), http.StatusOK)
		})
	}
	if n := c.count(t, admin.KindUserPasswd); n != 0 {
		t.Errorf("%d user-passwd entries after refused forms", n)
	}
	// Only the wrong current password is a failed attempt at the password.
	if n := c.count(t, admin.KindPasswdFailed); n != 1 {
		t.Errorf("%d %s entries, want 1", n, admin.KindPasswdFailed)
	}
	if a := c.lastAction(t, admin.KindPasswdFailed); a.Actor != adminUser || a.Detail != "username=deo: wrong current password" {
		t.Errorf("%s entry = %+v", admin.KindPasswdFailed, a)
	}
}

// TestChangeOwnPasswordThrottled: wrong current passwords count as failed
// log-ins do, against the same limits: five from one address lock the
// account there, for the form and the log-in alike, whatever is typed
// next; and failed log-ins lock the form.
func TestChangeOwnPasswordThrottled(t *testing.T) {
	c := newConsole(t, behindProxy())
	b := c.browser(t).from("192.0.2.70")
	b.mustLogin(adminUser, adminPass)
	b.setDevice("none") // its device cookie would count its failures apart (TestChangeOwnPasswordDeviceCookie)
	for i := range 5 {
		wantStatus(t, b.changePassword("guess "+strconv.Itoa(i), "a fresh and long one", "a fresh and long one"), http.StatusUnauthorized)
	}
	r := b.changePassword(adminPass, "a fresh and long one", "a fresh and long one")
	wantStatus(t, r, http.StatusTooManyRequests)
	mustContain(t, r.Body, "Too many wrong passwords", "Nothing was changed.")
	if ok, _ := argon2id.ComparePasswordAndHash(adminPass, c.hashOf(t, adminUser)); !ok {
		t.Fatal("the password changed while the account was locked")
	}
	wantStatus(t, c.browser(t).from("192.0.2.70").login(adminUser, adminPass), http.StatusTooManyRequests)
	if n := c.count(t, admin.KindLoginLocked); n != 1 {
		t.Errorf("%d login-locked entries, want 1", n)
	}
	// From elsewhere the account is not locked.
	c.browser(t).from("192.0.2.71").mustLogin(adminUser, adminPass)

	// The other way round: failed log-ins lock the form (for a browser
	// without a device cookie: one with it meets its own limit alone,
	// as at log-in).
	v := c.browser(t).from("192.0.2.72")
	v.mustLogin(viewerUser, viewerPass)
	v.setDevice("none")
	for i := range 5 {
		wantStatus(t, c.browser(t).from("192.0.2.72").login(viewerUser, "guess "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	wantStatus(t, v.changePassword(viewerPass, "a fresh and long one", "a fresh and long one"), http.StatusTooManyRequests)
}

// TestChangeOwnPasswordNeedsCSRF: the form is refused without the
// session's token, or from another site.
func TestChangeOwnPasswordNeedsCSRF(t *testing.T) {
	c := newConsole(t)
	b := c.adminBrowser(t)
	before := c.hashOf(t, adminUser)
	form := url.Values{"current": {adminPass}, "new": {"a fresh and long one"}, "again": {"a fresh and long one"}}
	wantStatus(t, b.post(passwordPath, form), http.StatusForbidden)
	form.Set("csrf", b.csrf(passwordPath))
	wantStatus(t, b.post(passwordPath, form, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	if c.hashOf(t, adminUser) != before {
		t.Fatal("a refused form changed the password")
	}
	// Without a session, the page leads to the log-in page.
	wantLogin(t, c.browser(t).get(passwordPath))
}

// changedMeanwhile is a store under which the account's password is set
// by someone else (pledge user passwd) just before the console's change.
type changedMeanwhile struct {
	store.Store
	accounts admin.Accounts
}

func (s changedMeanwhile) ChangeUserPassword(ctx context.Context, username, old, hash string, act *pledge.Action) error {
	if err := s.accounts.SetPassword(ctx, adminWho, username, "set from the command line"); err != nil {
		return err
	}
	return s.Store.ChangeUserPassword(ctx, username, old, hash, act)
}

// TestChangeOwnPasswordChangedMeanwhile: a password set after the current
// one was checked is not overwritten.
func TestChangeOwnPasswordChangedMeanwhile(t *testing.T) {
	c := newConsole(t, wrapStore(func(s store.Store) store.Store {
		return changedMeanwhile{Store: s, accounts: admin.Accounts{Store: s, Params: cheap}}
	}))
	b := c.adminBrowser(t)
	r := b.changePassword(adminPass, "a fresh and long one", "a fresh and long one")
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, "Your account was changed meanwhile", "Nothing was changed.")
	if ok, _ := argon2id.ComparePasswordAndHash("set from the command line", c.hashOf(t, adminUser)); !ok {
		t.Error("the console's change overwrote the one made meanwhile")
	}
	if a := c.lastAction(t, admin.KindUserPasswd); a.Actor != "test" {
		t.Errorf("newest user-passwd entry = %+v, want the command line's alone", a)
	}
	wantLogin(t, b.get(homePath))
}

// TestChangeOwnPasswordDeviceCookie: a browser with its device cookie has
// its wrong current passwords counted against the cookie, as at log-in:
// once past its limit it meets the ordinary ones, so it gets no more
// guesses from the form than from the log-in page.
func TestChangeOwnPasswordDeviceCookie(t *testing.T) {
	c := newConsole(t, behindProxy())
	b := c.browser(t).from("192.0.2.80")
	b.mustLogin(adminUser, adminPass)
	for i := range 10 {
		wantStatus(t, b.changePassword("guess "+strconv.Itoa(i), "a fresh and long one", "a fresh and long one"), http.StatusUnauthorized)
	}
	wantStatus(t, b.changePassword(adminPass, "a fresh and long one", "a fresh and long one"), http.StatusTooManyRequests)
	if n := c.count(t, admin.KindPasswdFailed); n != 10 {
		t.Errorf("%d %s entries, want 10", n, admin.KindPasswdFailed)
	}
}
