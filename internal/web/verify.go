package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Statuses of a pledge on its verification page.
const (
	statusValid       = "valid"
	statusWithdrawn   = "withdrawn"
	statusInvalidated = "invalidated"
)

// verifyView is the data of the public verification page: nothing
// personal but a masked name (no phone, no address, no full name).
type verifyView struct {
	Status                 string // statusValid, statusWithdrawn or statusInvalidated
	Slug, Campaign, Number string
	Name                   string // pledge.MaskName: "R*** K***"
	Region, Date, DateISO  string
	RegionLabel            string // the campaign's word for a region; empty: the catalogue's
	StatusKey, ExplainKey  string // catalogue keys of the verdict and its sentence
	Valid                  bool
}

// verify is the public page behind a certificate's QR code: whether the
// pledge is valid, withdrawn or invalidated, with the campaign, number,
// date, region and masked name.
//
// It is public but must show a withdrawal or an invalidation at once, so
// caches may keep it only to revalidate it each time (Cache-Control:
// no-cache, with an ETag of the page: If-None-Match answers 304).
func (s *Server) verify(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("X-Robots-Tag", "noindex")
	if s.links.Verify == nil { // Deps.Links not set: no verification links
		return invalidLink(fmt.Errorf("no verify tokens: %w", pledge.ErrNotFound))
	}
	campaignID, number, err := s.links.Verify.Decode(r.PathValue("token"))
	if err != nil {
		return invalidLink(err)
	}
	p, err := s.readPledge(r.Context(), campaignID, number)
	if err != nil {
		return invalidLink(err)
	}
	c, err := s.campaignByID(r, p.CampaignID)
	if err != nil {
		return invalidLink(err)
	}
	// Whoever scans the code reads the page in their own language.
	lang, explicit := pickLang(r, c.Languages)
	v := s.verifyView(c, p, lang)
	title := s.cat.T(lang, "verify_title") + ": " + s.cat.T(lang, v.StatusKey)
	b, err := s.renderBytes("verify", s.newPage(r, lang, c.Languages, title, v))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h.Set("Cache-Control", "public, no-cache")
	h.Set("ETag", etag)
	if !explicit {
		addVary(h, "Accept-Language")
	}
	// One ETag for both encodings, as for the campaign page: a cache keys
	// them apart by Vary.
	compress := varyGzip(h, b)
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	if compress {
		b = s.gzipFor(h, r, b)
	}
	_, _ = w.Write(b)
	return nil
}

// verifyView is what the verification page shows of p in lang.
func (s *Server) verifyView(c *pledge.Campaign, p pledge.Pledge, lang string) verifyView {
	region, _ := c.Region(p.Region)
	v := verifyView{
		Status:     statusValid,
		Slug:       c.Slug,
		Campaign:   c.Title.In(lang, c.DefaultLang()),
		Number:     s.cat.Number(lang, p.Number),
		Name:       pledge.MaskName(p.Name),
		Region:     region.Name.In(lang, c.DefaultLang()),
		Date:       p.CreatedAt.In(pledge.IST).Format("02-01-2006"),
		DateISO:    p.CreatedAt.Format(time.RFC3339),
		StatusKey:  "verify_status_valid",
		ExplainKey: "verify_valid",
		Valid:      true,
	}
	v.RegionLabel = c.RegionLabel[lang] // none in lang: the catalogue's, not another language's
	switch {
	case p.Withdrawn():
		v.Status, v.StatusKey, v.ExplainKey, v.Valid = statusWithdrawn, "verify_status_withdrawn", "verify_withdrawn", false
	case p.Invalidated:
		v.Status, v.StatusKey, v.ExplainKey, v.Valid = statusInvalidated, "verify_status_invalidated", "verify_invalidated", false
	}
	return v
}
