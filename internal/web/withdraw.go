package web

import (
	"net/http"
	"net/url"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// withdrawView is the data of the page behind the withdrawal link, the
// pledge's private link: it withdraws the pledge, and corrects its name.
type withdrawView struct {
	Slug, Campaign, Number string
	Action                 string // the button's target; empty once withdrawn
	Withdrawn              bool
	Name                   string // the name on the certificate now
	CertificateURL         string // the certificate's page, to see the name on it
	Fix                    nameFix
}

// withdrawTarget is the pledge the withdrawal token of r names.
func (s *Server) withdrawTarget(r *http.Request) (*pledge.Campaign, pledge.Pledge, error) {
	c, number, err := s.linkTarget(r, s.links.Withdraw)
	if err != nil {
		return nil, pledge.Pledge{}, err
	}
	p, err := s.readPledge(r.Context(), c.ID, number)
	if err != nil {
		return nil, pledge.Pledge{}, invalidLink(err)
	}
	return c, p, nil
}

// renderWithdraw writes the withdrawal page of p, with its name
// correction form (?name=corrected: saying that the name was corrected).
func (s *Server) renderWithdraw(w http.ResponseWriter, r *http.Request, c *pledge.Campaign, p pledge.Pledge) {
	lang := linkLang(r, c, p.Lang)
	fix := s.nameFixFor(c, p, s.links.WithdrawPath(c.Slug, c.ID, p.Number), lang)
	fix.Done = r.URL.Query().Get("name") == "corrected" && !p.Withdrawn()
	s.renderWithdrawFix(w, r, http.StatusOK, c, p, lang, fix)
}

// renderWithdrawFix writes the withdrawal page of p in lang with status
// and the name correction form fix.
func (s *Server) renderWithdrawFix(w http.ResponseWriter, r *http.Request, status int, c *pledge.Campaign, p pledge.Pledge, lang string, fix nameFix) {
	path := s.links.WithdrawPath(c.Slug, c.ID, p.Number)
	v := withdrawView{Slug: c.Slug, Campaign: c.Title.In(lang, c.DefaultLang()), Number: s.cat.Number(lang, p.Number), Withdrawn: p.Withdrawn(), Fix: fix}
	title := s.cat.T(lang, "withdrawn_title")
	if !v.Withdrawn {
		v.Action = path + "?lang=" + lang
		v.Name = p.Name
		if s.links.Certificate != nil {
			v.CertificateURL = s.certificatePath(c, p.Number, lang)
		}
		title = s.cat.T(lang, "withdraw_title")
	}
	s.render(w, r, status, "withdraw", s.newPageAt(path, lang, c.Languages, title, v))
}

// withdrawPage explains what withdrawing does and offers the button. A GET
// never withdraws: mail scanners follow links.
func (s *Server) withdrawPage(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.withdrawTarget(r)
	if err != nil {
		return err
	}
	s.renderWithdraw(w, r, c, p)
	return nil
}

// withdraw withdraws the pledge, which then is no longer counted, and
// sends the browser back to the page, which says so (303). Withdrawing
// again changes nothing and answers the same.
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request) error {
	linkHeaders(w)
	c, p, err := s.withdrawTarget(r)
	if err != nil {
		return err
	}
	if err := s.deps.Store.Withdraw(r.Context(), c.ID, p.Number, s.now()); err != nil {
		return invalidLink(err)
	}
	// Back to the page, which now says it is withdrawn: a reload asks
	// for nothing again.
	lang := linkLang(r, c, p.Lang)
	http.Redirect(w, r, s.links.WithdrawPath(c.Slug, c.ID, p.Number)+"?lang="+url.QueryEscape(lang), http.StatusSeeOther)
	return nil
}
