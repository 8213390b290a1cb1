package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// The pages behind the links of the mails (confirm, withdraw) and of the
// pending page share what is here: their tokens are decoded with the
// tokens of their own purpose and must name the campaign of the path, and
// their answers stay out of caches, referrers and search engines.

// invalidLink marks err, when it means "not found", as a link that has
// expired or is not valid, so that the page says so. Any other error that
// is not the domain's own is the database failing: it answers 503 with
// Retry-After, as a pledge does, and the citizen can press again.
func invalidLink(err error) error {
	switch {
	case err == nil || errors.Is(err, errLinkInvalid):
		return err
	case errors.Is(err, pledge.ErrNotFound):
		return fmt.Errorf("%w: %w", errLinkInvalid, err)
	case errors.Is(err, pledge.ErrDuplicate), errors.Is(err, pledge.ErrLimit), errors.Is(err, pledge.ErrClosed):
		return err
	default:
		return storeRead(err)
	}
}

// linkHeaders sets the headers of a page whose URL carries a token: the
// token goes to no other site (secureheaders.ReferrerPolicy sends no path),
// into no cache and into no search index.
func linkHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Robots-Tag", "noindex")
}

// linkTarget decodes the {token} of r with tokens (those of the page's
// purpose, so a token made for another purpose decodes to nothing) and
// checks that it was made for the campaign of {slug}. It returns that
// campaign and the ID the token carries.
func (s *Server) linkTarget(r *http.Request, tokens *pledge.Tokens) (*pledge.Campaign, int64, error) {
	if tokens == nil { // Deps.Links not set: these links are not served
		return nil, 0, invalidLink(fmt.Errorf("no tokens for %s: %w", r.URL.Path, pledge.ErrNotFound))
	}
	c, err := s.campaigns.get(r.Context(), r.PathValue("slug"))
	if err != nil {
		return nil, 0, invalidLink(err)
	}
	campaignID, id, err := tokens.Decode(r.PathValue("token"))
	if err != nil {
		return nil, 0, invalidLink(err)
	}
	if campaignID != c.ID {
		return nil, 0, invalidLink(fmt.Errorf("token of campaign %d under %q: %w", campaignID, c.Slug, pledge.ErrNotFound))
	}
	return c, id, nil
}

// pendingPledge returns the pending pledge the {token} of r names, made
// with tokens, and its campaign. A pledge not confirmed within the pending
// TTL counts as expired even before the periodic job removes it.
func (s *Server) pendingPledge(r *http.Request, tokens *pledge.Tokens) (*pledge.Campaign, pledge.Pending, error) {
	c, id, err := s.linkTarget(r, tokens)
	if err != nil {
		return nil, pledge.Pending{}, err
	}
	p, err := s.readPending(r.Context(), c.ID, id)
	if err != nil {
		return nil, pledge.Pending{}, invalidLink(err)
	}
	if !p.Confirmed() && !s.now().Before(s.expiry(p)) {
		return nil, pledge.Pending{}, invalidLink(fmt.Errorf("pending pledge %d/%d expired: %w", c.ID, id, pledge.ErrNotFound))
	}
	return c, p, nil
}

// expiry is when pending pledge p can no longer be confirmed.
func (s *Server) expiry(p pledge.Pending) time.Time { return p.CreatedAt.Add(s.pendingTTL) }

// hoursLeft is the whole hours, rounded up and at least one, until p expires.
func (s *Server) hoursLeft(p pledge.Pending) int64 {
	return max(1, int64(math.Ceil(s.expiry(p).Sub(s.now()).Hours())))
}

// linkLang is the language of a link's page: ?lang= when the campaign
// offers it, else the language the citizen pledged in, else the browser's.
func linkLang(r *http.Request, c *pledge.Campaign, pledged string) string {
	lang, explicit := pickLang(r, c.Languages)
	if !explicit && c.HasLang(pledged) {
		return pledged
	}
	return lang
}

// thanksPath is the thank-you page of pledge number in campaign c.
func (s *Server) thanksPath(c *pledge.Campaign, number int64, lang string) string {
	return "/c/" + url.PathEscape(c.Slug) + "/thanks/" + s.links.Certificate.Encode(c.ID, number) + "?lang=" + url.QueryEscape(lang)
}

// certificatePath is the certificate page of pledge number in campaign c.
func (s *Server) certificatePath(c *pledge.Campaign, number int64, lang string) string {
	return s.links.CertificatePath(c.ID, number) + "?lang=" + url.QueryEscape(lang)
}
