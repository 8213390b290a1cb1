package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// benchPledges is the size of the benchmarks' campaign.
const benchPledges = 1_000_000

// bigCampaign is a console over a SQLite campaign of benchPledges pledges
// made over the last 24 hours, built once and shared by the benchmarks.
type bigCampaign struct {
	dir     string
	store   *sqlite.Store
	handler http.Handler
	cookie  string // an admin's session
	built   time.Duration
}

var (
	bigOnce sync.Once
	big     *bigCampaign
	bigErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if big != nil {
		big.store.Close()
		os.RemoveAll(big.dir)
	}
	os.Exit(code)
}

// bigFixture builds the shared campaign on first use.
func bigFixture(b *testing.B) *bigCampaign {
	b.Helper()
	if testing.Short() {
		b.Skip("the 1,000,000-pledge fixture is not built in -short mode")
	}
	bigOnce.Do(func() { big, bigErr = buildBig(b) })
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return big
}

func buildBig(b *testing.B) (*bigCampaign, error) {
	start := time.Now()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pledge-admin-bench-")
	if err != nil {
		return nil, err
	}
	s, err := sqlite.Open(ctx, filepath.Join(dir, "pledge.db"), discard)
	if err != nil {
		return nil, err
	}
	f := &bigCampaign{dir: dir, store: s}
	camp := storetest.Campaign("big")
	camp.Email = pledge.EmailOptional
	if err := s.CreateCampaign(ctx, camp, nil); err != nil {
		return f, err
	}
	fillPledges(b, s, camp.ID, benchPledges, time.Now())
	acc := admin.Accounts{Store: s, Params: cheap}
	if _, err := acc.Add(ctx, adminWho, adminUser, pledge.RoleAdmin, adminPass); err != nil {
		return f, err
	}
	a, err := admin.New(admin.Deps{Store: s, Log: discard, Params: cheap})
	if err != nil {
		return f, err
	}
	f.handler = a
	f.cookie = loginCookie(b, a, adminUser, adminPass)
	f.built = time.Since(start)
	b.Logf("built %d pledges in %v", benchPledges, f.built.Round(time.Millisecond))
	return f, nil
}

// BenchmarkDashboard is GET /admin/c/{slug} of a campaign with 1,000,000
// pledges, through the whole console handler (session, role, page).
func BenchmarkDashboard(b *testing.B) {
	f := bigFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodGet, "/admin/c/big", nil)
		r.Header.Set("Cookie", f.cookie)
		w := httptest.NewRecorder()
		f.handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkExportPledgesCSV streams the 1,000,000 pledges as CSV to a
// client that discards them, and reports the heap's peak while it runs.
func BenchmarkExportPledgesCSV(b *testing.B) {
	f := bigFixture(b)
	var peak, growth uint64
	var rows int64
	var took time.Duration
	for b.Loop() {
		run := measureExport(b, f.handler, f.cookie, "/admin/c/big/pledges.csv")
		if run.rows != benchPledges+1 {
			b.Fatalf("%d lines, want %d", run.rows, benchPledges+1)
		}
		peak, growth = max(peak, run.peak), max(growth, run.growth)
		rows += run.rows - 1
		took += run.took
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MB")
	b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
	b.Logf("peak heap in use %.1f MB, growth %.1f MB", float64(peak)/(1<<20), float64(growth)/(1<<20))
}
