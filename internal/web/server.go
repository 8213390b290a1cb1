// Package web serves the citizen pages and the public JSON API over the
// standard library's ServeMux and html/template. Every route is in routes.go.
package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/ratelimit"
	"github.com/pledgeportal/pledge/internal/store"
)

// Submitter takes a validated submission and answers once it is committed;
// *intake.Intake satisfies it.
type Submitter interface {
	Submit(ctx context.Context, sub pledge.Submission) (pledge.Receipt, error)
}

// Deps are what the web layer needs from the rest of the portal.
type Deps struct {
	Store   store.Store
	Intake  Submitter
	Hasher  *pledge.Hasher
	Tokens  *pledge.Tokens
	Log     *slog.Logger
	BaseURL string           // public URL for absolute links; empty: from the request
	Now     func() time.Time // clock; nil means time.Now

	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []netip.Prefix
	// Limits are the abuse limits; nil means none.
	Limits *ratelimit.Limits
	// Admin serves everything under /admin/ (the admin console); nil: not mounted.
	Admin http.Handler
}

// Server is the portal's HTTP handler.
type Server struct {
	deps      Deps
	log       *slog.Logger
	now       func() time.Time
	cat       *catalogue
	tmpl      map[string]*template.Template
	campaigns *campaignCache
	counts    *countCache
	pages     *pageCache
	client    clientAddr
	handler   http.Handler
}

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
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.campaigns = newCampaignCache(d.Store, 5*time.Second, s.now)
	s.counts = newCountCache(d.Store, time.Second, s.now)
	s.pages = newPageCache()
	s.handler = s.routes()
	return s, nil
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
	return fmt.Sprintf("%s://%s", scheme, r.Host)
}
