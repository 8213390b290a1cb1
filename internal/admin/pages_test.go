package admin_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestRoles(t *testing.T) {
	c := newConsole(t)
	viewer, adm := c.browser(t), c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	adm.mustLogin(adminUser, adminPass)

	tests := []struct {
		path          string
		viewer, admin int
	}{
		{homePath, http.StatusOK, http.StatusOK},
		{auditPath, http.StatusForbidden, http.StatusOK},
		{exportPath, http.StatusForbidden, http.StatusOK},
		{usersPath, http.StatusForbidden, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			wantStatus(t, viewer.get(tc.path), tc.viewer)
			wantStatus(t, adm.get(tc.path), tc.admin)
		})
	}
	if n := c.count(t, "audit-export"); n != 1 {
		t.Errorf("%d audit-export entries, want 1 (the viewer's refused attempt is not an export)", n)
	}
	// The viewer's menu does not offer what it may not open.
	home := viewer.get(homePath)
	if strings.Contains(home.Body, `href="/admin/audit"`) || strings.Contains(home.Body, `href="/admin/users"`) {
		t.Errorf("viewer's menu links to admin-only pages:\n%s", clip(home.Body))
	}
	mustContain(t, adm.get(homePath).Body, `href="/admin/audit"`, `href="/admin/users"`)
}

func TestDashboardShowsTotals(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	vote := storetest.Campaign("vote")
	other := storetest.Campaign("plant-trees")
	other.Title = pledge.Text{"en": "Plant <trees>", "hi": "पेड़"}
	for _, camp := range []*pledge.Campaign{vote, other} {
		if err := c.Store.CreateCampaign(ctx, camp, nil); err != nil {
			t.Fatal(err)
		}
	}
	h := pledge.NewHasher([]byte("admin test secret, not for production"))
	var subs []pledge.Submission
	for i := range 7 {
		subs = append(subs, storetest.Submission(h, vote.ID, i, storetest.Leaves[i%len(storetest.Leaves)]))
	}
	subs = append(subs, storetest.Submission(h, other.ID, 100, "S1"))
	if _, err := c.Store.CommitBatch(ctx, subs); err != nil {
		t.Fatal(err)
	}

	b := c.browser(t)
	b.mustLogin(viewerUser, viewerPass)
	r := b.get(homePath)
	wantStatus(t, r, http.StatusOK)
	// Each row: the campaign's link, ..., its regions, its total.
	rows := regexp.MustCompile(`(?s)<a href="/c/([^"]+)">.*?<td class="num">\d+</td><td class="num">(\d+)</td>`).FindAllStringSubmatch(r.Body, -1)
	got := map[string]string{}
	for _, m := range rows {
		got[m[1]] = m[2]
	}
	if diff := cmp.Diff(map[string]string{"vote": "7", "plant-trees": "1"}, got); diff != "" {
		t.Errorf("campaign totals (-want +got):\n%s\n%s", diff, clip(r.Body))
	}
	mustContain(t, r.Body, "Plant &lt;trees&gt;", "Test pledge")
}

func TestAuditPage(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	for i := range 60 {
		a := &pledge.Action{Actor: "cli", Remote: "local", Kind: "user-add", Detail: fmt.Sprintf("entry-%02d <b>", i)}
		if err := c.Store.LogAction(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	b := c.adminBrowser(t)
	first := b.get(auditPath)
	wantStatus(t, first, http.StatusOK)
	// Newest first: the log-in, then entry-59 down.
	mustContain(t, first.Body, "entry-59 &lt;b&gt;", "entry-11", "login")
	if strings.Contains(first.Body, "entry-10 ") {
		t.Error("the first page has more than 50 entries")
	}
	if strings.Index(first.Body, "entry-59") > strings.Index(first.Body, "entry-11") {
		t.Error("the audit page is not newest first")
	}
	next := regexp.MustCompile(`href="/admin/audit\?before=(\d+)"`).FindStringSubmatch(first.Body)
	if next == nil {
		t.Fatalf("no link to older entries:\n%s", clip(first.Body))
	}
	second := b.get(auditPath + "?before=" + next[1])
	wantStatus(t, second, http.StatusOK)
	mustContain(t, second.Body, "entry-10", "entry-00", "user-add")
	if strings.Contains(second.Body, "entry-11") || strings.Contains(second.Body, "?before=") {
		t.Errorf("second page repeats entries or offers a third:\n%s", clip(second.Body))
	}
	for _, bad := range []string{"x", "-1", "0"} {
		wantStatus(t, b.get(auditPath+"?before="+bad), http.StatusBadRequest)
	}
}

func TestAuditExportCSV(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	// More entries than one read of the export, one of them a formula.
	const n = 520
	for i := range n {
		a := &pledge.Action{Actor: "cli", Remote: "local", Kind: "user-add", Detail: "entry " + strconv.Itoa(i)}
		if i == 7 {
			a.Detail = `=HYPERLINK("http://evil.example","x"), and a "quote"`
		}
		if err := c.Store.LogAction(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	b := c.adminBrowser(t)
	start := time.Now().Add(-time.Second)
	r := b.get(exportPath)
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q, want text/csv", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, r.Body[:min(len(r.Body), 500)])
	}
	if diff := cmp.Diff([]string{"id", "at", "actor", "remote", "kind", "detail"}, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	rows := recs[1:]
	// Setup's two user-adds, the n entries, the log-in and the export itself.
	if len(rows) != n+4 {
		t.Fatalf("%d rows, want %d", len(rows), n+4)
	}
	// Newest first, each once: the export is first, then the log-in.
	for i := 1; i < len(rows); i++ {
		a, _ := strconv.ParseInt(rows[i-1][0], 10, 64)
		b, _ := strconv.ParseInt(rows[i][0], 10, 64)
		if b >= a {
			t.Fatalf("row %d id %d after %d: not strictly newest first", i, b, a)
		}
	}
	if got := rows[0]; got[2] != adminUser || got[3] != "127.0.0.1" || got[4] != "audit-export" {
		t.Errorf("first row = %q, want the export by %s from 127.0.0.1", got, adminUser)
	}
	if at, err := time.Parse(time.RFC3339, rows[0][1]); err != nil || at.Before(start.Truncate(time.Second)) || !strings.HasSuffix(rows[0][1], "+05:30") {
		t.Errorf("export row at = %q (%v), want a recent RFC 3339 time in IST, as pledges.csv writes times", rows[0][1], err)
	}
	if got := rows[1]; got[2] != adminUser || got[4] != "login" {
		t.Errorf("second row = %q, want the log-in", got)
	}
	var formula []string
	for _, row := range rows {
		if strings.Contains(row[5], "HYPERLINK") {
			formula = row
		}
	}
	if want := `'=HYPERLINK("http://evil.example","x"), and a "quote"`; formula == nil || formula[5] != want {
		t.Errorf("formula row = %q, want detail %q", formula, want)
	}
	if last := rows[len(rows)-1]; last[4] != "user-add" || !strings.Contains(last[5], adminUser) {
		t.Errorf("last row = %q, want the oldest entry (setup adding %s)", last, adminUser)
	}
	if got := c.lastAction(t, "audit-export"); got.Actor != adminUser {
		t.Errorf("audit-export entry = %+v", got)
	}
}

func TestUsersPage(t *testing.T) {
	c := newConsole(t)
	if err := c.Accounts.Disable(context.Background(), adminWho, viewerUser); err != nil {
		t.Fatal(err)
	}
	b := c.adminBrowser(t)
	r := b.get(usersPath)
	wantStatus(t, r, http.StatusOK)
	row := regexp.MustCompile(`<tr><td>` + viewerUser + `</td><td>viewer</td><td>disabled</td>`)
	if !row.MatchString(r.Body) {
		t.Errorf("users page does not show %s as a disabled viewer:\n%s", viewerUser, clip(r.Body))
	}
	mustContain(t, r.Body, `<tr><td>`+adminUser+`</td><td>admin</td><td>active</td>`)
	// It names every command that changes accounts, enable (a disabled
	// account's way back) included.
	mustContain(t, r.Body, "pledge user add|passwd|disable|enable")
	if strings.Contains(r.Body, "$argon2id$") {
		t.Error("users page shows password hashes")
	}
}

// TestCampaignStatuses: a campaign whose opening time is still to come is
// "scheduled", not "closed", and console times are in IST, as its forms
// take them.
func TestCampaignStatuses(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	open := storetest.Campaign("open-now")
	scheduled := storetest.Campaign("opens-later")
	scheduled.OpensAt = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	ended := storetest.Campaign("ended")
	ended.OpensAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ended.ClosesAt = time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, camp := range []*pledge.Campaign{open, scheduled, ended} {
		if err := c.Store.CreateCampaign(ctx, camp, nil); err != nil {
			t.Fatal(err)
		}
	}
	b := c.browser(t)
	b.mustLogin(viewerUser, viewerPass)
	home := b.get(homePath)
	status := regexp.MustCompile(`(?s)<a href="/c/([^"]+)">.*?</td>\s*<td>(?:<span[^>]*>)?(\w+)`)
	got := map[string]string{}
	for _, m := range status.FindAllStringSubmatch(home.Body, -1) {
		got[m[1]] = m[2]
	}
	if diff := cmp.Diff(map[string]string{"open-now": "open", "opens-later": "scheduled", "ended": "closed"}, got); diff != "" {
		t.Errorf("statuses on the campaign list (-want +got):\n%s", diff)
	}
	mustContain(t, home.Body, "2099-01-01 05:30:00 IST", "2020-02-01 05:30:00 IST")
	mustContain(t, b.get("/admin/c/opens-later").Body, `<span id="status">scheduled</span>`)
	mustContain(t, b.get("/admin/c/ended").Body, `<span id="status">closed</span>`)
}

// TestErrorPagesOfASignedInUser: an error page shown to a logged-in user
// (refused for the role, a stale form, no such page, a form too large) has
// the console's navigation and log-out button, as every other page does,
// not the log-in link shown to someone logged out.
func TestErrorPagesOfASignedInUser(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	signedIn := func(what string, r response, status int, user string, nav ...string) {
		t.Helper()
		if r.Status != status {
			t.Errorf("%s: status %d, want %d", what, r.Status, status)
		}
		for _, want := range append([]string{"<nav>", user + " (", `action="/admin/logout"`, `href="/admin/">Back to the dashboard`}, nav...) {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s: the page lacks %q:\n%s", what, want, clip(r.Body))
			}
		}
		if strings.Contains(r.Body, `href="/admin/login"`) {
			t.Errorf("%s: the page offers a logged-in user the log-in page:\n%s", what, clip(r.Body))
		}
	}

	signedIn("a viewer on the audit log", viewer.get(auditPath), http.StatusForbidden, viewerUser)
	signedIn("no such campaign", adm.get("/admin/c/nonexist"), http.StatusNotFound, adminUser, `href="/admin/audit"`)
	signedIn("a stale form", adm.post("/admin/c/vote/pause", url.Values{"csrf": {"stale"}}), http.StatusForbidden, adminUser, `href="/admin/audit"`)
	big := url.Values{"csrf": {adm.csrf("/admin/c/vote/edit")}, "pledge_en": {strings.Repeat("x", 1<<20)}}
	signedIn("a form too large", adm.post("/admin/c/vote/edit", big), http.StatusRequestEntityTooLarge, adminUser, `href="/admin/audit"`)

	// Logged out, the page still offers the log-in page.
	r := c.browser(t).post("/admin/c/vote/pause", url.Values{"csrf": {"stale"}})
	wantStatus(t, r, http.StatusForbidden)
	mustContain(t, r.Body, `href="/admin/login"`)
	if strings.Contains(r.Body, "<nav>") {
		t.Errorf("a logged-out error page shows the navigation:\n%s", clip(r.Body))
	}
}
