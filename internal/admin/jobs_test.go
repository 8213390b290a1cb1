package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/admin"
)

// TestJobsConsole: River's job console answers admins only, under its own
// content security policy, and its API refuses cross-origin writes.
func TestJobsConsole(t *testing.T) {
	c := newConsole(t, withJobs())

	anon := c.browser(t)
	wantLogin(t, anon.get("/admin/jobs/"))
	wantLogin(t, anon.get("/admin/jobs/api/jobs?state=available"))

	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	wantStatus(t, viewer.get("/admin/jobs/"), http.StatusForbidden)
	wantStatus(t, viewer.get("/admin/jobs/api/queues"), http.StatusForbidden)

	deo := c.adminBrowser(t)
	page := deo.get("/admin/jobs/")
	wantStatus(t, page, http.StatusOK)
	mustContain(t, page.Body, "<title>River</title>", "/admin/jobs/assets/")
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("job console CSP = %q", csp)
	}
	api := deo.get("/admin/jobs/api/queues")
	wantStatus(t, api, http.StatusOK)
	if ct := api.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("queues API Content-Type = %q", ct)
	}
	// The console's own writes are JSON from its script, so the form token
	// does not apply; a cross-origin one is refused all the same.
	cross := deo.do(http.MethodPost, "/admin/jobs/api/jobs/cancel", strings.NewReader(`{"ids":["1"]}`),
		"Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantStatus(t, cross, http.StatusForbidden)
	same := deo.do(http.MethodPost, "/admin/jobs/api/jobs/cancel", strings.NewReader(`{"ids":["1"]}`),
		"Content-Type", "application/json", "Origin", c.URL, "Sec-Fetch-Site", "same-origin")
	if same.Status == http.StatusForbidden {
		t.Errorf("same-origin cancel refused: %s", clip(same.Body))
	}
	// Changes from the job console are in the audit log, who and what.
	if a := c.lastAction(t, admin.KindJobsChange); a.Actor != adminUser || a.Detail != `POST /api/jobs/cancel {"ids":["1"]}` {
		t.Errorf("audit entry %+v, want the admin's cancel of job 1", a)
	}
	n := 0
	for _, a := range c.actions(t) {
		if a.Kind == admin.KindJobsChange {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d job console entries, want 1: the cross-origin request was refused before it", n)
	}
	// The console's navigation shows the job console to admins only.
	mustContain(t, deo.get(homePath).Body, `href="/admin/jobs/"`)
	if strings.Contains(viewer.get(homePath).Body, `href="/admin/jobs/"`) {
		t.Error("a viewer is shown the job console")
	}
}
