package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/admin"
)

// TestLogInPageOpenTooLong: a log-in form whose session has gone (left
// open past its life; here the browser lost the cookie) is shown again,
// saying why, with a token that works, instead of a refusal.
func TestLogInPageOpenTooLong(t *testing.T) {
	c := newConsole(t)
	tok := c.browser(t).csrf(loginPath) // its session stays in that browser
	b := c.browser(t)
	r := b.post(loginPath, url.Values{"csrf": {tok}, "username": {adminUser}, "password": {adminPass}})
	wantStatus(t, r, http.StatusForbidden)
	mustContain(t, r.Body, "The log-in page was open too long. Log in again.", `value="`+adminUser+`"`)
	if n := c.count(t, "login"); n != 0 {
		t.Errorf("%d log-ins recorded from a form without its session", n)
	}
	again := csrfField.FindStringSubmatch(r.Body)
	if again == nil || again[1] == tok {
		t.Fatalf("the page shown again carries no new token:\n%s", clip(r.Body))
	}
	wantRedirect(t, b.post(loginPath, url.Values{"csrf": {again[1]}, "username": {adminUser}, "password": {adminPass}}), homePath)
}

// TestFormAfterSessionEnded: a console form sent after its session ended
// changes nothing and leads to the log-in page, which says the session
// ended and nothing was saved; a form with a wrong token is still refused.
func TestFormAfterSessionEnded(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	tok := adm.csrf("/admin/c/vote")
	wantStatus(t, adm.post("/admin/c/vote/pause", url.Values{"csrf": {"not-the-token"}}), http.StatusForbidden)

	if err := (admin.Accounts{Store: c.Store, Params: cheap}).SetPassword(t.Context(), admin.Who{Actor: "test", Remote: "local"}, adminUser, "another long passphrase"); err != nil {
		t.Fatal(err)
	}
	r := adm.post("/admin/c/vote/pause", url.Values{"csrf": {tok}})
	wantRedirect(t, r, loginPath+"?ended=1")
	if c.campaign(t, "vote").Paused {
		t.Error("a form sent after its session ended paused the campaign")
	}
	page := adm.get(r.Header.Get("Location"))
	mustContain(t, page.Body, "Your session has ended", "not saved")
	if strings.Contains(page.Body, "open too long") {
		t.Error("the log-in page takes the ended session for a log-in form left open")
	}
}

// TestLogInPostsWithoutSessionAreLimited: each log-in form shown again
// stores a session, so posts without one count as views of the form, and
// past the limit are refused without storing one: nobody fills the
// sessions table by posting to the log-in page.
func TestLogInPostsWithoutSessionAreLimited(t *testing.T) {
	c := newConsole(t)
	limited := false
	for i := 0; i < 40 && !limited; i++ {
		r := c.browser(t).post(loginPath, url.Values{"csrf": {"stale"}, "username": {adminUser}, "password": {adminPass}})
		switch r.Status {
		case http.StatusForbidden:
		case http.StatusTooManyRequests:
			limited = true
		default:
			t.Fatalf("post %d without a session: %d", i+1, r.Status)
		}
	}
	if !limited {
		t.Error("40 log-in posts without a session from one address were all shown the form again")
	}
}
