// Package admin is the admin console under /admin/: log-in with
// argon2id-hashed passwords, database-backed sessions (alexedwards/scs),
// roles, CSRF protection, a dashboard of campaign totals with a page per
// campaign (per-minute chart, regions), a streamed CSV export of a
// campaign's pledges for admins, and the audit log with its CSV export.
// Every route is in routes.go.
package admin

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/alexedwards/scs/v2"

	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Deps are what the admin console needs from the rest of the portal.
type Deps struct {
	Store store.Store
	Log   *slog.Logger
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto, as for
	// the public site. They decide the address written to the audit log, the
	// per-address log-in limit, and whether the session cookie is Secure.
	TrustedProxies []netip.Prefix
	// Now is the clock of the audit log and of device cookies' ages; nil
	// means time.Now.
	Now func() time.Time
	// Params are the argon2id parameters of the dummy hash that unknown
	// usernames are checked against; nil means argon2id.DefaultParams, the
	// parameters Accounts hashes with. Tests lower them.
	Params *argon2id.Params
	// Jobs is River's job console, served at JobsPath to admins; nil: none.
	Jobs http.Handler
	// Fingerprints keys the fingerprint by which the audit and server logs
	// name a username with no account (it may be a password typed in the
	// wrong field), so that no one reading them can test guesses against
	// it; the server secret's hasher. A key derived from it signs the
	// device cookies that let an officer's own browser past log-in limits
	// run up by others (throttle.go), so it must be the same on every
	// instance and across restarts. nil: a key of this process's own.
	Fingerprints *pledge.Hasher
}

// Admin is the admin console's HTTP handler, for every path under /admin/.
type Admin struct {
	prints   *pledge.Hasher // keys the fingerprints of unknown usernames
	devices  devices        // signs and checks device cookies
	jobs     http.Handler
	store    store.Store
	log      *slog.Logger
	now      func() time.Time
	client   netaddr.ClientAddr
	tmpl     map[string]*template.Template
	plain    *scs.SessionManager // cookies for plain-HTTP requests
	secure   *scs.SessionManager // cookies with Secure, for HTTPS requests
	throttle *throttle
	accounts accountKeys // for naming throttled log-ins
	hasher   *hasher
	handler  http.Handler
}

// New builds the admin console and its routes.
func New(d Deps) (*Admin, error) {
	if d.Store == nil {
		return nil, errors.New("admin: no store")
	}
	if d.Log == nil {
		return nil, errors.New("admin: no logger")
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	h, err := newHasher(d.Params)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	prints := d.Fingerprints
	if prints == nil {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		prints = pledge.NewHasher(key)
	}
	a := &Admin{
		prints:   prints,
		devices:  newDevices(prints),
		store:    d.Store,
		log:      d.Log,
		now:      d.Now,
		client:   netaddr.ClientAddr{Trusted: d.TrustedProxies},
		tmpl:     tmpl,
		throttle: newThrottle(),
		hasher:   h,
		jobs:     d.Jobs,
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.plain = a.newSessionManager(false)
	a.secure = a.newSessionManager(true)
	a.handler = a.routes()
	return a, nil
}

// ServeHTTP makes Admin an http.Handler.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.handler.ServeHTTP(w, r)
}
