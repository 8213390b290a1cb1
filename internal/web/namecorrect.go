package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// citizenNameCorrections is how many times the citizen may correct the
// name of their pledge through its private link (the confirmation mail's,
// which withdraws it too): enough for a typo and a second thought, not an
// endless stream of names on one certificate. Past it an administrator
// corrects the name in the console.
const citizenNameCorrections = 3

// nameFix is the name correction form of the private link's page.
type nameFix struct {
	Action string // the form's target; empty: no form (see Note)
	Value  string // what the field holds: the name, or what was typed and refused
	Error  string // catalogue key of why the typed name was refused
	Left   string // corrections left, as the language writes numbers
	Max    int    // the longest name accepted, for the field's maxlength
	Note   string // catalogue key of why no form is offered; empty: none to say
	Done   bool   // the name was just corrected
}

// nameFixFor is the form of pledge p of campaign c on the page of path,
// in lang: offered while the campaign is open, for a pledge that counts,
// until its corrections are used up.
func (s *Server) nameFixFor(c *pledge.Campaign, p pledge.Pledge, path, lang string) nameFix {
	left := citizenNameCorrections - p.NameCorrections
	switch {
	case p.Withdrawn(): // the page says so, and shows no name
		return nameFix{}
	case p.Invalidated:
		return nameFix{Note: "name_fix_invalidated"}
	case !c.OpenAt(s.now()):
		return nameFix{Note: "name_fix_closed"}
	case left <= 0:
		return nameFix{Note: "name_fix_used"}
	}
	return nameFix{Action: path + "/name?lang=" + url.QueryEscape(lang), Value: p.Name,
		Left: s.cat.Number(lang, int64(left)), Max: pledge.MaxNameLen}
}

// correctName corrects the name of the pledge the withdrawal token names
// to the one the form sends, checked as a pledge's name is, and records it
// in the audit log (actor "citizen"). Then 303 back to the page, which
// shows the name the certificate has now; a refused name brings the page
// back with what was typed and why (422), and nothing changes.
func (s *Server) correctName(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.withdrawTarget(r)
	if err != nil {
		return err
	}
	lang := linkLang(r, c, p.Lang)
	typed, err := nameField(w, r)
	if err != nil {
		return err
	}
	path := s.links.WithdrawPath(c.Slug, c.ID, p.Number)
	fix := s.nameFixFor(c, p, path, lang)
	if fix.Action == "" { // closed, used up, void: the page says so
		s.renderWithdrawFix(w, r, http.StatusConflict, c, p, lang, fix)
		return nil
	}
	// No client address: the audit log keeps it for good, and anonymising
	// a campaign could not take it away.
	act := &pledge.Action{Actor: pledge.ActorCitizen, Kind: pledge.KindPledgeName, Campaign: c.Slug,
		Detail: fmt.Sprintf("%s #%d; through the link of the confirmation mail", c.Slug, p.Number)}
	res, err := s.deps.Store.CorrectName(r.Context(), c.ID, p.Number, typed, citizenNameCorrections, act)
	var fe *pledge.FieldError
	switch {
	case errors.As(err, &fe):
		fix.Value, fix.Error = typed, fe.Key
		s.renderWithdrawFix(w, r, http.StatusUnprocessableEntity, c, p, lang, fix)
		return nil
	case errors.Is(err, pledge.ErrLimit), errors.Is(err, pledge.ErrNotFound):
		// Used up or withdrawn meanwhile (another tab): the page as it is
		// now says which.
	case err != nil:
		return invalidLink(err)
	}
	target := path + "?lang=" + url.QueryEscape(lang)
	if err == nil && res.Changed() {
		target += "&name=corrected"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// nameField reads the name field of the form r sends, bounded as the
// campaign form is.
func nameField(w http.ResponseWriter, r *http.Request) (string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", mbe
		}
		return "", errors.Join(errBadRequest, err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", errors.Join(errBadRequest, err)
	}
	return form.Get("name"), nil
}
