package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/admin"
)

func TestLogoutEndsSession(t *testing.T) {
	c := newConsole(t)
	b := c.adminBrowser(t)
	old := b.token()
	tok := b.csrf(homePath)

	r := b.post(logoutPath, url.Values{"csrf": {tok}})
	wantLogin(t, r)
	if ck := r.sessionCookie(); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("log-out did not clear the cookie: %v", ck)
	}
	if a := c.lastAction(t, "logout"); a.Actor != adminUser || a.Remote != "127.0.0.1" {
		t.Errorf("logout entry = %+v", a)
	}
	wantLogin(t, b.get(homePath))
	// The old cookie, replayed, is worth nothing: the session is gone from
	// the database, not just from the browser.
	wantLogin(t, c.withToken(t, old).get(homePath))
	wantLogin(t, c.withToken(t, old).get(auditPath))
}

func TestUnauthenticatedGoesToLogin(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	for _, p := range []string{homePath, auditPath, exportPath, usersPath, "/admin/no-such-page"} {
		wantLogin(t, b.get(p))
	}
	if b.token() != "" {
		t.Error("pages that redirect to log-in started a session")
	}
	// A forged cookie is no session either.
	wantLogin(t, c.withToken(t, "forged-token-value").get(homePath))

	b.mustLogin(viewerUser, viewerPass)
	wantStatus(t, b.get("/admin/no-such-page"), http.StatusNotFound)
}

func TestCSRF(t *testing.T) {
	c := newConsole(t)
	b := c.adminBrowser(t)
	tok := b.csrf(homePath)
	loggedIn := func() {
		t.Helper()
		wantStatus(t, b.get(homePath), http.StatusOK)
	}

	tests := []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", url.Values{}, nil},
		{"empty token", url.Values{"csrf": {""}}, nil},
		{"wrong token", url.Values{"csrf": {tok + "x"}}, nil},
		{"token in the query only", url.Values{}, nil},
		{"cross-site with the token", url.Values{"csrf": {tok}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign Origin with the token", url.Values{"csrf": {tok}}, []string{"Origin", "https://evil.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := logoutPath
			if tc.name == "token in the query only" {
				path += "?csrf=" + url.QueryEscape(tok)
			}
			r := b.post(path, tc.form, tc.header...)
			wantStatus(t, r, http.StatusForbidden)
			loggedIn()
		})
	}
	if n := c.count(t, "logout"); n != 0 {
		t.Errorf("%d logout entries after refused requests", n)
	}
	// Another session's token does not fit this one.
	other := c.browser(t)
	other.mustLogin(viewerUser, viewerPass)
	wantStatus(t, b.post(logoutPath, url.Values{"csrf": {other.csrf(homePath)}}), http.StatusForbidden)
	loggedIn()

	// Same-origin with the right token works.
	wantLogin(t, b.post(logoutPath, url.Values{"csrf": {tok}}, "Sec-Fetch-Site", "same-origin"))
}

func TestLoginFormNeedsCSRF(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	creds := url.Values{"username": {adminUser}, "password": {adminPass}}
	wantStatus(t, b.post(loginPath, creds), http.StatusForbidden)

	tok := b.csrf(loginPath)
	creds.Set("csrf", tok)
	wantStatus(t, b.post(loginPath, creds, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
	if n := c.count(t, "login"); n != 0 {
		t.Fatalf("%d login entries after refused forms", n)
	}
	wantRedirect(t, b.post(loginPath, creds), homePath)
}

func TestSecureCookie(t *testing.T) {
	tests := []struct {
		name   string
		opts   []consoleOption
		header []string
		secure bool
	}{
		{"plain HTTP", nil, nil, false},
		{"TLS", []consoleOption{overTLS()}, nil, true},
		{"trusted proxy says https", []consoleOption{behindProxy()}, []string{"X-Forwarded-Proto", "https"}, true},
		{"trusted proxy says http", []consoleOption{behindProxy()}, []string{"X-Forwarded-Proto", "http"}, false},
		{"untrusted client says https", nil, []string{"X-Forwarded-Proto", "https"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newConsole(t, tc.opts...)
			b := c.browser(t)
			for i := 0; i+1 < len(tc.header); i += 2 {
				b.header.Set(tc.header[i], tc.header[i+1])
			}
			form := b.get(loginPath)
			ck := form.sessionCookie()
			if ck == nil {
				t.Fatalf("no session cookie on the log-in form; Set-Cookie: %q", form.Header.Values("Set-Cookie"))
			}
			if ck.Secure != tc.secure {
				t.Errorf("Secure = %v, want %v", ck.Secure, tc.secure)
			}
			tok := csrfField.FindStringSubmatch(form.Body)[1]
			r := b.post(loginPath, url.Values{"csrf": {tok}, "username": {adminUser}, "password": {adminPass}})
			wantRedirect(t, r, homePath)
			if ck := r.sessionCookie(); ck == nil || ck.Secure != tc.secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("log-in cookie %v, want Secure=%v HttpOnly SameSite=Strict", ck, tc.secure)
			}
		})
	}
}

// TestLogInGoesOnToThePageAsked: a page asked for without a session is
// where the log-in goes on to, and the log-in page says when a session
// has ended; a next page off the console is never followed.
func TestLogInGoesOnToThePageAsked(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	b := c.browser(t)
	r := b.get("/admin/c/vote?live=1")
	wantLogin(t, r)
	form := b.get(r.Header.Get("Location"))
	wantStatus(t, form, http.StatusOK)
	mustContain(t, form.Body, `name="next" value="/admin/c/vote?live=1"`)
	if strings.Contains(form.Body, "Your session has ended") {
		t.Error("the log-in page says a session ended where there was none")
	}
	// The log-in form's own session (for its token) has not ended either.
	if again := b.get(b.get("/admin/audit").Header.Get("Location")); strings.Contains(again.Body, "Your session has ended") {
		t.Error("after the log-in form, a page asked for says a session ended")
	}
	tok := csrfField.FindStringSubmatch(form.Body)[1]
	wantRedirect(t, b.post(loginPath, url.Values{"csrf": {tok}, "username": {adminUser}, "password": {adminPass},
		"next": {"/admin/c/vote?live=1"}}), "/admin/c/vote?live=1")

	// The session ends (the password changes): the next page asked for
	// says so, and leads back.
	if err := (admin.Accounts{Store: c.Store, Params: cheap}).SetPassword(t.Context(), admin.Who{Actor: "test", Remote: "local"}, adminUser, "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	r = b.get("/admin/audit")
	wantLogin(t, r)
	mustContain(t, b.get(r.Header.Get("Location")).Body, "Your session has ended", `name="next" value="/admin/audit"`)

	for _, next := range []string{"//evil.example/admin/", "https://evil.example/admin/", "/\\evil.example", "/admin/login", "/elsewhere", "/admin/\r\nx",
		"/admin/..", "/admin/..//evil.example", "/admin/../c"} {
		x := c.browser(t)
		tok := x.csrf(loginPath)
		wantRedirect(t, x.post(loginPath, url.Values{"csrf": {tok}, "username": {adminUser}, "password": {"another long passphrase"},
			"next": {next}}), homePath)
	}
}
