package admin_test

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

func TestLoginSetsSessionCookie(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)

	form := b.get(loginPath)
	wantStatus(t, form, http.StatusOK)
	mustContain(t, form.Body, `action="/admin/login"`, `name="username"`, `type="password"`)
	before := b.token()
	if before == "" {
		t.Fatal("the log-in form started no session for its CSRF token")
	}

	tok := csrfField.FindStringSubmatch(form.Body)[1]
	r := b.post(loginPath, url.Values{"csrf": {tok}, "username": {adminUser}, "password": {adminPass}})
	wantRedirect(t, r, homePath)
	ck := r.sessionCookie()
	if ck == nil {
		t.Fatalf("log-in set no %s cookie; Set-Cookie: %q", cookieName, r.Header.Values("Set-Cookie"))
	}
	if !ck.HttpOnly {
		t.Error("session cookie is not HttpOnly")
	}
	if ck.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie SameSite = %v, want Strict", ck.SameSite)
	}
	if ck.Path != "/admin" {
		t.Errorf("session cookie Path = %q, want /admin", ck.Path)
	}
	if ck.Secure {
		t.Error("session cookie is Secure on plain HTTP from no proxy: the browser would drop it")
	}
	if ck.Value == "" || ck.Value == before {
		t.Errorf("session token at log-in = %q, before = %q: want a new token (session fixation)", ck.Value, before)
	}

	home := b.get(homePath)
	wantStatus(t, home, http.StatusOK)
	mustContain(t, home.Body, adminUser, `action="/admin/logout"`)
	if got := home.Header.Get("Cache-Control"); !strings.Contains(got, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if home.Header.Get(h) == "" {
			t.Errorf("security header %s missing", h)
		}
	}

	a := c.lastAction(t, "login")
	if a.Actor != adminUser || a.Remote != "127.0.0.1" || a.At.IsZero() {
		t.Errorf("login entry = %+v, want actor %s from 127.0.0.1 with a time", a, adminUser)
	}

	// Logged in, the log-in page sends the browser home.
	wantRedirect(t, b.get(loginPath), homePath)
}

// TestSessionFixation: a token planted in a victim's browser before log-in
// (here: the one the log-in form started) is worthless after it.
func TestSessionFixation(t *testing.T) {
	c := newConsole(t)
	victim := c.browser(t)
	victim.get(loginPath)
	planted := victim.token()
	victim.mustLogin(adminUser, adminPass)
	if victim.token() == planted {
		t.Fatal("the session token did not change at log-in")
	}
	wantStatus(t, victim.get(homePath), http.StatusOK)
	wantLogin(t, c.withToken(t, planted).get(homePath))
}

func TestWrongPassword(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	wrong := b.login(adminUser, "not the password")
	wantStatus(t, wrong, http.StatusUnauthorized)
	mustContain(t, wrong.Body, "Wrong username or password.", `value="`+adminUser+`"`)
	if ck := wrong.sessionCookie(); ck != nil && ck.Value != "" && ck.Value != b.token() {
		t.Errorf("a failed log-in changed the session: %v", ck)
	}
	wantLogin(t, b.get(homePath))

	a := c.lastAction(t, "login-failed")
	if a.Actor != "" || a.Remote != "127.0.0.1" || !strings.Contains(a.Detail, `"`+adminUser+`"`) {
		t.Errorf("login-failed entry = %+v, want no actor, from 127.0.0.1, naming %q", a, adminUser)
	}

	// An unknown username gets the very same answer, and is recorded too.
	unknown := b.login("nobody-here", adminPass)
	wantStatus(t, unknown, http.StatusUnauthorized)
	if strip(unknown.Body, "nobody-here") != strip(wrong.Body, adminUser) {
		t.Errorf("the answer for an unknown user differs from a wrong password's:\n%s\n---\n%s", clip(unknown.Body), clip(wrong.Body))
	}
	// Named by a fingerprint, not as typed: a name with no account is
	// often a password typed into the wrong field.
	if a := c.lastAction(t, "login-failed"); a.Detail != "unknown account "+fingerprint("nobody-here")+": no such account" {
		t.Errorf("login-failed entry = %+v, want the unknown account's fingerprint", a)
	}
	if n := c.count(t, "login"); n != 0 {
		t.Errorf("%d login entries after failed attempts", n)
	}
}

// strip removes the echoed username and the form token from a log-in page.
func strip(body, username string) string {
	body = strings.ReplaceAll(body, username, "")
	return csrfField.ReplaceAllString(body, "")
}

func TestDisabledUserCannotLogIn(t *testing.T) {
	c := newConsole(t)
	open := c.browser(t)
	open.mustLogin(viewerUser, viewerPass)

	if err := c.Accounts.Disable(t.Context(), adminWho, viewerUser); err != nil {
		t.Fatal(err)
	}
	// The session opened before is over.
	wantLogin(t, open.get(homePath))
	// With the right password, from the browser the officer logged in
	// with before, the officer learns why, rather than trying again until
	// locked out.
	r := open.login(viewerUser, viewerPass)
	wantStatus(t, r, http.StatusForbidden)
	mustContain(t, r.Body, "This account is disabled.")
	if a := c.lastAction(t, "login-failed"); !strings.Contains(a.Detail, "disabled") {
		t.Errorf("login-failed entry = %+v, want the reason", a)
	}
	// Anyone else, right password or not, learns nothing: to them it would
	// confirm the password.
	for _, tc := range []struct {
		b        *browser
		password string
	}{{c.browser(t), viewerPass}, {c.browser(t), "not the password"}, {open, "not the password"}} {
		r := tc.b.login(viewerUser, tc.password)
		wantStatus(t, r, http.StatusUnauthorized)
		mustContain(t, r.Body, "Wrong username or password.")
		if strings.Contains(r.Body, "disabled") {
			t.Errorf("password %q learns that the account is disabled", tc.password)
		}
	}
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	b.mustLogin(viewerUser, viewerPass)
	if err := c.Accounts.SetPassword(t.Context(), adminWho, viewerUser, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	wantLogin(t, b.get(homePath))
	wantStatus(t, c.browser(t).login(viewerUser, viewerPass), http.StatusUnauthorized)
	c.browser(t).mustLogin(viewerUser, "a brand new password")
}

func TestThrottlePerAccount(t *testing.T) {
	c := newConsole(t, behindProxy())
	b := c.browser(t)
	b.header.Set("X-Forwarded-For", "198.51.100.20")
	for i := range 5 {
		wantStatus(t, b.login(adminUser, "wrong "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	// From that address the right password no longer helps, in any case of
	// the name.
	for _, name := range []string{adminUser, strings.ToUpper(adminUser)} {
		r := b.login(name, adminPass)
		wantStatus(t, r, http.StatusTooManyRequests)
		mustContain(t, r.Body, "Too many failed log-ins")
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra <= 0 {
			t.Errorf("Retry-After = %q, want seconds", r.Header.Get("Retry-After"))
		}
	}
	wantLogin(t, b.get(homePath))
	if n := c.count(t, "login-failed"); n != 5 {
		t.Errorf("%d login-failed entries, want 5 (throttled attempts are not logged)", n)
	}
	// Another account from the same address is not locked out.
	same := c.browser(t)
	same.header.Set("X-Forwarded-For", "198.51.100.20")
	same.mustLogin(viewerUser, viewerPass)
	// Nor is the account itself from another address: whoever knows a
	// username cannot lock its owner out.
	owner := c.browser(t)
	owner.header.Set("X-Forwarded-For", "203.0.113.60")
	owner.mustLogin(adminUser, adminPass)
}

// TestThrottlePerAccountEverywhere: guesses at one account spread over
// many addresses are bounded too.
func TestThrottlePerAccountEverywhere(t *testing.T) {
	c := newConsole(t, behindProxy())
	for a := range 20 {
		b := c.browser(t)
		b.header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(100+a))
		for i := range 5 {
			wantStatus(t, b.login(adminUser, "wrong "+strconv.Itoa(i)), http.StatusUnauthorized)
		}
	}
	owner := c.browser(t)
	owner.header.Set("X-Forwarded-For", "203.0.113.60")
	wantStatus(t, owner.login(adminUser, adminPass), http.StatusTooManyRequests)
	// The refusal counted nothing for the owner's address: 19 more failures
	// from it leave one attempt of the 20.
	for i := range 19 {
		wantStatus(t, owner.login("someone"+strconv.Itoa(i), "wrong"), http.StatusUnauthorized)
	}
	owner.mustLogin(viewerUser, viewerPass)
}

func TestThrottlePerAddress(t *testing.T) {
	c := newConsole(t, behindProxy())
	attacker := c.browser(t)
	attacker.header.Set("X-Forwarded-For", "198.51.100.7")
	for i := range 19 {
		wantStatus(t, attacker.login("guess"+strconv.Itoa(i), "password"+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	// A success from that address does not wipe its failures.
	insider := c.browser(t)
	insider.header.Set("X-Forwarded-For", "198.51.100.7")
	insider.mustLogin(viewerUser, viewerPass)
	wantStatus(t, attacker.login("guess-last", "password"), http.StatusUnauthorized)
	r := attacker.login(adminUser, adminPass)
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if a := c.lastAction(t, "login-failed"); a.Remote != "198.51.100.7" {
		t.Errorf("login-failed from %q, want the forwarded client 198.51.100.7", a.Remote)
	}

	// Someone else, through the same proxy, logs in.
	other := c.browser(t)
	other.header.Set("X-Forwarded-For", "203.0.113.50")
	other.mustLogin(adminUser, adminPass)
}

// TestThrottleParallelBurst: guesses sent all at once are counted as they
// arrive, not after their passwords are checked, so no more than the limit
// get a check.
func TestThrottleParallelBurst(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	tok := b.csrf(loginPath)
	const n = 30
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { // b.post may not fail t from another goroutine
			form := url.Values{"csrf": {tok}, "username": {adminUser}, "password": {"guess " + strconv.Itoa(i)}}
			resp, err := b.client.PostForm(c.URL+loginPath, form)
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Errorf("answers %v, want 5 × 401 and %d × 429", count, n-5)
	}
}

// TestLoginFormViewsLimited: every view of the log-in form stores a
// session, so an address that reloads it past the limit gets 429 and no
// new session.
func TestLoginFormViewsLimited(t *testing.T) {
	c := newConsole(t, behindProxy())
	const limit = 30 // form views per address per minute
	for i := range limit {
		b := c.browser(t) // a fresh visitor each time: a new session each view
		b.header.Set("X-Forwarded-For", "198.51.100.9")
		r := b.get(loginPath)
		wantStatus(t, r, http.StatusOK)
		if r.sessionCookie() == nil {
			t.Fatalf("view %d: no session cookie; the limit would guard nothing", i)
		}
	}
	b := c.browser(t)
	b.header.Set("X-Forwarded-For", "198.51.100.9")
	r := b.get(loginPath)
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" || r.sessionCookie() != nil {
		t.Errorf("refused view: Retry-After %q, session cookie %v; want a Retry-After and no session",
			r.Header.Get("Retry-After"), r.sessionCookie())
	}
	// Another address is not affected.
	other := c.browser(t)
	other.header.Set("X-Forwarded-For", "203.0.113.77")
	wantStatus(t, other.get(loginPath), http.StatusOK)
}

// TestLoginIgnoresCase: usernames differ in more than case (Accounts.Add),
// so the account logs in whatever case its name is typed in, and the
// session and audit log carry the name as it was created.
func TestLoginIgnoresCase(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	b.mustLogin(strings.ToUpper(adminUser), adminPass)
	mustContain(t, b.get(homePath).Body, adminUser)
	if a := c.lastAction(t, "login"); a.Actor != adminUser {
		t.Errorf("log-in entry by %q, want %q", a.Actor, adminUser)
	}
	if r := c.browser(t).login(strings.ToUpper(adminUser), "wrong password"); r.Status != http.StatusUnauthorized {
		t.Errorf("wrong password in upper case: %d, want 401", r.Status)
	}
	// A spelling that only Unicode case folding matches ("ſ" folds to "s")
	// is not the account's: the throttle would count it apart.
	if _, err := (admin.Accounts{Store: c.Store}).Add(context.Background(), admin.Who{Actor: "test"}, "sdm.kota", pledge.RoleViewer, adminPass); err != nil {
		t.Fatal(err)
	}
	if r := c.browser(t).login("ſdm.kota", adminPass); r.Status != http.StatusUnauthorized {
		t.Errorf("log-in as ſdm.kota: %d, want 401", r.Status)
	}
	c.browser(t).mustLogin("SDM.Kota", adminPass)
}

// fingerprintKey keys the test console's fingerprints of unknown usernames.
var fingerprintKey = []byte("fingerprint key of the tests")

// fingerprint is how the console names unknown username name: keyed, so
// that no one reading the audit log can test a guess (a password typed
// as the username) against it.
func fingerprint(name string) string {
	return hex.EncodeToString(pledge.NewHasher(fingerprintKey).Sum("admin username:" + strings.ToLower(name))[:4])
}

// TestLockoutIsAudited: the attempt a log-in limit first refuses is
// written to the audit log, once however many follow; a password typed
// into the username field is written to neither the audit log nor the
// server log, while an account's name is.
func TestLockoutIsAudited(t *testing.T) {
	var logs syncbuf.Buffer
	c := newConsole(t, behindProxy(), withLog(slog.New(slog.NewTextHandler(&logs, nil))))
	b := c.browser(t)
	b.header.Set("X-Forwarded-For", "198.51.100.20")
	for i := range 5 {
		wantStatus(t, b.login(adminUser, "wrong "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	for range 3 {
		wantStatus(t, b.login(adminUser, adminPass), http.StatusTooManyRequests)
	}
	if n := c.count(t, admin.KindLoginLocked); n != 1 {
		t.Fatalf("%d login-locked entries after 3 refused attempts, want 1", n)
	}
	a := c.lastAction(t, admin.KindLoginLocked)
	if want := `username="` + adminUser + `": locked from this address for up to 15 minutes after 5 failed log-ins`; a.Detail != want ||
		a.Remote != "198.51.100.20" || a.Actor != "" {
		t.Errorf("login-locked entry = %+v, want %q from 198.51.100.20", a, want)
	}
	if !strings.Contains(logs.String(), `msg="admin log-in throttled" username=`+adminUser+` remote=198.51.100.20`) {
		t.Errorf("the server log does not name the account locked out: %s", logs.String())
	}

	// From another address, 20 failures over several names lock the
	// address; one of them was a password typed as the username.
	x := c.browser(t)
	x.header.Set("X-Forwarded-For", "203.0.113.9")
	for i := range 20 {
		name := "clerk" + strconv.Itoa(i)
		if i == 7 {
			name = adminPass
		}
		wantStatus(t, x.login(name, "whatever"), http.StatusUnauthorized)
	}
	wantStatus(t, x.login(adminPass, "whatever"), http.StatusTooManyRequests)
	wantStatus(t, x.login(adminPass, "again"), http.StatusTooManyRequests)
	if n := c.count(t, admin.KindLoginLocked); n != 2 {
		t.Fatalf("%d login-locked entries, want 2", n)
	}
	a = c.lastAction(t, admin.KindLoginLocked)
	if want := "every account locked from this address for up to 15 minutes after 20 failed log-ins (this attempt: unknown account " +
		fingerprint(adminPass) + ")"; a.Detail != want {
		t.Errorf("login-locked entry = %q, want %q", a.Detail, want)
	}
	for _, act := range c.actions(t) {
		if strings.Contains(act.Detail, adminPass) {
			t.Errorf("the audit log has the password typed as a username: %+v", act)
		}
	}
	if strings.Contains(logs.String(), adminPass) {
		t.Errorf("the server log has the password typed as a username: %s", logs.String())
	}
}

// countingUsers counts the reads of every account.
type countingUsers struct {
	store.Store
	reads atomic.Int64
}

func (c *countingUsers) Users(ctx context.Context) ([]pledge.User, error) {
	c.reads.Add(1)
	return c.Store.Users(ctx)
}

// TestLockedOutCostsNoReadEach: a client that sends on while locked out
// is answered from what the console knows, not with a read of every
// account each time.
func TestLockedOutCostsNoReadEach(t *testing.T) {
	var counted *countingUsers
	c := newConsole(t, behindProxy(), wrapStore(func(s store.Store) store.Store {
		counted = &countingUsers{Store: s}
		return counted
	}))
	b := c.browser(t)
	b.header.Set("X-Forwarded-For", "198.51.100.30")
	for i := range 5 {
		wantStatus(t, b.login(adminUser, "wrong "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	before := counted.reads.Load()
	for range 10 {
		wantStatus(t, b.login(adminUser, adminPass), http.StatusTooManyRequests)
	}
	if n := counted.reads.Load() - before; n > 2 {
		t.Errorf("10 refused attempts read every account %d times, want at most 2", n)
	}
}
