package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// apiCampaignSummary is one entry of GET /api/v1/campaigns.
type apiCampaignSummary struct {
	Slug  string            `json:"slug"`
	Title map[string]string `json:"title"`
	Open  bool              `json:"open"`
}

// apiCampaignDetail is GET /api/v1/campaigns/{slug}.
type apiCampaignDetail struct {
	Slug      string            `json:"slug"`
	Title     map[string]string `json:"title"`
	Pledge    map[string]string `json:"pledge"`
	Languages []string          `json:"languages"`
	Open      bool              `json:"open"`
	OpensAt   time.Time         `json:"opens_at"`
	ClosesAt  *time.Time        `json:"closes_at,omitempty"`
	Email     pledge.EmailMode  `json:"email"`
	Regions   []apiRegion       `json:"regions"`
}

type apiRegion struct {
	Code   string            `json:"code"`
	Parent string            `json:"parent"`
	Name   map[string]string `json:"name"`
}

func (s *Server) apiCampaigns(w http.ResponseWriter, r *http.Request) error {
	list, err := s.campaigns.all(r.Context())
	if err != nil {
		return err
	}
	now := s.now()
	out := make([]apiCampaignSummary, 0, len(list))
	for _, c := range list {
		out = append(out, apiCampaignSummary{Slug: c.Slug, Title: c.Title, Open: c.OpenAt(now)})
	}
	w.Header().Set("Cache-Control", "public, max-age=5, stale-while-revalidate=30")
	writeJSON(w, http.StatusOK, map[string]any{"campaigns": out})
	return nil
}

func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request) error {
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	d := apiCampaignDetail{Slug: c.Slug, Title: c.Title, Pledge: c.Pledge, Languages: c.Languages,
		Open: c.OpenAt(s.now()), OpensAt: c.OpensAt, Email: c.Email, Regions: make([]apiRegion, len(c.Regions))}
	if !c.ClosesAt.IsZero() {
		d.ClosesAt = &c.ClosesAt
	}
	for i, reg := range c.Regions {
		d.Regions[i] = apiRegion{Code: reg.Code, Parent: reg.Parent, Name: reg.Name}
	}
	w.Header().Set("Cache-Control", "public, max-age=5, stale-while-revalidate=30")
	writeJSON(w, http.StatusOK, d)
	return nil
}

// apiStats serves a campaign's counts from memory.
func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) error {
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	snap, err := s.counts.get(r.Context(), c)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=1, stale-while-revalidate=10, stale-if-error=60")
	h.Set("ETag", snap.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, snap.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(snap.body)
	return nil
}

// apiPledgeRequest is the body of POST /api/v1/campaigns/{slug}/pledges.
type apiPledgeRequest struct {
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	Region string `json:"region"`
	Email  string `json:"email"`
	Lang   string `json:"lang"`
}

// apiReceipt is the 201 answer.
type apiReceipt struct {
	Campaign       string `json:"campaign"`
	Number         int64  `json:"number"`
	Token          string `json:"token"`
	CertificateURL string `json:"certificate_url"`
}

func (s *Server) apiPledge(w http.ResponseWriter, r *http.Request) error {
	req, err := decodePledgeJSON(w, r)
	if err != nil {
		return err
	}
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	in := pledge.Input(req)
	lang := in.Lang
	if !c.HasLang(lang) {
		lang = c.DefaultLang()
	}
	sub, err := pledge.Prepare(c, in, s.deps.Hasher, s.now())
	if err != nil {
		return withLang(lang, err)
	}
	rec, err := s.deps.Intake.Submit(r.Context(), sub)
	if err != nil {
		return withLang(lang, err)
	}
	token := s.deps.Tokens.Encode(rec.CampaignID, rec.Number)
	cert := s.baseURL(r) + "/certificate/" + token
	w.Header().Set("Location", cert)
	writeJSON(w, http.StatusCreated, apiReceipt{Campaign: c.Slug, Number: rec.Number, Token: token, CertificateURL: cert})
	return nil
}

// decodePledgeJSON reads a pledge strictly: JSON content type, bounded size,
// known fields only, one object and nothing after it.
func decodePledgeJSON(w http.ResponseWriter, r *http.Request) (apiPledgeRequest, error) {
	var req apiPledgeRequest
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return req, errUnsupportedMedia
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	if err := decodeStrict(r.Body, &req); err != nil {
		return req, err
	}
	return req, nil
}

func decodeStrict(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return mbe
		}
		return fmt.Errorf("%w: invalid JSON: %v", errBadRequest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return mbe
		}
		return fmt.Errorf("%w: invalid JSON: data after the object", errBadRequest)
	}
	return nil
}
