package web

import (
	"errors"
	"net/http"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// confirmView is the data of the page behind the opt-in mail's link.
type confirmView struct {
	Slug, Campaign, Text string
	Name, Region         string // of a pledge still waiting
	RegionLabel          string // the campaign's word for a region; empty: the catalogue's
	Action               string // the button's target; empty once confirmed
	Number               string // set once confirmed
	CertificateURL       string // set once confirmed
	Withdrawn            bool   // confirmed, then withdrawn
}

// confirmPage shows the pledge to confirm and a button that confirms it.
// A GET never confirms: mail scanners follow links.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.pendingPledge(r, s.links.Confirm)
	if err != nil {
		return err
	}
	lang := linkLang(r, c, p.Lang)
	v := confirmView{Slug: c.Slug, Campaign: c.Title.In(lang, c.DefaultLang()), Text: c.Pledge.In(lang, c.DefaultLang()),
		RegionLabel: c.RegionLabel[lang]}
	if p.Confirmed() {
		v.Number = s.cat.Number(lang, p.Number)
		v.CertificateURL = s.certificatePath(c, p.Number, lang)
		if v.Withdrawn, err = s.withdrawnSince(r, c, p); err != nil {
			return err
		}
	} else {
		region, _ := c.Region(p.Region)
		// The name masked, as the verification page shows it: whoever
		// typed the address need not own it, and the page is the office's.
		v.Name, v.Region = pledge.MaskName(p.Name), region.Name.In(lang, c.DefaultLang())
		v.Action = s.links.ConfirmPath(c.Slug, c.ID, p.ID) + "?lang=" + lang
	}
	s.render(w, r, http.StatusOK, "confirm", s.newPage(r, lang, c.Languages, s.cat.T(lang, "confirm_title"), v))
	return nil
}

// confirm counts the pending pledge and sends the citizen to its thank-you
// page; confirming again lands on the same number.
//
// The campaign is not asked whether it is open: a pledge made while it was
// open may be confirmed after it closes (or while it is paused), since the
// citizen pledged in time and the mail only proves the address.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.pendingPledge(r, s.links.Confirm)
	if err != nil {
		return err
	}
	lang := linkLang(r, c, p.Lang)
	rec, err := s.deps.Store.Confirm(r.Context(), c.ID, p.ID, s.now())
	switch {
	case errors.Is(err, pledge.ErrDuplicate):
		// The number or address pledged meanwhile by another way: a kind
		// refusal that says nothing of that pledge.
		v := messageView{Heading: "duplicate_title", Body: "confirm_duplicate", Slug: c.Slug}
		path := s.links.ConfirmPath(c.Slug, c.ID, p.ID)
		s.render(w, r, http.StatusConflict, "message", s.newPageAt(path, lang, c.Languages, s.cat.T(lang, "duplicate_title"), v))
		return nil
	case err != nil:
		return invalidLink(err)
	}
	http.Redirect(w, r, s.thanksPath(c, rec.Number, lang), http.StatusSeeOther)
	return nil
}

// withdrawnSince reports whether pending pledge p was confirmed and its
// pledge withdrawn since: its links then say so rather than "confirmed".
func (s *Server) withdrawnSince(r *http.Request, c *pledge.Campaign, p pledge.Pending) (bool, error) {
	if !p.Confirmed() {
		return false, nil
	}
	pl, err := s.readPledge(r.Context(), c.ID, p.Number)
	if err != nil {
		return false, storeRead(err)
	}
	return pl.Withdrawn(), nil
}
