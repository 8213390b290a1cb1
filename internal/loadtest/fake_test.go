package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
)

// validPhone is the format the targeter must send: an Indian mobile number.
var validPhone = regexp.MustCompile(`^\+91 [6-9][0-9]{9}$`)

// fakePortal implements the small part of the portal's API a load test uses.
type fakePortal struct {
	initial int64 // total before the test
	lose    int64 // how many stored pledges the stats leave out, once there are any
	failN   int   // every failN-th POST answers 503; 0: never

	mu       sync.Mutex
	posts    int
	created  int64
	phones   map[string]int
	regions  map[string]int
	badPhone int
	badReq   int
}

func newFakePortal(t *testing.T, fp *fakePortal) *httptest.Server {
	t.Helper()
	fp.phones = make(map[string]int)
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
	total := fp.initial + max(fp.created-fp.lose, 0)
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
	switch {
	case err != nil || r.Header.Get("Content-Type") != "application/json" || b.Name == "" || b.Lang != "en":
		fp.badReq++
		w.WriteHeader(http.StatusBadRequest)
		return
	case !validPhone.MatchString(b.Phone):
		fp.badPhone++
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	fp.phones[b.Phone]++
	if fp.failN > 0 && fp.posts%fp.failN == 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if fp.phones[b.Phone] > 1 {
		w.WriteHeader(http.StatusConflict)
		return
	}
	fp.regions[b.Region]++
	fp.created++
	w.WriteHeader(http.StatusCreated)
}
