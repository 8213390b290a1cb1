package admin_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

var totalField = regexp.MustCompile(`id="total">(\d+)<`)

// dashboardTotal is the total the campaign's dashboard shows.
func dashboardTotal(t *testing.T, b *browser, slug string) int64 {
	t.Helper()
	r := b.get("/admin/c/" + slug)
	wantStatus(t, r, http.StatusOK)
	m := totalField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no total on the dashboard: %s", clip(r.Body))
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// wantTotals fails t unless the store's count rows, per region, and the
// dashboard agree with total and regions, and the audit is consistent.
func (c *console) wantTotals(t *testing.T, b *browser, camp *pledge.Campaign, total int64, regions map[string]int64) {
	t.Helper()
	got, err := c.Store.Counts(context.Background(), camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != total {
		t.Fatalf("counted total = %d, want %d (%v)", got.Total, total, got.Regions)
	}
	for r, n := range regions {
		if got.Regions[r] != n {
			t.Fatalf("region %s = %d, want %d (%v)", r, got.Regions[r], n, got.Regions)
		}
	}
	if n := dashboardTotal(t, b, camp.Slug); n != total {
		t.Fatalf("dashboard total = %d, want %d", n, total)
	}
	storetest.MustAudit(t, c.Store, camp.ID)
}

// seedSources commits pledges to camp with the given source addresses,
// regions and creation times, from mobile numbers first, first+1, ...
func (c *console) seedSources(t *testing.T, camp *pledge.Campaign, first int, at time.Time, region string, email string, sources ...string) {
	t.Helper()
	secret, err := c.Store.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := pledge.NewHasher(secret)
	var subs []pledge.Submission
	for i, src := range sources {
		sub := storetest.Submission(h, camp.ID, first+i, region)
		sub.CreatedAt, sub.Source, sub.Email = at, netip.MustParseAddr(src), email
		subs = append(subs, sub)
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

// certificate fetches the public certificate of pledge number in camp.
func (c *console) certificate(t *testing.T, b *browser, camp *pledge.Campaign, number int64) response {
	t.Helper()
	secret, err := c.Store.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := b.get("/certificate/" + pledge.NewTokens(secret).Encode(camp.ID, number) + "?lang=en")
	wantStatus(t, r, http.StatusOK)
	return r
}

func TestInvalidateAndRevert(t *testing.T) {
	c := newConsole(t, withPublicSite())
	camp := c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)

	// Pledge 1 over the public API, from the test's own address (loopback).
	if st := publicPledge(t, adm, "vote", 1); st != http.StatusCreated {
		t.Fatalf("public pledge: %d", st)
	}
	windowA := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC) // 15:30 IST
	windowB := time.Date(2026, 1, 11, 10, 0, 0, 0, time.UTC)
	c.seedSources(t, camp, 100, windowA, "N1", "", "100.64.0.1", "100.64.0.2")                    // 2, 3
	c.seedSources(t, camp, 200, windowA, "S1", "", "100.64.0.3", "100.64.0.4")                    // 4, 5
	c.seedSources(t, camp, 300, windowB, "S1", "", "2001:db8::1", "2001:db8::2", "2001:db8:1::3") // 6, 7, 8
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	path := "/admin/c/vote"
	invalidate := func(form url.Values) response { // confirmed at once: TestInvalidateAsksFirst has the first step
		t.Helper()
		form.Set("csrf", adm.csrf(path))
		form.Set("confirm", "yes")
		return adm.post(path+"/invalidate", form)
	}
	latest := func() pledge.Invalidation {
		t.Helper()
		list, err := c.Store.Invalidations(context.Background(), camp.ID)
		if err != nil || len(list) == 0 {
			t.Fatalf("Invalidations: %v, %v", list, err)
		}
		return list[0]
	}
	revert := func(id int64) response {
		t.Helper()
		return adm.post(fmt.Sprintf("%s/invalidations/%d/revert", path, id), url.Values{"csrf": {adm.csrf(path)}})
	}

	// By address prefix.
	r := invalidate(url.Values{"prefix": {"100.64.0.0/24"}, "reason": {"bot farm"}})
	inv := latest()
	wantRedirect(t, r, fmt.Sprintf("%s?invalidated=%d#invalidations", path, inv.ID))
	if inv.Rows != 4 || inv.Actor != adminUser || inv.Reason != "bot farm" {
		t.Fatalf("invalidation = %+v", inv)
	}
	c.wantTotals(t, adm, camp, 4, map[string]int64{"N1": 1, "S1": 3})
	mustContain(t, adm.get(fmt.Sprintf("%s?invalidated=%d", path, inv.ID)).Body, "set aside 4 pledges", "bot farm", `/invalidations/`+strconv.FormatInt(inv.ID, 10)+`/revert`)
	mustContain(t, c.certificate(t, adm, camp, 2).Body, `id="invalidated"`, "has been invalidated")
	// Every pledge is in the export, counted or not: the status says which.
	rows := exportCSV(t, adm, "vote")
	if len(rows) != 8 {
		t.Errorf("export has %d rows, want all 8 pledges (4 of them invalidated)", len(rows))
	}
	for _, rec := range rows {
		if want := map[bool]string{true: "invalidated", false: "counted"}[rec[0] >= "2" && rec[0] <= "5"]; rec[8] != want {
			t.Errorf("export row %v: status = %q, want %q", rec, rec[8], want)
		}
	}
	if body := c.certificate(t, adm, camp, 1).Body; strings.Contains(body, `id="invalidated"`) {
		t.Error("a valid pledge's certificate says it was invalidated")
	}
	if a := c.lastAction(t, admin.KindInvalidate); a.Actor != adminUser || !strings.Contains(a.Detail, "4 pledges") || !strings.Contains(a.Detail, "bot farm") {
		t.Errorf("audit entry = %+v", a)
	}

	// Revert: counts back exactly, certificates valid again; twice is refused.
	wantRedirect(t, revert(inv.ID), fmt.Sprintf("%s?reverted=%d#invalidations", path, inv.ID))
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})
	if body := c.certificate(t, adm, camp, 2).Body; strings.Contains(body, `id="invalidated"`) {
		t.Error("certificate still says invalidated after the revert")
	}
	if a := c.lastAction(t, admin.KindInvalidateRevert); !strings.Contains(a.Detail, fmt.Sprintf("#%d reverted", inv.ID)) {
		t.Errorf("revert audit entry = %+v", a)
	}
	wantStatus(t, revert(inv.ID), http.StatusConflict)
	wantStatus(t, revert(99999), http.StatusNotFound)
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	// By region.
	wantStatus(t, invalidate(url.Values{"region": {"S1"}, "reason": {"region audit"}}), http.StatusSeeOther)
	byRegion := latest()
	if byRegion.Rows != 5 {
		t.Fatalf("region invalidation = %+v, want 5 rows", byRegion)
	}
	c.wantTotals(t, adm, camp, 3, map[string]int64{"N1": 3, "S1": 0})

	// By time window (IST), on top: only pledges still valid are taken.
	wantStatus(t, invalidate(url.Values{"from": {"2026-01-10T15:00"}, "to": {"2026-01-10T16:00"}, "reason": {"burst"}}), http.StatusSeeOther)
	byTime := latest()
	if byTime.Rows != 2 {
		t.Fatalf("time invalidation = %+v, want 2 rows (N1 of window A)", byTime)
	}
	c.wantTotals(t, adm, camp, 1, map[string]int64{"N1": 1, "S1": 0})
	// The console and the audit log show the window in IST, as it was
	// typed, written as the console writes every time.
	mustContain(t, html.UnescapeString(adm.get(fmt.Sprintf("/admin/c/%s?invalidated=%d", camp.Slug, byTime.ID)).Body),
		"set aside 2 pledges (from 2026-01-10 15:00:00 IST, to 2026-01-10 16:00:00 IST)",
		"<td>from 2026-01-10 15:00:00 IST, to 2026-01-10 16:00:00 IST</td>")
	if a := c.lastAction(t, admin.KindInvalidate); !strings.Contains(a.Detail, "from 2026-01-10 15:00:00 IST, to 2026-01-10 16:00:00 IST;") {
		t.Errorf("invalidate entry = %+v, want the window in IST", a)
	}
	mustContain(t, adm.get(auditPath).Body, "from 2026-01-10 15:00:00 IST, to 2026-01-10 16:00:00 IST")
	wantStatus(t, revert(byRegion.ID), http.StatusSeeOther)
	c.wantTotals(t, adm, camp, 6, map[string]int64{"N1": 1, "S1": 5})
	wantStatus(t, revert(byTime.ID), http.StatusSeeOther)
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	// The public site recorded the API pledge's address.
	wantStatus(t, invalidate(url.Values{"prefix": {"127.0.0.1"}, "reason": {"loopback"}}), http.StatusSeeOther)
	if l := latest(); l.Rows != 1 {
		t.Fatalf("loopback invalidation = %+v, want the one API pledge", l)
	}
	mustContain(t, c.certificate(t, adm, camp, 1).Body, `id="invalidated"`)
	c.wantTotals(t, adm, camp, 7, map[string]int64{"N1": 2, "S1": 5})
	wantStatus(t, revert(latest().ID), http.StatusSeeOther)
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	// A filter that matches nothing is on record, but has nothing to revert.
	// Its reason, in Hindi, is within the form's 500 characters though over 500 bytes.
	wantStatus(t, invalidate(url.Values{"prefix": {"192.0.2.0/24"}, "reason": {strings.Repeat("फ़र्ज़ी ", 60)}}), http.StatusSeeOther)
	none := latest()
	if none.Rows != 0 {
		t.Fatalf("invalidation of an unused prefix = %+v, want 0 rows", none)
	}
	listing := adm.get(fmt.Sprintf("%s?invalidated=%d", path, none.ID)).Body
	mustContain(t, listing, fmt.Sprintf("Invalidation #%d matched no pledges", none.ID),
		fmt.Sprintf(`<tr data-id="%d"><td>%d</td>`, none.ID, none.ID), "<td>matched no pledges</td>")
	if strings.Contains(listing, fmt.Sprintf("/invalidations/%d/revert", none.ID)) {
		t.Error("the empty invalidation is offered for revert")
	}
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	// Refused inputs change nothing.
	before := len(c.actions(t))
	list, _ := c.Store.Invalidations(context.Background(), camp.ID)
	for name, form := range map[string]url.Values{
		"no criterion":   {"reason": {"why not"}},
		"no reason":      {"prefix": {"100.64.0.0/24"}},
		"bad prefix":     {"prefix": {"100.64.0.0/99"}, "reason": {"x"}},
		"unknown region": {"region": {"NORTH"}, "reason": {"x"}},
		"bad time":       {"from": {"yesterday"}, "reason": {"x"}},
		"empty window":   {"from": {"2026-01-10T16:00"}, "to": {"2026-01-10T15:00"}, "reason": {"x"}},
		"long reason":    {"prefix": {"100.64.0.0/24"}, "reason": {strings.Repeat("क", 501)}},
	} {
		r := invalidate(form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `class="error" data-field="invalidate"`) {
			t.Errorf("%s: %d, want 422 with the problem shown: %s", name, r.Status, clip(r.Body))
		}
		// announced, and tied to the form
		if !strings.Contains(r.Body, `<div id="invalidate-error" role="alert">`) || !strings.Contains(r.Body, `id="invalidate-form" aria-describedby="invalidate-error"`) {
			t.Errorf("%s: the problem is not announced or not tied to the form: %s", name, clip(r.Body))
		}
	}
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})
	if after, _ := c.Store.Invalidations(context.Background(), camp.ID); len(after) != len(list) {
		t.Errorf("refused forms stored invalidations: %d, want %d", len(after), len(list))
	}
	if n := len(c.actions(t)); n != before {
		t.Errorf("refused forms were audited: %d entries, want %d", n, before)
	}
	// Without the CSRF token.
	wantStatus(t, adm.post(path+"/invalidate", url.Values{"prefix": {"100.64.0.0/24"}, "reason": {"x"}}), http.StatusForbidden)

	// A viewer sees the list but may not invalidate or revert.
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	page := viewer.get(path)
	wantStatus(t, page, http.StatusOK)
	if strings.Contains(page.Body, "invalidate-form") || strings.Contains(page.Body, "/revert") {
		t.Error("the viewer's dashboard offers invalidation")
	}
	tok := viewer.csrf(path)
	wantStatus(t, viewer.post(path+"/invalidate", url.Values{"csrf": {tok}, "prefix": {"100.64.0.0/24"}, "reason": {"x"}}), http.StatusForbidden)
	wantStatus(t, viewer.post(fmt.Sprintf("%s/invalidations/%d/revert", path, inv.ID), url.Values{"csrf": {tok}}), http.StatusForbidden)
	c.wantTotals(t, adm, camp, 8, map[string]int64{"N1": 3, "S1": 5})

	if n := c.count(t, admin.KindInvalidate); n != 5 {
		t.Errorf("%d invalidate entries, want 5", n)
	}
	if n := c.count(t, admin.KindInvalidateRevert); n != 4 {
		t.Errorf("%d invalidate-revert entries, want 4", n)
	}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// hiddenFields are the hidden fields of the form with id in body.
func hiddenFields(t *testing.T, body, id string) url.Values {
	t.Helper()
	_, form, ok := strings.Cut(body, `id="`+id+`"`)
	if !ok {
		t.Fatalf("no form %s in the page: %s", id, clip(body))
	}
	form, _, _ = strings.Cut(form, "</form>")
	out := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(form, -1) {
		out.Add(m[1], html.UnescapeString(m[2]))
	}
	return out
}

// The invalidation form first shows how many pledges it matches, with the
// criteria in words, and changes nothing; only the page's confirm button,
// sending the same criteria, sets them aside. Most of a campaign is said
// to be so prominently, and a bare address to be read as that one address.
func TestInvalidateAsksFirst(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	windowA := time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC) // 15:30 IST
	windowB := time.Date(2026, 1, 11, 10, 0, 0, 0, time.UTC)
	c.seedSources(t, camp, 100, windowA, "N1", "", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1") // 1-6
	c.seedSources(t, camp, 200, windowB, "S1", "", "100.64.0.1", "100.64.0.2")                                                   // 7, 8
	all := map[string]int64{"N1": 6, "S1": 2}
	c.wantTotals(t, adm, camp, 8, all)
	path := "/admin/c/vote"
	before := len(c.actions(t))
	preview := func(form url.Values) response {
		t.Helper()
		form.Set("csrf", adm.csrf(path))
		r := adm.post(path+"/invalidate", form)
		wantStatus(t, r, http.StatusOK)
		return r
	}
	mostNote := `id="invalidate-most"`

	// A bare office address: every pledge came from it.
	bare := preview(url.Values{"prefix": {"127.0.0.1"}, "reason": {"one office"}})
	mustContain(t, html.UnescapeString(bare.Body), "sent from the single address 127.0.0.1 (an address without /bits is read as that one address, 127.0.0.1/32)",
		`This will set aside <strong id="matches">6</strong> of the campaign's <span id="counted">8</span> counted pledges (75 %)`, mostNote,
		"This sets aside most of the campaign: 6 of its 8", `<span id="invalidate-reason">one office</span>`, "nothing has been changed yet")
	// By region: counted exactly, a quarter.
	region := preview(url.Values{"region": {"S1"}, "reason": {"audit"}}).Body
	mustContain(t, region, "made in the region South One (S1)",
		`This will set aside <strong id="matches">2</strong> of the campaign's <span id="counted">8</span> counted pledges (25 %)`)
	if strings.Contains(region, mostNote) {
		t.Error("a quarter of the campaign is called most of it")
	}
	// By time: three quarters, said prominently.
	window := preview(url.Values{"from": {"2026-01-10T15:00"}, "to": {"2026-01-10T16:00"}, "reason": {"burst"}}).Body
	mustContain(t, window, "made at or after 2026-01-10 15:00:00 IST", "made before 2026-01-10 16:00:00 IST",
		`<strong id="matches">6</strong> of the campaign's <span id="counted">8</span> counted pledges (75 %)`, mostNote,
		"This sets aside most of the campaign: 6 of its 8 counted pledges (75 %)")
	// A prefix with a typo: its size is spelt out, and the pledges it
	// matches with the other criteria counted.
	typo := html.UnescapeString(preview(url.Values{"region": {"S1"}, "prefix": {"100.64.0.0/8"}, "reason": {"bots"}}).Body)
	mustContain(t, typo, "100.64.0.0/8 is read as 100.0.0.0/8", "the 16777216 addresses 100.0.0.0 to 100.255.255.255",
		`<strong id="matches">2</strong> of the campaign's <span id="counted">8</span> counted pledges (25 %)`)
	// Another address: none of the campaign's.
	none := preview(url.Values{"prefix": {"198.51.100.0/24"}, "reason": {"elsewhere"}}).Body
	mustContain(t, none, `<strong id="matches">0</strong>`, "sets aside nothing")

	// Showing the page changed nothing.
	c.wantTotals(t, adm, camp, 8, all)
	if list, err := c.Store.Invalidations(t.Context(), camp.ID); err != nil || len(list) != 0 {
		t.Fatalf("invalidations after previews: %v, %v; want none", list, err)
	}
	if n := len(c.actions(t)); n != before {
		t.Errorf("previews wrote %d audit entries, want none", n-before)
	}

	// The confirm button sends the same criteria, with the form's token.
	confirm := hiddenFields(t, bare.Body, "invalidate-confirm")
	if confirm.Get("prefix") != "127.0.0.1" || confirm.Get("reason") != "one office" || confirm.Get("confirm") != "yes" || confirm.Get("csrf") == "" {
		t.Fatalf("confirm form = %v", confirm)
	}
	r := adm.post(path+"/invalidate", confirm)
	wantStatus(t, r, http.StatusSeeOther)
	list, err := c.Store.Invalidations(t.Context(), camp.ID)
	if err != nil || len(list) != 1 || list[0].Rows != 6 || list[0].Reason != "one office" {
		t.Fatalf("invalidations after confirming: %+v, %v; want one of 6 pledges", list, err)
	}
	c.wantTotals(t, adm, camp, 2, map[string]int64{"N1": 0, "S1": 2})
	// Pledges set aside already are no longer counted as matching.
	mustContain(t, preview(url.Values{"from": {"2026-01-10T15:00"}, "reason": {"again"}}).Body,
		`<strong id="matches">2</strong> of the campaign's <span id="counted">2</span> counted pledges (100 %)`)
	// Without the token, the confirmation is refused.
	confirm.Del("csrf")
	wantStatus(t, adm.post(path+"/invalidate", confirm), http.StatusForbidden)
	if n := c.count(t, admin.KindInvalidate); n != 1 {
		t.Errorf("%d invalidate entries, want 1", n)
	}
}

func TestAnonymise(t *testing.T) {
	c := newConsole(t, withPublicSite())
	open := c.mustCreate(t, "open")
	adm := c.adminBrowser(t)
	c.seedSources(t, open, 1, time.Date(2026, 1, 10, 10, 0, 0, 0, time.UTC), "N1", "", "100.64.0.1")
	if strings.Contains(adm.get("/admin/c/open").Body, "anonymise-form") {
		t.Error("an open campaign's dashboard offers anonymisation")
	}
	wantStatus(t, adm.post("/admin/c/open/anonymise", url.Values{"csrf": {adm.csrf("/admin/c/open")}, "confirm": {"yes"}}), http.StatusConflict)

	ctx := context.Background()
	camp := storetest.Campaign("ended")
	camp.Email = pledge.EmailOptional
	camp.ClosesAt = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := c.Store.CreateCampaign(ctx, camp, nil); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	c.seedSources(t, camp, 10, at, "N1", "a@example.org", "100.64.0.1", "2001:db8::1")
	c.seedSources(t, camp, 20, at, "S1", "b@example.org", "100.64.0.2")
	c.wantTotals(t, adm, camp, 3, map[string]int64{"N1": 2, "S1": 1})
	certBefore := c.certificate(t, adm, camp, 2).Body
	// Two pledges waiting for their e-mail confirmation: names and
	// addresses, never counted.
	h := pledge.NewHasher([]byte("k"))
	res, err := c.Store.CommitBatch(ctx, []pledge.Submission{
		storetest.PendingSubmission(h, camp.ID, 30, "N1"), storetest.PendingSubmission(h, camp.ID, 31, "S1")})
	if err != nil || res[0].Receipt.Pending == 0 || res[1].Receipt.Pending == 0 {
		t.Fatalf("pending pledges: %+v, %v", res, err)
	}

	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	wantStatus(t, viewer.post("/admin/c/ended/anonymise", url.Values{"csrf": {viewer.csrf("/admin/c/ended")}}), http.StatusForbidden)

	page := adm.get("/admin/c/ended")
	mustContain(t, page.Body, "anonymise-form", "Unconfirmed pledges", "are deleted", "their confirmation links stop working",
		`<span id="pending">2</span> waiting for their e-mail address to be confirmed`, `<span id="withdrawn">0</span> withdrawn`)
	// A link that says it was anonymised does not make it so.
	if body := adm.get("/admin/c/ended?anonymised=812&deleted=37").Body; strings.Contains(body, "removed from 812") {
		t.Error("the dashboard repeats an anonymisation the campaign never had")
	}
	// Not without the box ticked: it cannot be undone.
	r := adm.post("/admin/c/ended/anonymise", url.Values{"csrf": {adm.csrf("/admin/c/ended")}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "tick the box")
	if n := c.count(t, admin.KindAnonymise); n != 0 {
		t.Fatalf("%d anonymise entries after an unconfirmed attempt, want 0", n)
	}
	if err := c.Store.ExportPledges(ctx, camp.ID, func(p pledge.Pledge) error {
		if p.Email == "" {
			t.Errorf("an unconfirmed attempt removed the address of %+v", p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	done := "/admin/c/ended"
	editForm := adm.get("/admin/c/ended/edit") // opened before anonymising
	wantRedirect(t, adm.post("/admin/c/ended/anonymise", url.Values{"csrf": {adm.csrf("/admin/c/ended")}, "confirm": {"yes"}}), done)
	page = adm.get(done)
	mustContain(t, page.Body, "removed from 3 pledges; 2 unconfirmed pledges deleted", `id="anonymised"`, "cannot reopen",
		"closed, anonymised", `<span id="pending">0</span>`)
	// The numbers are said once, and never taken from a link.
	for _, again := range []string{done, done + "?anonymised=812&deleted=37"} {
		if body := adm.get(again).Body; strings.Contains(body, "removed from") {
			t.Errorf("%s repeats the numbers of the anonymisation: %s", again, clip(body))
		}
	}
	if strings.Contains(page.Body, "anonymise-form") {
		t.Error("an anonymised campaign's dashboard offers to anonymise it again")
	}
	// It may not reopen: neither from the form opened before, nor from a
	// new one.
	reopen := url.Values{"csrf": {adm.csrf("/admin/c/ended/edit")}, "version": {formVersion(t, editForm)}, "lang": {"en", "hi"},
		"title_en": {"Test pledge"}, "title_hi": {"परीक्षण"}, "pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "closes_at": {""}, "email": {"optional"}}
	for _, version := range []string{formVersion(t, editForm), formVersion(t, adm.get("/admin/c/ended/edit"))} {
		reopen.Set("version", version)
		r = adm.post("/admin/c/ended/edit", reopen)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r.Body, "an anonymised campaign cannot reopen")
	}
	if got := c.campaign(t, "ended"); !got.ClosesAt.Equal(camp.ClosesAt) {
		t.Errorf("closes at %v after the refused edit", got.ClosesAt)
	}
	if a := c.lastAction(t, admin.KindAnonymise); a.Actor != adminUser ||
		a.Detail != "ended: e-mail and network addresses removed from 3 pledges; 2 unconfirmed pledges deleted" {
		t.Errorf("audit entry = %+v, want both numbers", a)
	}
	for _, r := range res {
		if _, err := c.Store.Pending(ctx, camp.ID, r.Receipt.Pending); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("pending pledge %d after anonymising: %v, want it deleted", r.Receipt.Pending, err)
		}
	}

	var n int
	err = c.Store.ExportPledges(ctx, camp.ID, func(p pledge.Pledge) error {
		n++
		if p.Email != "" || p.Name == "" || p.PhoneMasked == "" {
			t.Errorf("pledge after anonymising: %+v", p)
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("export: %d pledges, %v", n, err)
	}
	// No network address is left for an invalidation to match.
	for _, pf := range []string{"0.0.0.0/0", "::/0"} {
		inv, err := c.Store.Invalidate(ctx, camp.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix(pf)}, "probe", "test", nil)
		if err != nil || inv.Rows != 0 {
			t.Fatalf("%s after anonymising: %d rows, %v", pf, inv.Rows, err)
		}
	}
	c.wantTotals(t, adm, camp, 3, map[string]int64{"N1": 2, "S1": 1})
	if after := c.certificate(t, adm, camp, 2).Body; after != certBefore {
		t.Error("the certificate changed with anonymisation")
	}
	// The open campaign kept its data.
	inv, err := c.Store.Invalidate(ctx, open.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("100.64.0.0/24")}, "probe", "test", nil)
	if err != nil || inv.Rows != 1 {
		t.Fatalf("open campaign after anonymising another: %d rows, %v", inv.Rows, err)
	}
}
