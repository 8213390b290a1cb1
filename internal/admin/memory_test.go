package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// fillBatch is how many pledges a fixture commits at a time.
const fillBatch = 5000

// fillPledges stores n pledges in a campaign, spread evenly over the 24
// hours before end.
func fillPledges(tb testing.TB, s store.Store, campaignID int64, n int, end time.Time) {
	tb.Helper()
	h := pledge.NewHasher([]byte("admin bench secret, not for production"))
	from := end.Add(-24 * time.Hour)
	step := 24 * time.Hour / time.Duration(n)
	subs := make([]pledge.Submission, 0, fillBatch)
	for start := 0; start < n; start += fillBatch {
		subs = subs[:0]
		for i := start; i < min(start+fillBatch, n); i++ {
			sub := storetest.Submission(h, campaignID, i, storetest.Leaves[i%len(storetest.Leaves)])
			sub.CreatedAt = from.Add(time.Duration(i) * step).UTC().Truncate(time.Microsecond)
			if i%4 == 0 {
				sub.Email = "citizen@example.in"
			}
			subs = append(subs, sub)
		}
		if _, err := s.CommitBatch(tb.Context(), subs); err != nil {
			tb.Fatal(err)
		}
	}
}

// loginCookie logs in to the console h in-process and returns the Cookie
// header of the session.
func loginCookie(tb testing.TB, h http.Handler, username, password string) string {
	tb.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, loginPath, nil))
	m := csrfField.FindStringSubmatch(w.Body.String())
	cookies := w.Result().Cookies()
	if m == nil || len(cookies) == 0 {
		tb.Fatalf("log-in form: %d, no token or cookie", w.Code)
	}
	form := url.Values{"csrf": {m[1]}, "username": {username}, "password": {password}}
	r := httptest.NewRequest(http.MethodPost, loginPath, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", formType)
	r.AddCookie(cookies[0])
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		if w.Code == http.StatusSeeOther && ck.Name == cookieName {
			return ck.Name + "=" + ck.Value
		}
	}
	tb.Fatalf("log-in as %s: %d, no session cookie", username, w.Code)
	return ""
}

// discardResponse is a ResponseWriter that keeps nothing but counts: the
// far end of an export that reads as fast as it can.
type discardResponse struct {
	header http.Header
	status int
	bytes  int64
	lines  int64
}

func (d *discardResponse) Header() http.Header { return d.header }
func (d *discardResponse) WriteHeader(status int) {
	if d.status == 0 {
		d.status = status
	}
}
func (d *discardResponse) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	d.bytes += int64(len(p))
	for _, c := range p {
		if c == '\n' {
			d.lines++
		}
	}
	return len(p), nil
}
func (d *discardResponse) Flush() {}

// exportRun is one measured export.
type exportRun struct {
	rows   int64 // lines, the header included
	bytes  int64
	took   time.Duration
	peak   uint64 // highest heap in use seen during the export
	growth uint64 // peak above the heap in use at the start, after a GC
}

// heapInUse is the heap's in-use spans (runtime.MemStats.HeapInuse),
// read through runtime/metrics, which does not stop the world.
func heapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// measureExport GETs path from h with cookie, sampling the heap every
// 2 ms while the export runs.
func measureExport(tb testing.TB, h http.Handler, cookie, path string) exportRun {
	tb.Helper()
	runtime.GC()
	base := heapInUse()
	peak := base
	stop, done := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			v := heapInUse()
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Header.Set("Cookie", cookie)
	w := &discardResponse{header: http.Header{}}
	start := time.Now()
	h.ServeHTTP(w, r)
	took := time.Since(start)
	close(stop)
	<-done
	if w.status != http.StatusOK {
		tb.Fatalf("GET %s: status %d", path, w.status)
	}
	mu.Lock()
	defer mu.Unlock()
	return exportRun{rows: w.lines, bytes: w.bytes, took: took, peak: peak, growth: peak - min(base, peak)}
}
