package web_test

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestAPIStatsCSV(t *testing.T) {
	t.Parallel()
	odd := storetest.Campaign("odd")
	odd.Regions[3].Name = pledge.Text{"en": "=HYPERLINK(\"http://evil.example\")", "hi": "दक्षिण"}
	p := newPortal(t, withCampaign(odd))

	h := pledge.NewHasher(secret)
	var subs []pledge.Submission
	for i, region := range []string{"N1", "N1", "N1", "N2", "S1", "S1"} {
		subs = append(subs, storetest.Submission(h, p.Campaign.ID, i, region))
	}
	if _, err := p.Store.CommitBatch(t.Context(), subs); err != nil {
		t.Fatal(err)
	}
	s, _ := p.pollStats(t, "vote", 6)

	r := p.get(t, "/api/v1/campaigns/vote/stats.csv")
	wantStatus(t, r, http.StatusOK)
	wantCacheable(t, r)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type = %q, want text/csv", ct)
	}
	body, ok := strings.CutPrefix(r.text(), "\ufeff")
	if !ok {
		t.Error("stats.csv does not start with a UTF-8 byte-order mark (spreadsheets garble the Hindi names without it)")
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, r.text())
	}
	want := [][]string{
		{"region_code", "parent_code", "name_en", "name_hi", "count", "kind"},
		{"NORTH", "", "North", "उत्तर", "4", "parent"},
		{"N1", "NORTH", "North One", "उत्तर एक", "3", "leaf"},
		{"N2", "NORTH", "North Two", "उत्तर दो", "1", "leaf"},
		{"S1", "", "South One", "दक्षिण एक", "2", "leaf"},
	}
	if diff := cmp.Diff(want, recs); diff != "" {
		t.Errorf("stats.csv (-want +got):\n%s", diff)
	}

	// The same counts as the JSON.
	got := stats{Campaign: "vote", Regions: map[string]int64{}, Parents: map[string]int64{}}
	for _, rec := range recs[1:] {
		n, err := strconv.ParseInt(rec[4], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if rec[5] == "parent" {
			got.Parents[rec[0]] = n
			continue
		}
		got.Regions[rec[0]] = n
		got.Total += n
	}
	got.UpdatedAt = s.UpdatedAt
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("stats.csv against the JSON (-json +csv):\n%s", diff)
	}

	etag := r.Header.Get("ETag")
	if etag == "" || etag == p.get(t, "/api/v1/campaigns/vote/stats").Header.Get("ETag") {
		t.Errorf("stats.csv ETag %q: missing or the same as the JSON's", etag)
	}
	// If-None-Match as RFC 9110 has it: weak, listed or any.
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats.csv", "If-None-Match", inm), http.StatusNotModified)
	}
	wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats", "If-None-Match", "*"), http.StatusNotModified)
	wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats.csv", "If-None-Match", `"other"`), http.StatusOK)
	wantStatus(t, p.get(t, "/api/v1/campaigns/nope/stats.csv"), http.StatusNotFound)

	// Open data opened in a spreadsheet runs no formula.
	r = p.get(t, "/api/v1/campaigns/odd/stats.csv")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.text(), `S1,,"'=HYPERLINK(""http://evil.example"")",दक्षिण,0,leaf`)
}
