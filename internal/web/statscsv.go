package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"

	"github.com/pledgeportal/pledge/internal/csvsafe"
)

// statsCSV is the open-data CSV of one snapshot.
type statsCSV struct {
	body []byte
	etag string
}

// csvOf returns the snapshot's counts as CSV, building it on first use: at
// most once per snapshot, however many clients ask.
func (snap *snapshot) csvOf() *statsCSV {
	snap.csvOnce.Do(func() { snap.csv = buildStatsCSV(snap) })
	return snap.csv
}

// buildStatsCSV writes one row per region in the campaign's order: each leaf
// region with its count, and each parent region, marked "parent", with the
// sum of its leaves. Pledges counted under a code the campaign no longer has
// follow as leaves without names, so the leaf rows always sum to the total,
// as in the JSON.
func buildStatsCSV(snap *snapshot) *statsCSV {
	var buf bytes.Buffer
	buf.WriteString(csvsafe.BOM)
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"region_code", "parent_code", "name_en", "name_hi", "count", "kind"})
	known := make(map[string]bool, len(snap.camp.Regions))
	for _, r := range snap.camp.Regions {
		known[r.Code] = true
		n, kind := snap.counts.Regions[r.Code], "leaf"
		if p, ok := snap.parents[r.Code]; ok {
			n, kind = p, "parent"
		}
		_ = cw.Write([]string{csvsafe.Cell(r.Code), csvsafe.Cell(r.Parent), csvsafe.Cell(r.Name["en"]), csvsafe.Cell(r.Name["hi"]),
			strconv.FormatInt(n, 10), kind})
	}
	var gone []string
	for code := range snap.counts.Regions {
		if !known[code] {
			gone = append(gone, code)
		}
	}
	slices.Sort(gone)
	for _, code := range gone {
		_ = cw.Write([]string{csvsafe.Cell(code), "", "", "", strconv.FormatInt(snap.counts.Regions[code], 10), "leaf"})
	}
	cw.Flush()
	sum := sha256.Sum256(buf.Bytes())
	return &statsCSV{body: buf.Bytes(), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

// apiStatsCSV serves a campaign's counts per region as open-data CSV, from
// the same in-memory snapshot as the stats JSON and cached the same way.
func (s *Server) apiStatsCSV(w http.ResponseWriter, r *http.Request) error {
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	snap, err := s.counts.get(r.Context(), c)
	if err != nil {
		return err
	}
	doc := snap.csvOf()
	w.Header().Set("Content-Disposition", `inline; filename="`+c.Slug+`-stats.csv"`)
	serveStats(w, r, doc.body, doc.etag, "text/csv; charset=utf-8")
	return nil
}

// serveStats writes a stats document with the caching headers of live
// counts, or 304 when the client has it already.
func serveStats(w http.ResponseWriter, r *http.Request, body []byte, etag, contentType string) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=1, stale-while-revalidate=10, stale-if-error=60")
	h.Set("ETag", etag)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", contentType)
	_, _ = w.Write(body)
}
