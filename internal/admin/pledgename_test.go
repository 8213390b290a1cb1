package admin_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// pledgeName is the stored name of pledge number of camp.
func (c *console) pledgeName(t *testing.T, camp *pledge.Campaign, number int64) string {
	t.Helper()
	p, err := c.Store.Pledge(context.Background(), camp.ID, number)
	if err != nil {
		t.Fatal(err)
	}
	return p.Name
}

// TestCorrectPledgeName: an admin finds a pledge by its number from the
// dashboard and corrects its name with a reason; the name is stored as
// the public form stores one, the counts stay, and the audit log has the
// old and new names and the reason. Refused corrections change nothing
// and bring the form back as typed, saying why.
func TestCorrectPledgeName(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	at := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC) // 15:30 IST
	c.seedSources(t, camp, 1, at, "N1", "", "100.64.0.1", "100.64.0.2", "100.64.0.3")
	adm := c.adminBrowser(t)

	dash := adm.get("/admin/c/vote")
	wantStatus(t, dash, http.StatusOK)
	mustContain(t, dash.Body, "Find a pledge by number", `action="/admin/c/vote/pledge"`)

	page := "/admin/c/vote/pledge?number=2"
	r := adm.get(page)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `id="pledge-name">Citizen 2<`, `id="pledge-phone">******0002<`,
		`id="pledge-region">North One (N1)<`, `id="pledge-at">2026-01-10 15:30:00 IST<`, `id="pledge-state">counted<`,
		`action="/admin/c/vote/pledge/2/name"`)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
	}
	// A citizen's name shown is on record, as an export is.
	var viewed []pledge.Action
	for _, a := range c.actions(t) {
		if a.Kind == admin.KindPledgeView {
			viewed = append(viewed, a)
		}
	}
	if len(viewed) != 1 || viewed[0].Actor != adminUser || viewed[0].Campaign != "vote" || viewed[0].Detail != "vote #2" {
		t.Errorf("pledge-view entries %+v, want one by %s of vote #2", viewed, adminUser)
	}
	changes := func() int { return len(c.actions(t)) - c.count(t, admin.KindPledgeView) }
	correct := func(number string, form url.Values) response {
		t.Helper()
		form.Set("csrf", adm.csrf(page))
		return adm.post("/admin/c/vote/pledge/"+number+"/name", form)
	}

	// Refusals: nothing changes, nothing is recorded, the form keeps what
	// was typed and says why.
	before := changes()
	for _, tc := range []struct {
		name, reason, why string
		status            int
	}{
		{"Ramesh 🙂", "typo", "letters only", http.StatusUnprocessableEntity},
		{"12345", "typo", "must have letters", http.StatusUnprocessableEntity},
		{"   ", "typo", "Type the name", http.StatusUnprocessableEntity},
		{"Ramesh Kumar", "  ", "Give a reason", http.StatusUnprocessableEntity},
		{"Ramesh Kumar", strings.Repeat("x", 201), "at most 200 characters", http.StatusUnprocessableEntity},
	} {
		r := correct("2", url.Values{"name": {tc.name}, "reason": {tc.reason}})
		wantStatus(t, r, tc.status)
		mustContain(t, r.Body, tc.why, `role="alert"`, `name="name" value="`+html.EscapeString(tc.name)+`"`)
		if strings.TrimSpace(tc.reason) != "" {
			mustContain(t, r.Body, `name="reason" value="`+tc.reason+`"`)
		}
	}
	r = adm.post("/admin/c/vote/pledge/2/name", url.Values{"name": {"Ramesh Kumar"}, "reason": {"typo"}})
	wantStatus(t, r, http.StatusForbidden) // no form token
	if got := c.pledgeName(t, camp, 2); got != "Citizen 2" {
		t.Fatalf("name after refusals %q, want unchanged", got)
	}
	if n := changes(); n != before {
		t.Fatalf("refusals recorded %d audit entries", n-before)
	}

	// The correction: typed as on a phone, stored as the form stores names.
	r = correct("2", url.Values{"name": {"  Ramesh   Kumar "}, "reason": {"typo, confirmed by phone"}})
	wantRedirect(t, r, page)
	if got := c.pledgeName(t, camp, 2); got != "Ramesh Kumar" {
		t.Fatalf("name %q, want %q", got, "Ramesh Kumar")
	}
	act := c.lastAction(t, admin.KindPledgeName)
	if want := `vote #2: "Citizen 2" → "Ramesh Kumar"; reason: typo, confirmed by phone`; act.Detail != want || act.Actor != adminUser {
		t.Errorf("audit entry %s %q, want %s %q", act.Actor, act.Detail, adminUser, want)
	}
	r = adm.get(page)
	mustContain(t, r.Body, `id="pledge-name">Ramesh Kumar<`, `id="done"`, `corrected from &#34;Citizen 2&#34; to &#34;Ramesh Kumar&#34;`)
	c.wantTotals(t, adm, camp, 3, map[string]int64{"N1": 3})

	// The same name again: nothing changes, nothing is recorded.
	before = changes()
	wantRedirect(t, correct("2", url.Values{"name": {"Ramesh Kumar"}, "reason": {"again"}}), page)
	mustContain(t, adm.get(page).Body, "nothing changed")
	if n := changes(); n != before {
		t.Errorf("the same name again recorded %d entries", n-before)
	}

	// Unknown numbers, and what is not a number.
	r = adm.get("/admin/c/vote/pledge?number=99")
	wantStatus(t, r, http.StatusNotFound)
	mustContain(t, r.Body, "There is no pledge #99 in this campaign. Its pledges are numbered 1 to 3.", `value="99"`)
	r = adm.get("/admin/c/vote/pledge?number=abc")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "Type a certificate number", `value="abc"`)
	r = adm.get("/admin/c/vote/pledge?number=%233") // "#3", as a certificate writes it
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `id="pledge-name">Citizen 3<`)
	r = correct("99", url.Values{"name": {"Someone"}, "reason": {"typo"}})
	wantStatus(t, r, http.StatusNotFound)
	mustContain(t, r.Body, "There is no pledge #99")

	// A withdrawn pledge is shown, not corrected.
	if err := c.Store.Withdraw(context.Background(), camp.ID, 3, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r = adm.get("/admin/c/vote/pledge?number=3")
	mustContain(t, r.Body, "withdrawn by its citizen on 2026-01-10 16:30:00 IST", `id="not-correctable"`)
	if strings.Contains(r.Body, `id="name-form"`) {
		t.Error("a withdrawn pledge's page offers the correction form")
	}
	r = correct("3", url.Values{"name": {"Someone Else"}, "reason": {"typo"}})
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, "not counted any more")
	if got := c.pledgeName(t, camp, 3); got != "Citizen 3" {
		t.Errorf("withdrawn pledge renamed %q", got)
	}
}

// TestCorrectPledgeNameViewer: a viewer sees dashboards and aggregate
// counts only: no pledge lookup (it shows a citizen's name), and a
// correction sent anyway is refused.
func TestCorrectPledgeNameViewer(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	c.seedSources(t, camp, 1, time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), "S1", "", "100.64.0.1")
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)

	if strings.Contains(viewer.get("/admin/c/vote").Body, "Find a pledge by number") {
		t.Error("a viewer's dashboard offers the pledge lookup")
	}
	r := viewer.get("/admin/c/vote/pledge?number=1")
	wantStatus(t, r, http.StatusForbidden)
	if strings.Contains(r.Body, "Citizen 1") {
		t.Error("a viewer was shown a pledge's name")
	}
	tok := viewer.csrf("/admin/c/vote") // the log-out button's
	r = viewer.post("/admin/c/vote/pledge/1/name", url.Values{"csrf": {tok}, "name": {"Someone Else"}, "reason": {"typo"}})
	wantStatus(t, r, http.StatusForbidden)
	if got := c.pledgeName(t, camp, 1); got != "Citizen 1" {
		t.Errorf("a viewer renamed the pledge %q", got)
	}
	if n := c.count(t, admin.KindPledgeName); n != 0 {
		t.Errorf("%d name corrections recorded", n)
	}
}
