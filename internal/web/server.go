// Package web serves the citizen pages and the public JSON API over the
// standard library's ServeMux and html/template. Every route is in routes.go.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/logevery"
	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/ratelimit"
	"github.com/pledgeportal/pledge/internal/store"
)

// Submitter takes a validated submission and answers once it is committed;
// *intake.Intake satisfies it.
type Submitter interface {
	// Admit takes a place for one submission in progress, or reports false
	// when there are as many as may be: the request is answered 503 at
	// once. Each place taken is given back with Release.
	Admit() bool
	Release()
	Submit(ctx context.Context, sub pledge.Submission) (pledge.Receipt, error)
	// WriteFailure returns why commits fail lately, or nil: /readyz then
	// says the instance does not take pledges.
	WriteFailure() error
}

// Deps are what the web layer needs from the rest of the portal.
type Deps struct {
	Store  store.Store
	Intake Submitter
	Hasher *pledge.Hasher
	// Links builds and reads the tokens of every link a pledge has
	// (certificate, confirm, withdraw, pending): pledge.NewLinks(secret).
	Links *pledge.Links
	// Tokens are the certificate tokens, kept for callers wired before
	// Links existed; set Links instead. Used only when Links is nil, and
	// then the opt-in pages (confirm, withdraw, pending) answer 404. When
	// both are set they must come from the same secret.
	Tokens  *pledge.Tokens
	Log     *slog.Logger
	BaseURL string           // public URL for absolute links; empty: from the request
	Now     func() time.Time // clock; nil means time.Now

	// PendingTTL is how long a pledge waiting for its address to be
	// confirmed may be confirmed; 0 means 72 hours. Keep it equal to the
	// age at which the periodic job removes pending pledges.
	PendingTTL time.Duration
	// ResendLimit caps the opt-in mails a pending pledge gets, the first
	// one included; 0 means 3.
	ResendLimit int

	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []netip.Prefix
	// Limits are the abuse limits; nil means none.
	Limits *ratelimit.Limits
	// Admin serves everything under /admin/ (the admin console); nil: not mounted.
	Admin http.Handler
	// Certificates draws the certificates' PNGs (certificate.png and
	// share.png under a certificate's path); nil: those answer 404 and the
	// certificate page offers no picture.
	Certificates *certificate.Renderer
	// Metrics is told about every request and exported at /metrics when
	// MetricsHandler is set; nil: nothing is counted.
	Metrics HTTPObserver
	// MetricsHandler serves GET /metrics on this server; nil: not served
	// here (it may be on a separate address).
	MetricsHandler http.Handler
}

// Server is the portal's HTTP handler.
type Server struct {
	deps        Deps
	log         *slog.Logger
	now         func() time.Time
	links       *pledge.Links
	pendingTTL  time.Duration
	resendLimit int
	cat         *catalogue
	tmpl        map[string]*template.Template
	campaigns   *campaignCache
	counts      *countCache
	pages       *pageCache
	client      clientAddr
	handler     http.Handler
	// forwardWarned is set once warnUntrustedForwarding has logged.
	forwardWarned atomic.Bool
	// storeAway and overloaded pass on a warning about a 503 every few
	// seconds (warnUnavailable); the access log has every request.
	storeAway, overloaded logevery.Every
	gzips                 sync.Pool // *gzip.Writer, for rendered pages
}

// Defaults of the opt-in settings in Deps.
const (
	defaultPendingTTL  = 72 * time.Hour
	defaultResendLimit = 3
)

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	cat, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		deps:   d,
		log:    d.Log,
		now:    d.Now,
		cat:    cat,
		tmpl:   tmpl,
		client: clientAddr{netaddr.ClientAddr{Trusted: d.TrustedProxies}},

		storeAway:  logevery.Every{Period: 5 * time.Second},
		overloaded: logevery.Every{Period: 5 * time.Second},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.links, err = links(d); err != nil {
		return nil, err
	}
	if d.PendingTTL < 0 || d.ResendLimit < 0 {
		return nil, fmt.Errorf("web: negative PendingTTL (%v) or ResendLimit (%d)", d.PendingTTL, d.ResendLimit)
	}
	s.pendingTTL = cmp.Or(d.PendingTTL, defaultPendingTTL)
	s.resendLimit = cmp.Or(d.ResendLimit, defaultResendLimit)
	s.campaigns = newCampaignCache(d.Store, 5*time.Second, s.now)
	s.counts = newCountCache(d.Store, time.Second, s.now)
	s.pages = newPageCache()
	s.handler = s.routes()
	return s, nil
}

// links returns the links of d, or certificate links alone from the
// older Deps.Tokens.
func links(d Deps) (*pledge.Links, error) {
	switch {
	case d.Links == nil && d.Tokens == nil:
		return nil, errors.New("web: Deps.Links is not set")
	case d.Links == nil:
		return &pledge.Links{Certificate: d.Tokens}, nil
	case d.Links.Certificate == nil:
		return nil, errors.New("web: Deps.Links has no certificate tokens")
	case d.Tokens != nil && d.Tokens.Encode(1, 1) != d.Links.Certificate.Encode(1, 1):
		return nil, errors.New("web: Deps.Tokens and Deps.Links come from different secrets")
	}
	return d.Links, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// baseURL is the scheme and host links should use for request r.
func (s *Server) baseURL(r *http.Request) string {
	if s.deps.BaseURL != "" {
		return s.deps.BaseURL
	}
	scheme := "http"
	if s.client.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
