package admin_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// commitAt stores one pledge per region in regions, numbered from first,
// all made at t.
func commitAt(t *testing.T, c *console, campaign *pledge.Campaign, first int, at time.Time, regions ...string) {
	t.Helper()
	h := pledge.NewHasher([]byte("admin test secret, not for production"))
	subs := make([]pledge.Submission, len(regions))
	for i, r := range regions {
		subs[i] = storetest.Submission(h, campaign.ID, first+i, r)
		subs[i].CreatedAt = at.UTC().Truncate(time.Microsecond)
	}
	res, err := c.Store.CommitBatch(context.Background(), subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func newCampaign(t *testing.T, c *console, slug string, email pledge.EmailMode) *pledge.Campaign {
	t.Helper()
	camp := storetest.Campaign(slug)
	camp.Email = email
	if err := c.Store.CreateCampaign(context.Background(), camp, nil); err != nil {
		t.Fatal(err)
	}
	return camp
}

var (
	statValue = regexp.MustCompile(`<dd id="([a-z-]+)">(\d+)</dd>`)
	regionRow = regexp.MustCompile(`<tr class="(\w+)" data-code="([^"]+)"><td>[^<]*</td><td>[^<]*</td><td class="num">(\d+)</td>`)
)

func TestCampaignDashboard(t *testing.T) {
	c := newConsole(t)
	vote := newCampaign(t, c, "vote", pledge.EmailNone)
	now := time.Now()
	commitAt(t, c, vote, 0, now.Add(-25*time.Hour), "N2", "N2", "N2", "N2", "N2") // the total only
	commitAt(t, c, vote, 10, now.Add(-2*time.Hour), "S1", "S1", "S1", "S1")       // the last day
	commitAt(t, c, vote, 20, now.Add(-5*time.Minute), "N1", "N1")                 // the last hour
	commitAt(t, c, vote, 30, now.Add(-20*time.Second), "N1")                      // the last minute

	b := c.browser(t)
	b.mustLogin(viewerUser, viewerPass)
	home := b.get(homePath)
	mustContain(t, home.Body, `href="/admin/c/vote"`)

	r := b.get("/admin/c/vote")
	wantStatus(t, r, http.StatusOK)
	got := map[string]string{}
	for _, m := range statValue.FindAllStringSubmatch(r.Body, -1) {
		got[m[1]] = m[2]
	}
	want := map[string]string{"total": "12", "last-minute": "1", "last-hour": "3", "last-day": "7"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}

	// NORTH rolls up N1 and N2 and leads with 8; its children follow it,
	// highest first; S1 (4) comes after them though it beats N1 (3).
	var rows []string
	for _, m := range regionRow.FindAllStringSubmatch(r.Body, -1) {
		rows = append(rows, m[1]+" "+m[2]+" "+m[3])
	}
	wantRows := []string{"parent NORTH 8", "child N2 5", "child N1 3", "top S1 4"}
	if diff := cmp.Diff(wantRows, rows); diff != "" {
		t.Errorf("region table (-want +got):\n%s\n%s", diff, clip(r.Body))
	}

	// It reloads itself only when asked: a reload would throw away what is
	// being typed into its forms.
	if strings.Contains(r.Body, `http-equiv="refresh"`) {
		t.Error("the dashboard reloads itself without ?live=1")
	}
	mustContain(t, r.Body, `<a href="/admin/c/vote?live=1" id="live">`)
	live := b.get("/admin/c/vote?live=1")
	mustContain(t, live.Body, `<meta http-equiv="refresh" content="30">`, `<a href="/admin/c/vote" id="live">stop</a>`)
	// An admin's wall display offers no actions: a hall sees it, and its
	// reload would lose a half-typed form.
	boss := c.adminBrowser(t)
	mustContain(t, boss.get("/admin/c/vote").Body, `action="/admin/c/vote/pause"`, `id="invalidate-form"`, `/admin/c/vote/pledges.csv`)
	wall := boss.get("/admin/c/vote?live=1").Body
	for _, action := range []string{`/admin/c/vote/pause"`, `id="invalidate-form"`, `/admin/c/vote/edit"`, `/admin/c/vote/pledges.csv`} {
		if strings.Contains(wall, action) {
			t.Errorf("the live dashboard offers %s", action)
		}
	}
	mustContain(t, r.Body,
		`<svg `, `role="img"`, `<title id="chart-title">Pledges per minute, last 24 hours</title>`, `<desc id="chart-desc">7 pledges in the last 24 hours`,
		`Time (IST, UTC+5:30)`,
		`href="/api/v1/campaigns/vote/stats.csv"`,
	)
	points := regexp.MustCompile(`<polyline [^>]*points="([^"]+)"`).FindStringSubmatch(r.Body)
	if points == nil || len(strings.Fields(points[1])) != 24*60 {
		t.Errorf("the chart has no polyline of 1440 points")
	}
	if strings.Contains(r.Body, "pledges.csv") {
		t.Error("the viewer's dashboard offers the pledge export")
	}

	adm := c.adminBrowser(t)
	mustContain(t, adm.get("/admin/c/vote").Body, `href="/admin/c/vote/pledges.csv"`)
	wantStatus(t, adm.get("/admin/c/nope"), http.StatusNotFound)
	wantLogin(t, c.browser(t).get("/admin/c/vote"))
}

func TestCampaignDashboardEmpty(t *testing.T) {
	c := newConsole(t)
	newCampaign(t, c, "quiet", pledge.EmailNone)
	b := c.browser(t)
	b.mustLogin(viewerUser, viewerPass)
	r := b.get("/admin/c/quiet")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `<dd id="total">0</dd>`, "No pledges in the last 24 hours.", `<tr class="parent" data-code="NORTH">`)
}

// TestDashboardShowsUncountedAfterModeChange: a campaign that asked for
// addresses and no longer does still shows the pledges waiting for
// confirmation (their links still work), and its export still names the
// addresses stored.
func TestDashboardShowsUncountedAfterModeChange(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "quiet")
	if camp.Email != pledge.EmailNone {
		t.Fatalf("test campaign asks for email %q, want none", camp.Email)
	}
	adm := c.adminBrowser(t)
	if strings.Contains(adm.get("/admin/c/quiet").Body, `id="uncounted"`) {
		t.Error("a campaign that never asked for addresses shows a not-counted line")
	}
	h := pledge.NewHasher([]byte("admin test secret"))
	sub := storetest.PendingSubmission(h, camp.ID, 1, "N1")
	commit(t, c, []pledge.Submission{sub})
	mustContain(t, adm.get("/admin/c/quiet").Body, `id="uncounted"`, `<span id="pending">1</span>`)
}
