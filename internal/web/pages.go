package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
)

type campaignItem struct {
	Slug, Title, Total string
	SoFar              string // catalogue key of the words around Total
	Lang               string // of the title and the link: the page's, if the campaign is written in it
}

// index lists the open campaigns.
func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	list, err := s.campaigns.all(r.Context())
	if err != nil {
		return err
	}
	lang, explicit := pickLang(r, s.cat.langs)
	now := s.now()
	var items []campaignItem
	for _, c := range list {
		if !c.Accepting(now) {
			continue
		}
		snap, err := s.counts.get(r.Context(), c)
		if err != nil {
			return err
		}
		in := lang
		if !c.HasLang(lang) {
			in = c.DefaultLang()
		}
		items = append(items, campaignItem{Slug: c.Slug, Title: c.Title.In(in, c.DefaultLang()), Lang: in,
			Total: s.cat.Number(lang, snap.counts.Total), SoFar: soFar(snap.counts.Total)})
	}
	publicCache(w, explicit)
	s.render(w, r, http.StatusOK, "index", s.newPage(r, lang, s.cat.langs, s.cat.T(lang, "site_title"), items))
	return nil
}

// publicCache marks an answer that holds nothing personal as cacheable for a
// second; answers chosen by Accept-Language vary on it.
func publicCache(w http.ResponseWriter, explicitLang bool) {
	w.Header().Set("Cache-Control", "public, max-age=1, stale-while-revalidate=10, stale-if-error=60")
	if !explicitLang {
		addVary(w.Header(), "Accept-Language")
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return pledge.ErrNotFound
}

// certificateData is what the thank-you and certificate pages show.
type certificateData struct {
	Slug, Campaign, Text, Name, Region, Number string
	Date, DateISO, CertificateURL              string
	Heading, Signatory                         string // the campaign's own wording; Heading empty: the catalogue's
	RegionLabel                                string // the campaign's word for a region; empty: the catalogue's
	Invalidated                                bool   // set aside by an admin: the page says so
	Withdrawn                                  bool   // withdrawn by the citizen: the page says so
	Mailed                                     bool   // an address was given: the confirmation mail carries the link too

	// The certificate page's pictures and verification link.
	VerifyURL         string // absolute: the public verification page, the QR code's URL; empty: none
	FullURL, ShareURL string // the PNGs, with their version (v=) so caches keep them for good; empty: no renderer
	FileName          string // what a downloaded PNG is called, without ".png"
	OG                ogTags // the certificate page's preview in messaging apps
}

// Void reports whether the pledge no longer counts, so its pages must not
// show it as valid.
func (d certificateData) Void() bool { return d.Invalidated || d.Withdrawn }

// certified is the pledge a certificate token names, with its campaign.
type certified struct {
	token string
	c     *pledge.Campaign
	p     pledge.Pledge
}

// certified decodes the certificate {token} of r (a token of another
// purpose decodes to nothing) and reads its pledge.
func (s *Server) certified(r *http.Request) (certified, error) {
	token := r.PathValue("token")
	id, number, err := s.links.Certificate.Decode(token)
	if err != nil {
		return certified{}, invalidLink(err)
	}
	p, err := s.readPledge(r.Context(), id, number)
	if err != nil {
		return certified{}, invalidLink(err)
	}
	c, err := s.campaignByID(r, p.CampaignID)
	if err != nil {
		return certified{}, invalidLink(err)
	}
	return certified{token: token, c: c, p: p}, nil
}

// storeRead words a failed read for the answer: not found stays so, and
// a request the client gave up on; anything else from the store, a
// database that did not answer in time included, is pledge.ErrUnavailable
// (503, try again) rather than a server error.
func storeRead(err error) error {
	switch {
	case errors.Is(err, pledge.ErrNotFound), errors.Is(err, pledge.ErrUnavailable), errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w: %w", pledge.ErrUnavailable, err)
}

// certificateData reads the pledge behind the certificate {token} of r and
// returns what its pages show, their language and the campaign's languages.
func (s *Server) certificateData(r *http.Request) (certificateData, string, []string, error) {
	cd, err := s.certified(r)
	if err != nil {
		return certificateData{}, "", nil, err
	}
	lang, _ := pickLang(r, cd.c.Languages)
	if r.URL.Query().Get("lang") == "" && cd.c.HasLang(cd.p.Lang) {
		lang = cd.p.Lang // the certificate speaks the pledger's language unless asked otherwise
	}
	return s.certificateView(r, cd, lang), lang, cd.c.Languages, nil
}

// certificateView is what the pages (and the PNGs, through imageData)
// show of cd in lang.
func (s *Server) certificateView(r *http.Request, cd certified, lang string) certificateData {
	c, p := cd.c, cd.p
	region, _ := c.Region(p.Region)
	name := p.Name
	if p.Withdrawn() {
		// Its pledger took back their consent: the name only as the
		// verification page shows it. (An invalidated pledge's page keeps
		// the name: the pledger did not ask for anything.)
		name = pledge.MaskName(p.Name)
	}
	d := certificateData{
		Slug:           c.Slug,
		Campaign:       c.Title.In(lang, c.DefaultLang()),
		Text:           c.Pledge.In(lang, c.DefaultLang()),
		Name:           name,
		Region:         region.Name.In(lang, c.DefaultLang()),
		Number:         s.cat.Number(lang, p.Number),
		Date:           p.CreatedAt.In(pledge.IST).Format("02-01-2006"),
		DateISO:        p.CreatedAt.Format(time.RFC3339),
		CertificateURL: "/certificate/" + cd.token + "?lang=" + lang,
		Heading:        c.CertificateTitle[lang], // none in lang: the catalogue's, not another language's
		RegionLabel:    c.RegionLabel[lang],      // likewise
		Signatory:      c.Signatory.In(lang, c.DefaultLang()),
		Invalidated:    p.Invalidated,
		Withdrawn:      p.Withdrawn(),
		Mailed:         p.Email != "",
		FileName:       fmt.Sprintf("pledge-certificate-%d", p.Number),
	}
	if s.links.Verify != nil {
		d.VerifyURL = s.baseURL(r) + s.links.VerifyPath(c.ID, p.Number)
	}
	return d
}

func (s *Server) campaignByID(r *http.Request, id int64) (*pledge.Campaign, error) {
	list, err := s.campaigns.all(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, pledge.ErrNotFound
}

// thanks is where the form lands after a pledge is committed (and a
// confirmation after the pledge is counted).
func (s *Server) thanks(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	d, lang, langs, err := s.certificateData(r)
	if err != nil {
		return err
	}
	if d.Slug != r.PathValue("slug") {
		return invalidLink(fmt.Errorf("certificate of campaign %s under %q: %w", d.Slug, r.PathValue("slug"), pledge.ErrNotFound))
	}
	s.render(w, r, http.StatusOK, "thanks", s.newPage(r, lang, langs, s.cat.T(lang, d.titleKey("thanks_title")), d))
	return nil
}

// titleKey is the catalogue key of the title of a page about the pledge:
// valid, the page's own title.
func (d certificateData) titleKey(valid string) string {
	switch {
	case d.Withdrawn:
		return "withdrawn_title"
	case d.Invalidated:
		return "invalidated_title"
	}
	return valid
}

// certificateOG is the preview of the certificate page d in lang: who
// took the pledge of which campaign, and the share picture. A void
// pledge's preview says it is not valid and claims nothing.
func (s *Server) certificateOG(r *http.Request, d certificateData, lang string) ogTags {
	heading := d.Heading
	if heading == "" {
		heading = s.cat.T(lang, "certificate_of")
	}
	og := ogTags{
		Type:  "website",
		Title: heading + " #" + d.Number,
		URL:   s.baseURL(r) + "/certificate/" + r.PathValue("token") + "?lang=" + url.QueryEscape(lang),
	}
	if d.Void() {
		og.Title += " (" + s.cat.T(lang, "certificate_void") + ")"
		return og
	}
	og.Description = strings.NewReplacer("{name}", d.Name, "{campaign}", d.Campaign).Replace(s.cat.T(lang, "og_took_pledge"))
	if d.ShareURL != "" {
		og.Image, og.ImageAlt = s.baseURL(r)+d.ShareURL, s.cat.T(lang, "certificate_image_alt")
		og.ImageWidth, og.ImageHeight = certificate.Share.Dimensions()
	}
	return og
}

// certificate is the public page behind a certificate's unguessable URL.
func (s *Server) certificate(w http.ResponseWriter, r *http.Request) error {
	// Not stored anywhere: a withdrawn or invalidated pledge must show as
	// such at once, and the token stays out of caches and referrers.
	linkHeaders(w)
	d, lang, langs, err := s.certificateData(r)
	if err != nil {
		return err
	}
	title := s.cat.T(lang, "certificate") + " #" + d.Number
	if d.Void() {
		title += " (" + s.cat.T(lang, "certificate_void") + ")"
	} else if s.deps.Certificates != nil {
		// An invalidated pledge's PNGs still answer (they are the
		// certificate as it was; a withdrawn one's are gone), but its page
		// does not offer them for sharing.
		token, img := r.PathValue("token"), s.imageData(d, lang)
		d.FullURL = imagePath(token, lang, img, certificate.Full)
		d.ShareURL = imagePath(token, lang, img, certificate.Share)
	}
	d.OG = s.certificateOG(r, d, lang)
	s.render(w, r, http.StatusOK, "certificate", s.newPage(r, lang, langs, title, d))
	return nil
}
