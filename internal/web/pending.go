package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// pendingView is the data of the page that asks a citizen to confirm the
// pledge from the mail.
type pendingView struct {
	Slug, Campaign string
	Hours          string // until the confirmation link expires
	OneHour        bool   // Hours is 1
	Action         string // the resend button's target; empty: no more resends
	Sent           bool   // a resend was just asked for
	Limit          bool   // as many mails were sent as may be
	Email          string // where the mail went, masked: a typo in the domain shows
	CertificateURL string // set once the pledge is confirmed
	Number         string // set once the pledge is confirmed
	Withdrawn      bool   // confirmed, then withdrawn
}

func (s *Server) pendingView(r *http.Request, c *pledge.Campaign, p pledge.Pending, lang string) (pendingView, error) {
	v := pendingView{Slug: c.Slug, Campaign: c.Title.In(lang, c.DefaultLang()), Email: pledge.MaskEmail(p.Email)}
	if p.Confirmed() {
		v.CertificateURL, v.Number = s.certificatePath(c, p.Number, lang), s.cat.Number(lang, p.Number)
		var err error
		v.Withdrawn, err = s.withdrawnSince(r, c, p)
		return v, err
	}
	h := s.hoursLeft(p)
	v.Hours, v.OneHour = s.cat.Number(lang, h), h == 1
	if p.Sends < s.resendLimit {
		v.Action = s.links.PendingPath(c.Slug, c.ID, p.ID) + "/resend?lang=" + lang
	} else {
		v.Limit = true
	}
	return v, nil
}

// renderPending writes the pending page of p with status; sent says a
// resend was just asked for.
func (s *Server) renderPending(w http.ResponseWriter, r *http.Request, status int, c *pledge.Campaign, p pledge.Pending, lang string, sent bool) error {
	v, err := s.pendingView(r, c, p, lang)
	if err != nil {
		return err
	}
	v.Sent = sent && p.Sends > 1 && v.CertificateURL == "" // a resend was made, and the pledge still waits
	title := s.cat.T(lang, "pending_title")
	switch {
	case v.Withdrawn:
		title = s.cat.T(lang, "withdrawn_title")
	case p.Confirmed():
		title = s.cat.T(lang, "already_confirmed")
	}
	path := s.links.PendingPath(c.Slug, c.ID, p.ID)
	s.render(w, r, status, "pending", s.newPageAt(path, lang, c.Languages, title, v))
	return nil
}

// pending is where the form sends a citizen whose pledge waits for the
// address to be confirmed: check your mail, or have it sent again. It
// cannot confirm.
func (s *Server) pending(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.pendingPledge(r, s.links.Pending)
	if err != nil {
		return err
	}
	lang := linkLang(r, c, p.Lang)
	sent := s.takeResent(w, r, s.links.PendingPath(c.Slug, c.ID, p.ID)) // right after a resend
	return s.renderPending(w, r, http.StatusOK, c, p, lang, sent)
}

// resentCookie marks, for the one page view that follows, that the
// opt-in mail was just sent again: the page says so once, not on every
// reload or from a bookmark.
const resentCookie = "resent"

// resentCookieAge bounds how long the mark waits for the page, should the
// redirect to it not be followed.
const resentCookieAge = time.Minute

// markResent leaves the mark that the pending page at path was just
// asked to send the mail again.
func (s *Server) markResent(w http.ResponseWriter, r *http.Request, path string) {
	http.SetCookie(w, &http.Cookie{Name: resentCookie, Value: "1", Path: path, MaxAge: int(resentCookieAge / time.Second),
		HttpOnly: true, Secure: s.client.isHTTPS(r), SameSite: http.SameSiteLaxMode})
}

// takeResent reports whether r carries the mark of a resend for the
// pending page at path, and removes it.
func (s *Server) takeResent(w http.ResponseWriter, r *http.Request, path string) bool {
	if _, err := r.Cookie(resentCookie); err != nil {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: resentCookie, Path: path, MaxAge: -1,
		HttpOnly: true, Secure: s.client.isHTTPS(r), SameSite: http.SameSiteLaxMode})
	return true
}

// resend asks for the opt-in mail again, as often as the resend limit
// allows, then sends the browser back to the pending page (303), which
// says the mail went, once (resentCookie): reloading that page sends
// nothing more and says nothing of it. Past the
// limit the page says kindly that no more will come (429).
func (s *Server) resend(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.pendingPledge(r, s.links.Pending)
	if err != nil {
		return err
	}
	lang := linkLang(r, c, p.Lang)
	if p.Confirmed() {
		return s.renderPending(w, r, http.StatusOK, c, p, lang, false)
	}
	switch err := s.deps.Store.Resend(r.Context(), c.ID, p.ID, s.resendLimit); {
	case errors.Is(err, pledge.ErrLimit):
		p.Sends = max(p.Sends, s.resendLimit)
		return s.renderPending(w, r, http.StatusTooManyRequests, c, p, lang, false)
	case err != nil:
		return invalidLink(err) // gone, or confirmed meanwhile
	}
	path := s.links.PendingPath(c.Slug, c.ID, p.ID)
	s.markResent(w, r, path)
	http.Redirect(w, r, path+"?lang="+url.QueryEscape(lang), http.StatusSeeOther)
	return nil
}
