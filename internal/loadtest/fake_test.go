package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// validPhone is the format PhoneNumber returns: an Indian mobile number.
var validPhone = regexp.MustCompile(`^\+91 [6-9][0-9]{9}$`)

// fakePortal implements the small part of the portal's API a load test
// uses, validating names and numbers with the portal's own functions and
// de-duplicating on the normalised number as the portal does.
type fakePortal struct {
	initial int64 // total before the test
	lose    int64 // how many stored pledges the stats leave out, once there are any
	extra   int64 // how many pledges the stats count beyond those stored, once there are any
	failN   int   // every failN-th POST answers 503 without Retry-After; 0: never
	shedN   int   // every shedN-th POST answers 503 with Retry-After; 0: never
	// countDups makes the stats count duplicates too, as a portal would
	// that counted attempts instead of stored pledges.
	countDups bool
	// late pledges, made just before the run, show in the stats only from
	// lateFrom on, as behind a cache.
	late     int64
	lateFrom time.Time

	mu       sync.Mutex
	posts    int
	arrivals []time.Time     // of every POST
	created  int64           // 201s
	dups     int             // 409s
	stored   map[string]bool // normalised numbers stored
	sent     map[string]int  // normalised number -> POSTs that carried it
	forms    map[string]bool // numbers as written
	names    map[string]int  // names as sent
	langs    map[string]int  // languages as sent
	regions  map[string]int  // stored pledges by region
	badPhone int
	badName  int
	badReq   int
}

func newFakePortal(t *testing.T, fp *fakePortal) *httptest.Server {
	t.Helper()
	fp.stored = make(map[string]bool)
	fp.sent = make(map[string]int)
	fp.forms = make(map[string]bool)
	fp.names = make(map[string]int)
	fp.langs = make(map[string]int)
	fp.regions = make(map[string]int)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/campaigns/test-camp", fp.campaign)
	mux.HandleFunc("GET /api/v1/campaigns/test-camp/stats", fp.stats)
	mux.HandleFunc("POST /api/v1/campaigns/test-camp/pledges", fp.pledge)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func (fp *fakePortal) campaign(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"slug":"test-camp","title":{"en":"Test"},"open":true,"languages":["en","hi"],
		"regions":[{"code":"KOTA","parent":"","name":{"en":"Kota","hi":"कोटा"}},
		{"code":"KOTA-N","parent":"KOTA","name":{"en":"Kota North"}},
		{"code":"BUNDI","parent":"","name":{"en":"Bundi"}}]}`)
}

func (fp *fakePortal) stats(w http.ResponseWriter, _ *http.Request) {
	fp.mu.Lock()
	total := fp.initial
	if fp.created > 0 {
		total += max(fp.created-fp.lose, 0) + fp.extra
	}
	if fp.countDups {
		total += int64(fp.dups)
	}
	if !time.Now().Before(fp.lateFrom) {
		total += fp.late
	}
	fp.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"total":%d,"regions":{},"parents":{}}`, total)
}

func (fp *fakePortal) pledge(w http.ResponseWriter, r *http.Request) {
	var b struct{ Name, Phone, Region, Lang string }
	err := json.NewDecoder(r.Body).Decode(&b)
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.posts++
	fp.arrivals = append(fp.arrivals, time.Now())
	phone, phoneErr := pledge.NormalisePhone(b.Phone)
	name, nameErr := pledge.NormaliseName(b.Name)
	switch {
	case err != nil || r.Header.Get("Content-Type") != "application/json" || b.Lang != "en" && b.Lang != "hi" ||
		b.Region != "KOTA-N" && b.Region != "BUNDI":
		fp.badReq++
		w.WriteHeader(http.StatusBadRequest)
		return
	case phoneErr != nil:
		fp.badPhone++
		w.WriteHeader(http.StatusBadRequest)
		return
	case nameErr != nil || name != b.Name: // the generator sends names already normalised
		fp.badName++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	fp.sent[phone]++
	fp.forms[b.Phone] = true
	fp.names[b.Name]++
	fp.langs[b.Lang]++
	switch {
	case fp.failN > 0 && fp.posts%fp.failN == 0:
		w.WriteHeader(http.StatusServiceUnavailable)
	case fp.shedN > 0 && fp.posts%fp.shedN == 0:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
	case fp.stored[phone]:
		fp.dups++
		w.WriteHeader(http.StatusConflict)
	default:
		fp.stored[phone] = true
		fp.regions[b.Region]++
		fp.created++
		w.WriteHeader(http.StatusCreated)
	}
}
