package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
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
	// RegionLabel is what the campaign's pages call a region, in each of
	// its languages: its own word where it has one, else the portal's.
	RegionLabel map[string]string `json:"region_label"`
	Open        bool              `json:"open"`
	OpensAt     time.Time         `json:"opens_at"`
	ClosesAt    *time.Time        `json:"closes_at,omitempty"`
	Email       pledge.EmailMode  `json:"email"`
	Regions     []apiRegion       `json:"regions"`
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
		out = append(out, apiCampaignSummary{Slug: c.Slug, Title: c.Title, Open: c.Accepting(now)})
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
		RegionLabel: make(map[string]string, len(c.Languages)),
		Open:        c.Accepting(s.now()), OpensAt: c.OpensAt, Email: c.Email, Regions: make([]apiRegion, len(c.Regions))}
	for _, l := range c.Languages {
		d.RegionLabel[l] = c.RegionLabel[l]
		if d.RegionLabel[l] == "" {
			d.RegionLabel[l] = s.cat.T(l, "region")
		}
	}
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
	serveStats(w, r, snap.body, snap.etag, "application/json; charset=utf-8")
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

// apiPending is the 202 answer for a pledge that waits for its address to
// be confirmed (campaigns whose email mode is "required").
type apiPending struct {
	Status  string `json:"status"` // "pending"
	Message string `json:"message"`
}

func (s *Server) apiPledge(w http.ResponseWriter, r *http.Request) error {
	// The body first (bounded in size and time), so that a client sending
	// it slowly holds no place; then a place, before anything else is spent.
	req, err := decodePledgeJSON(w, r)
	if err != nil {
		return err
	}
	if !s.deps.Intake.Admit() {
		return fmt.Errorf("pledge not admitted: %w", pledge.ErrOverloaded)
	}
	defer s.deps.Intake.Release()
	if err := s.admitClient(w, r); err != nil {
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
		s.rejected()
	} else {
		sub.Source, sub.RequestID = s.client.of(r), pledge.RequestID(r.Context())
		err = s.admitPhone(w, r, sub)
	}
	if err != nil {
		return withLang(lang, err)
	}
	rec, c, err := s.submit(r.Context(), c, in, sub)
	if err != nil {
		return withLang(lang, duplicateIn(c, sub, err))
	}
	if rec.Pending > 0 {
		// Counted only once the citizen confirms from the mail.
		writeJSON(w, http.StatusAccepted, apiPending{Status: "pending", Message: s.cat.T(lang, "pending_api")})
		return nil
	}
	token := s.links.Certificate.Encode(rec.CampaignID, rec.Number)
	cert := s.baseURL(r) + "/certificate/" + token
	w.Header().Set("Location", cert)
	writeJSON(w, http.StatusCreated, apiReceipt{Campaign: c.Slug, Number: rec.Number, Token: token, CertificateURL: cert})
	return nil
}

// decodePledgeJSON reads a pledge strictly: JSON content type, bounded size,
// one object of known string fields, each at most once, spelled exactly,
// and nothing after it.
func decodePledgeJSON(w http.ResponseWriter, r *http.Request) (apiPledgeRequest, error) {
	var req apiPledgeRequest
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return req, errUnsupportedMedia
	}
	fields := map[string]*string{"name": &req.Name, "phone": &req.Phone, "region": &req.Region, "email": &req.Email, "lang": &req.Lang}
	if err := decodeStrict(http.MaxBytesReader(w, r.Body, maxJSONBody), fields); err != nil {
		return apiPledgeRequest{}, err
	}
	return req, nil
}

// readErr keeps an oversize body recognisable and words the rest as bad JSON.
func readErr(err error, bad func(string, ...any) error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	return bad("%v", err)
}
