package admin_test

import (
	"context"
	"encoding/csv"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// auditRow matches one entry of the audit page: its id, actor and kind.
var auditRow = regexp.MustCompile(`<td class="num">(\d+)</td><td>[^<]*</td><td>(?:<span class="muted">)?([^<]*)(?:</span>)?</td>\s*<td>[^<]*</td><td>([^<]*)</td>`)

// auditEntry is an entry as the audit page lists it.
type auditEntry struct{ ID, Actor, Kind string }

// auditPage fetches path, checks it is 200, and returns its entries and
// the address of its "Older entries" link ("": none).
func auditPage(t *testing.T, b *browser, path string) ([]auditEntry, string) {
	t.Helper()
	r := b.get(path)
	wantStatus(t, r, http.StatusOK)
	var out []auditEntry
	for _, m := range auditRow.FindAllStringSubmatch(r.Body, -1) {
		out = append(out, auditEntry{m[1], m[2], m[3]})
	}
	next := ""
	if m := regexp.MustCompile(`<a href="([^"]*)">Older entries</a>`).FindStringSubmatch(r.Body); m != nil {
		next = html.UnescapeString(m[1])
	}
	return out, next
}

// kindsOf lists the kinds of entries, in order.
func kindsOf(es []auditEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

// TestAuditFilter: the audit page filters by account, kind and campaign,
// alone or combined, from a GET form that shows the filter in force;
// campaign changes made in the console are found by their campaign.
func TestAuditFilter(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	c.mustCreate(t, "walk")
	adm := c.adminBrowser(t)
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	for _, p := range []string{"/admin/c/vote/pause", "/admin/c/walk/pause", "/admin/c/walk/resume"} {
		wantRedirect(t, adm.post(p, url.Values{"csrf": {adm.csrf(homePath)}}), p[:strings.LastIndex(p, "/")])
	}
	wantStatus(t, adm.get("/admin/c/vote/pledges.csv"), http.StatusOK)
	form := campaignValues(adm.csrf(newCampaignPath))
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")

	// Every change to a campaign the console made names it.
	for _, a := range c.actions(t) {
		switch a.Kind {
		case admin.KindCampaignPause, admin.KindCampaignResume, admin.KindExport, admin.KindCampaignCreate:
			if a.Campaign == "" || !strings.HasPrefix(a.Detail, a.Campaign) {
				t.Errorf("%s entry %+v names no campaign, or another than its detail", a.Kind, a)
			}
		default:
			if a.Campaign != "" {
				t.Errorf("%s entry %+v names a campaign", a.Kind, a)
			}
		}
	}

	tests := []struct {
		query string
		want  []string // kinds, newest first
	}{
		{"campaign=vote", []string{"export", "campaign-pause"}},
		{"campaign=walk", []string{"campaign-resume", "campaign-pause"}},
		{"campaign=walk&kind=campaign-pause", []string{"campaign-pause"}},
		{"kind=login", []string{"login", "login"}},
		{"actor=observer", []string{"login"}},
		{"actor=+observer+", []string{"login"}},
		{"actor=observer&kind=login", []string{"login"}},
		{"actor=observer&campaign=vote", nil},
		{"actor=deo&campaign=plant-trees", []string{"campaign-create"}},
		{"actor=nobody", nil},
	}
	for _, tc := range tests {
		es, next := auditPage(t, adm, auditPath+"?"+tc.query)
		if diff := cmp.Diff(tc.want, kindsOf(es)); diff != "" {
			t.Errorf("?%s (-want +got):\n%s", tc.query, diff)
		}
		if next != "" {
			t.Errorf("?%s: a link to older entries: %q", tc.query, next)
		}
	}

	// The form shows the filter in force, and says when nothing matches.
	r := adm.get(auditPath + "?actor=observer&kind=login&campaign=walk")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `<form class="filter" method="get" action="/admin/audit"`, `name="actor" value="observer"`,
		`<option selected>login</option>`, `<option selected>walk</option>`, "No entries match this filter.",
		`<a href="/admin/audit.csv?actor=observer&amp;campaign=walk&amp;kind=login">Export these entries as CSV</a>`)

	// Empty values are no filter.
	all, _ := auditPage(t, adm, auditPath)
	empty, _ := auditPage(t, adm, auditPath+"?actor=&kind=&campaign=")
	if len(all) != 9 || !cmp.Equal(all, empty) {
		t.Errorf("with empty fields %d entries, without %d; want the same, every entry", len(empty), len(all))
	}
	// Viewers see no audit log, filtered or not.
	wantStatus(t, viewer.get(auditPath+"?actor=deo"), http.StatusForbidden)
}

// TestAuditFilterRefused: a kind or campaign that does not exist is said
// so on the page, with the form to mend it, never a server error; so is
// a malformed page number.
func TestAuditFilterRefused(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	b := c.adminBrowser(t)
	for query, msg := range map[string]string{
		"kind=no-such-kind":             `The audit log has no entries of the kind &#34;no-such-kind&#34;: choose a kind from the list.`,
		"kind=login&campaign=elsewhere": `There is no campaign &#34;elsewhere&#34;: choose one from the list.`,
		"kind=%3Cscript%3E":             `The audit log has no entries of the kind &#34;&lt;script&gt;&#34;`,
	} {
		r := b.get(auditPath + "?" + query)
		wantStatus(t, r, http.StatusBadRequest)
		mustContain(t, r.Body, msg, `<form class="filter"`)
		if strings.Contains(r.Body, `<td class="num">`) {
			t.Errorf("?%s lists entries", query)
		}
	}
	wantStatus(t, b.get(auditPath+"?before=x&kind=login"), http.StatusBadRequest)
	// A malformed query string is taken as far as it goes.
	wantStatus(t, b.get(auditPath+"?kind=login&actor=%zz"), http.StatusOK)
}

// TestAuditFilterPaging: the pages of a filter keep it: the link to older
// entries carries it, and each page holds only matching entries, newest
// first, none twice.
func TestAuditFilterPaging(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	for i := range 70 {
		for _, a := range []*pledge.Action{
			{Actor: adminUser, Remote: "local", Kind: admin.KindLogin, Detail: "entry " + strconv.Itoa(i)},
			{Actor: viewerUser, Remote: "local", Kind: admin.KindLogin, Detail: "entry " + strconv.Itoa(i)},
			{Actor: adminUser, Remote: "local", Kind: admin.KindLogout},
		} {
			if err := c.Store.LogAction(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := c.adminBrowser(t) // a 71st log-in of deo
	var seen []auditEntry
	path := auditPath + "?actor=deo&kind=login"
	pages := 0
	for path != "" {
		es, next := auditPage(t, b, path)
		pages++
		if next != "" {
			u, err := url.Parse(next)
			if err != nil || u.Path != auditPath || u.Query().Get("actor") != adminUser || u.Query().Get("kind") != "login" || u.Query().Get("before") == "" {
				t.Fatalf("older entries link %q does not keep the filter", next)
			}
		}
		seen = append(seen, es...)
		path = next
	}
	if pages != 2 || len(seen) != 71 {
		t.Fatalf("%d pages, %d entries; want 2 pages, the 71 log-ins of deo", pages, len(seen))
	}
	for i, e := range seen {
		if e.Actor != adminUser || e.Kind != "login" {
			t.Fatalf("entry %d is %+v", i, e)
		}
		if i > 0 {
			prev, _ := strconv.Atoi(seen[i-1].ID)
			id, _ := strconv.Atoi(e.ID)
			if id >= prev {
				t.Fatalf("entry %d (#%d) after #%d: not newest first, or twice", i, id, prev)
			}
		}
	}
}

// TestAuditCSVFilter: the CSV export takes the page's filter, and its own
// entry in the audit log says which; a filter that cannot be met is
// refused with a message, and no export is recorded.
func TestAuditCSVFilter(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	b := c.adminBrowser(t)
	wantRedirect(t, b.post("/admin/c/vote/pause", url.Values{"csrf": {b.csrf(homePath)}}), "/admin/c/vote")
	c.browser(t).mustLogin(viewerUser, viewerPass)

	r := b.get(exportPath + "?campaign=vote")
	wantStatus(t, r, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][4] != "campaign-pause" || recs[1][5] != "vote: paused" {
		t.Errorf("export of campaign vote = %q, want its pause alone", recs)
	}
	if a := c.lastAction(t, admin.KindAuditExport); a.Detail != "audit.csv of the entries with campaign vote" || a.Actor != adminUser {
		t.Errorf("audit-export entry = %+v", a)
	}

	r = b.get(exportPath + "?actor=observer&kind=login")
	recs, err = csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != viewerUser || recs[1][4] != "login" {
		t.Errorf("export of observer's log-ins = %q, %v", recs, err)
	}
	if a := c.lastAction(t, admin.KindAuditExport); a.Detail != `audit.csv of the entries with actor "observer", kind login` {
		t.Errorf("audit-export entry = %+v", a)
	}

	before := c.count(t, admin.KindAuditExport)
	for _, q := range []string{"kind=nothing", "campaign=elsewhere"} {
		r := b.get(exportPath + "?" + q)
		wantStatus(t, r, http.StatusBadRequest)
		mustContain(t, r.Body, "choose")
		if cd := r.Header.Get("Content-Disposition"); cd != "" {
			t.Errorf("?%s: Content-Disposition %q on a refusal", q, cd)
		}
	}
	if n := c.count(t, admin.KindAuditExport); n != before {
		t.Errorf("refused exports recorded: %d audit-export entries, want %d", n, before)
	}
	// Unfiltered, the export is as it was: everything, its own entry first.
	r = b.get(exportPath + "?actor=&kind=")
	recs, _ = csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if len(recs) < 6 || recs[1][4] != "audit-export" || c.lastAction(t, admin.KindAuditExport).Detail != "audit.csv" {
		t.Errorf("unfiltered export = %q", recs)
	}
}

// FuzzAuditQuery: whatever the audit page or its export is asked, the
// answer is a page or a refusal, never a server error.
func FuzzAuditQuery(f *testing.F) {
	for _, q := range []string{"", "actor=deo", "kind=login&campaign=vote", "kind=x", "campaign=%00", "before=-1", "actor=%ff%fe&before=9",
		"actor=" + strings.Repeat("é", 100), "kind=login&kind=logout", "a;b=c", "campaign=vote&before=99999999999999999999"} {
		f.Add(q)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "pledge.db"), discard)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	if err := s.CreateCampaign(ctx, storetest.Campaign("vote"), nil); err != nil {
		f.Fatal(err)
	}
	if _, err := (admin.Accounts{Store: s, Params: cheap}).Add(ctx, adminWho, adminUser, pledge.RoleAdmin, adminPass); err != nil {
		f.Fatal(err)
	}
	a, err := admin.New(admin.Deps{Store: s, Log: discard, Params: cheap, Fingerprints: pledge.NewHasher(fingerprintKey)})
	if err != nil {
		f.Fatal(err)
	}
	ts := httptest.NewServer(a)
	f.Cleanup(ts.Close)
	cookie := logInTo(f, ts.URL)
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{auditPath, exportPath} {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
			req.URL.RawQuery = query
			req.Header.Set("Cookie", cookie)
			w := httptest.NewRecorder()
			a.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("GET %s?%s: %d %s", path, query, w.Code, clip(w.Body.String()))
			}
		}
	})
}

// logInTo logs in to the console at base as its admin and returns the
// session's Cookie header.
func logInTo(tb testing.TB, base string) string {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(base + loginPath)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		tb.Fatal("no csrf field on the log-in page")
	}
	resp, err = client.PostForm(base+loginPath, url.Values{"csrf": {string(m[1])}, "username": {adminUser}, "password": {adminPass}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("log-in: %d", resp.StatusCode)
	}
	u, _ := url.Parse(base + homePath)
	for _, c := range jar.Cookies(u) {
		if c.Name == cookieName {
			return c.Name + "=" + c.Value
		}
	}
	tb.Fatal("no session cookie after log-in")
	return ""
}
