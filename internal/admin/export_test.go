package admin_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// pledgeHeader is the header of pledges.csv of a campaign made by
// storetest.Campaign, whose regions are nested: N1 and N2 in NORTH.
var pledgeHeader = []string{"number", "name", "region", "region_name", "lang", "phone", "email", "created_at", "status",
	"region_name_en", "region_name_hi", "parent", "parent_name"}

// exportCSV fetches a campaign's pledges.csv as b and parses it.
// withoutBOM is body less the byte-order mark every CSV export starts with
// for spreadsheet programs; it fails t if there is none.
func withoutBOM(t *testing.T, body string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(body, "\ufeff")
	if !ok {
		t.Errorf("CSV export does not start with a UTF-8 byte-order mark: %q", body[:min(len(body), 20)])
	}
	return rest
}

func exportCSV(t *testing.T, b *browser, slug string) [][]string {
	t.Helper()
	r := b.get("/admin/c/" + slug + "/pledges.csv")
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="pledges-`+slug+"-") || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	if diff := cmp.Diff(pledgeHeader, recs[0]); diff != "" {
		t.Fatalf("header (-want +got):\n%s", diff)
	}
	return recs[1:]
}

func TestPledgesCSV(t *testing.T) {
	c := newConsole(t)
	mail := newCampaign(t, c, "mail", pledge.EmailOptional)
	quiet := newCampaign(t, c, "quiet", pledge.EmailNone)
	h := pledge.NewHasher([]byte("admin test secret, not for production"))
	at := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
	// More pledges than one flush, in several batches; one name a formula.
	const n = 2345
	for start := 0; start < n; start += 1000 {
		var subs []pledge.Submission
		for i := start; i < min(start+1000, n); i++ {
			sub := storetest.Submission(h, mail.ID, i, storetest.Leaves[i%3])
			sub.CreatedAt = at.Add(time.Duration(i) * time.Second)
			sub.Email = fmt.Sprintf("citizen%d@example.in", i)
			if i == 5 {
				sub.Name = `=HYPERLINK("http://evil.example")`
			}
			subs = append(subs, sub)
		}
		commit(t, c, subs)
	}
	// A campaign that does not ask for email now, but did: what it stored
	// is exported, as it is kept until the campaign is anonymised.
	sub := storetest.Submission(h, quiet.ID, 1, "S1")
	sub.Email = "asha@example.in"
	commit(t, c, []pledge.Submission{sub})

	// The last pledge withdrawn: still exported (the numbers run on), with
	// its status, and the export still ends at the last number.
	if err := c.Store.Withdraw(context.Background(), mail.ID, n, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	wantStatus(t, viewer.get("/admin/c/mail/pledges.csv"), http.StatusForbidden)
	if n := c.count(t, "export"); n != 0 {
		t.Errorf("%d export entries after the viewer's refused attempt, want 0", n)
	}

	adm := c.adminBrowser(t)
	rows := exportCSV(t, adm, "mail")
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, row := range rows {
		if row[0] != strconv.Itoa(i+1) {
			t.Fatalf("row %d has number %s: not in number order", i, row[0])
		}
	}
	first := rows[0]
	want := []string{"1", "Citizen 0", "N1", "North One", "en", "******0000", "citizen0@example.in", "2026-11-26T15:30:00+05:30", "counted",
		"North One", "उत्तर एक", "NORTH", "North"}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first row (-want +got):\n%s", diff)
	}
	// A region at the top has no parent.
	if rows[2][2] != "S1" || rows[2][11] != "" || rows[2][12] != "" {
		t.Errorf("row of a region at the top = %q, want S1 with no parent", rows[2])
	}
	if got := rows[n-1][8]; got != "withdrawn" {
		t.Errorf("the withdrawn pledge's status = %q, want withdrawn", got)
	}
	if got := rows[5][1]; got != `'=HYPERLINK("http://evil.example")` {
		t.Errorf("formula name exported as %q, want it guarded", got)
	}
	if got := rows[n-1][7]; got != at.Add((n-1)*time.Second).Truncate(time.Second).In(pledge.IST).Format(time.RFC3339) {
		t.Errorf("last created_at = %q", got)
	}
	act := c.lastAction(t, "export")
	if act.Actor != adminUser || act.Detail != fmt.Sprintf("mail pledges.csv: %d rows", n) {
		t.Errorf("export entry = %+v", act)
	}

	rows = exportCSV(t, adm, "quiet")
	if len(rows) != 1 || rows[0][6] != "asha@example.in" || rows[0][5] != "******0001" {
		t.Errorf("quiet export = %q, want the address stored", rows)
	}
	wantStatus(t, adm.get("/admin/c/nope/pledges.csv"), http.StatusNotFound)
	if n := c.count(t, "export"); n != 2 {
		t.Errorf("%d export entries, want 2", n)
	}
}

// A campaign whose regions are not nested has no parent columns.
func TestPledgesCSVOfFlatRegions(t *testing.T) {
	c := newConsole(t)
	camp := storetest.Campaign("flat")
	camp.Regions = []pledge.Region{{Code: "RAI", Name: pledge.Text{"en": "Raipur", "hi": "रायपुर"}}}
	if err := c.Store.CreateCampaign(t.Context(), camp, nil); err != nil {
		t.Fatal(err)
	}
	commit(t, c, []pledge.Submission{storetest.Submission(pledge.NewHasher([]byte("k")), camp.ID, 1, "RAI")})
	r := c.adminBrowser(t).get("/admin/c/flat/pledges.csv")
	wantStatus(t, r, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(withoutBOM(t, r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{pledgeHeader[:len(pledgeHeader)-2], {"1", "Citizen 1", "RAI", "Raipur", "en", "******0001", "",
		recs[1][7], "counted", "Raipur", "रायपुर"}}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("export of a campaign with flat regions (-want +got):\n%s", diff)
	}
}

func commit(t *testing.T, c *console, subs []pledge.Submission) {
	t.Helper()
	if _, err := c.Store.CommitBatch(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
}

// TestPledgesCSVConstantMemory exports exportRows pledges and fails if the
// heap grows with them: collecting the rows, or the whole file, in memory
// would take several times the bound.
func TestPledgesCSVConstantMemory(t *testing.T) {
	c := newConsole(t)
	camp := newCampaign(t, c, "big", pledge.EmailOptional)
	fillPledges(t, c.Store, camp.ID, exportRows, time.Now())
	cookie := loginCookie(t, c.Handler, adminUser, adminPass)

	run := measureExport(t, c.Handler, cookie, "/admin/c/big/pledges.csv")
	t.Logf("%d rows, %.1f MB of CSV in %v; heap grew by at most %.1f MB", run.rows, float64(run.bytes)/1e6, run.took, float64(run.growth)/(1<<20))
	if run.rows != exportRows+1 {
		t.Fatalf("%d lines, want %d rows and the header", run.rows, exportRows)
	}
	if run.growth > maxExportGrowth {
		t.Errorf("the heap grew by %.1f MB exporting %d rows (%.1f MB of CSV), want under %d MB: the export is not streaming",
			float64(run.growth)/(1<<20), exportRows, float64(run.bytes)/1e6, maxExportGrowth>>20)
	}
}

// TestPledgesCSVOnASlowLink: an export that takes longer to download than
// the server's write timeout for one answer still arrives whole (the
// deadline moves on with each flush), here 20 times over.
func TestPledgesCSVOnASlowLink(t *testing.T) {
	const timeout = 200 * time.Millisecond
	c := newConsole(t, slowLink(timeout))
	camp := newCampaign(t, c, "slow", pledge.EmailNone)
	const rows = 5_000 // 400 kB, through 16 kB buffers: seconds
	fillPledges(t, c.Store, camp.ID, rows, time.Now())
	b := c.adminBrowser(t)
	// A client that reads 16 kB at a time, with a small receive buffer.
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(16 << 10)
		}
		return conn, err
	}}
	t.Cleanup(tr.CloseIdleConnections)
	slow := &http.Client{Jar: b.client.Jar, Transport: tr}
	res, err := slow.Get(c.URL + "/admin/c/slow/pledges.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	start := time.Now()
	var body bytes.Buffer
	buf := make([]byte, 16<<10)
	for {
		n, err := res.Body.Read(buf)
		body.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes in %v: %v", body.Len(), time.Since(start), err)
		}
		time.Sleep(100 * time.Microsecond)
	}
	took, size := time.Since(start), body.Len()
	recs, err := csv.NewReader(strings.NewReader(withoutBOM(t, body.String()))).ReadAll()
	if err != nil {
		t.Fatalf("%d bytes in %v, not whole CSV: %v", body.Len(), took, err)
	}
	if len(recs) != rows+1 || recs[len(recs)-1][0] != strconv.Itoa(rows) {
		t.Fatalf("%d rows in %v, want %d", len(recs)-1, took, rows)
	}
	t.Logf("%d bytes in %v", size, took)
	if took < 2*timeout {
		t.Logf("the download took %v, under twice the write timeout (%v): this run did not test much", took, timeout)
	}
}

// TestExportFileNamesInIST: an export made at 01:41 IST on 28 November
// (20:11 UTC on the 27th) is named for the 28th, in IST, as the office
// counts the day; so is the audit log's.
func TestExportFileNamesInIST(t *testing.T) {
	at := time.Date(2026, 11, 27, 20, 11, 7, 0, time.UTC)
	c := newConsole(t, withClock(func() time.Time { return at }))
	c.mustCreate(t, "bilaspur-2026")
	adm := c.adminBrowser(t)
	for path, want := range map[string]string{
		"/admin/c/bilaspur-2026/pledges.csv": `attachment; filename="pledges-bilaspur-2026-20261128-0141IST.csv"`,
		"/admin/audit.csv":                   `attachment; filename="pledge-audit-20261128-0141IST.csv"`,
	} {
		r := adm.get(path)
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("Content-Disposition"); got != want {
			t.Errorf("%s: Content-Disposition = %q, want %q", path, got, want)
		}
		if path == "/admin/audit.csv" && !strings.Contains(r.Body, ",2026-11-28T01:41:07+05:30,") {
			t.Errorf("audit.csv does not give the time of its entries in IST: %s", clip(r.Body))
		}
	}
}
