package admin_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/web"
)

var discard = slog.New(slog.DiscardHandler)

// cheap are argon2id parameters that make a hash take microseconds: the
// tests check the log-in logic, not the cost of a guess.
var cheap = &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const (
	adminUser   = "deo"
	adminPass   = "correct horse battery"
	viewerUser  = "observer"
	viewerPass  = "staple of the viewer"
	cookieName  = "pledge_admin"
	loginPath   = "/admin/login"
	homePath    = "/admin/"
	logoutPath  = "/admin/logout"
	auditPath   = "/admin/audit"
	exportPath  = "/admin/audit.csv"
	usersPath   = "/admin/users"
	formType    = "application/x-www-form-urlencoded"
	csrfPattern = `name="csrf" value="([^"]+)"`
)

var csrfField = regexp.MustCompile(csrfPattern)

// console is the admin console over a real SQLite file and real HTTP, with
// an admin "deo" and a viewer "observer".
type console struct {
	URL      string
	Store    *sqlite.Store
	Accounts admin.Accounts
	Handler  http.Handler // the console itself, for in-process requests
	DBPath   string       // the SQLite file, for SQL that bypasses the store
	server   *httptest.Server
}

type consoleOptions struct {
	proxies      []netip.Prefix
	tls          bool
	public       bool
	jobs         bool
	writeTimeout time.Duration // the server's, on connections with small send buffers
	wrap         func(store.Store) store.Store
	now          func() time.Time
	log          *slog.Logger
}

type consoleOption func(*consoleOptions)

// behindProxy believes X-Forwarded-* from loopback, so a test can speak for
// many client addresses.
func behindProxy() consoleOption {
	return func(o *consoleOptions) {
		o.proxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
}

// withPublicSite serves the console mounted in the public web.Server, with
// a real intake, as the portal does: the public API and the console share
// one URL and one store.
func withPublicSite() consoleOption { return func(o *consoleOptions) { o.public = true } }

// withJobs mounts River's job console over the test's store at /admin/jobs.
func withJobs() consoleOption { return func(o *consoleOptions) { o.jobs = true } }

// slowLink serves the console as cmd/pledge does, with a write timeout for
// each answer (d), on connections whose send buffers are small, so that a
// client reading slowly holds the server's writes up as on a slow network.
func slowLink(d time.Duration) consoleOption {
	return func(o *consoleOptions) { o.writeTimeout = d }
}

// smallBuffers accepts connections with 16 kB send buffers.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// wrapStore gives the console the store wrap makes of the test's store
// (the test's own calls go to the store itself).
func wrapStore(wrap func(store.Store) store.Store) consoleOption {
	return func(o *consoleOptions) { o.wrap = wrap }
}

// withLog gives the console log as its logger.
func withLog(log *slog.Logger) consoleOption { return func(o *consoleOptions) { o.log = log } }

// withClock gives the console now as its clock.
func withClock(now func() time.Time) consoleOption { return func(o *consoleOptions) { o.now = now } }

// overTLS serves the console with httptest's TLS server.
func overTLS() consoleOption { return func(o *consoleOptions) { o.tls = true } }

func newConsole(t *testing.T, opts ...consoleOption) *console {
	t.Helper()
	var o consoleOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "pledge.db")
	s, err := sqlite.Open(ctx, dbPath, discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	acc := admin.Accounts{Store: s, Params: cheap}
	setup := admin.Who{Actor: "test", Remote: "local"}
	if _, err := acc.Add(ctx, setup, adminUser, pledge.RoleAdmin, adminPass); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Add(ctx, setup, viewerUser, pledge.RoleViewer, viewerPass); err != nil {
		t.Fatal(err)
	}
	var jobs http.Handler
	if o.jobs {
		jc, err := s.Jobs(&river.Config{Logger: discard})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		if jobs, err = jc.UI(ctx, admin.JobsPath, discard); err != nil {
			t.Fatal(err)
		}
	}
	var st store.Store = s
	if o.wrap != nil {
		st = o.wrap(s)
	}
	log := discard
	if o.log != nil {
		log = o.log
	}
	a, err := admin.New(admin.Deps{Store: st, Log: log, TrustedProxies: o.proxies, Params: cheap, Jobs: jobs, Now: o.now,
		Fingerprints: pledge.NewHasher(fingerprintKey)})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = a
	if o.public {
		h = publicSite(t, s, a)
	}
	var ts *httptest.Server
	switch {
	case o.tls:
		ts = httptest.NewTLSServer(h)
	case o.writeTimeout > 0:
		ts = httptest.NewUnstartedServer(h)
		ts.Listener = smallBuffers{ts.Listener}
		ts.Config.WriteTimeout = o.writeTimeout
		ts.Start()
	default:
		ts = httptest.NewServer(h)
	}
	t.Cleanup(ts.Close)
	return &console{URL: ts.URL, Store: s, Accounts: acc, Handler: a, DBPath: dbPath, server: ts}
}

// publicSite is the public web.Server over s, with a running intake and
// the console mounted under /admin/.
func publicSite(t *testing.T, s *sqlite.Store, console http.Handler) http.Handler {
	t.Helper()
	secret, err := s.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	in := intake.New(s, discard, intake.Options{})
	go in.Run()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := in.Close(ctx); err != nil {
			t.Errorf("intake.Close: %v", err)
		}
	})
	srv, err := web.New(web.Deps{Store: s, Intake: in, Hasher: pledge.NewHasher(secret), Tokens: pledge.NewTokens(secret),
		Log: discard, Admin: console})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// sessionCookie is the pledge_admin cookie the answer sets, or nil.
func (r response) sessionCookie() *http.Cookie {
	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == cookieName {
			return c
		}
	}
	return nil
}

// browser is one visitor with a cookie jar that never follows redirects.
type browser struct {
	t      *testing.T
	c      *console
	client *http.Client
	header http.Header // sent with every request
}

func (c *console) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	if c.server.TLS != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: c.server.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &browser{t: t, c: c, header: http.Header{}, client: &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request with header pairs "Name", "value", ...
func (b *browser) do(method, path string, body io.Reader, header ...string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.c.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

func (b *browser) get(path string, header ...string) response {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil, header...)
}

// post sends form as a same-origin browser form would (no Sec-Fetch-Site
// unless header adds one).
func (b *browser) post(path string, form url.Values, header ...string) response {
	b.t.Helper()
	return b.do(http.MethodPost, path, strings.NewReader(form.Encode()), append([]string{"Content-Type", formType}, header...)...)
}

// csrf fetches path and returns the form token on it.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	r := b.get(path)
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		b.t.Fatalf("GET %s: no csrf field in %d %s", path, r.Status, clip(r.Body))
	}
	return m[1]
}

// login fetches the log-in form and sends it.
func (b *browser) login(username, password string) response {
	b.t.Helper()
	tok := b.csrf(loginPath)
	return b.post(loginPath, url.Values{"csrf": {tok}, "username": {username}, "password": {password}})
}

// adminBrowser is a fresh browser logged in as the console's first admin.
func (c *console) adminBrowser(t *testing.T) *browser {
	t.Helper()
	b := c.browser(t)
	b.mustLogin(adminUser, adminPass)
	return b
}

// mustLogin logs in and fails unless the console sends the browser home.
func (b *browser) mustLogin(username, password string) {
	b.t.Helper()
	r := b.login(username, password)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != homePath {
		b.t.Fatalf("log-in as %s: %d %s, want 303 to %s", username, r.Status, clip(r.Body), homePath)
	}
}

// token is the session token the browser holds now, or "".
func (b *browser) token() string {
	u, _ := url.Parse(b.c.URL + homePath)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == cookieName {
			return c.Value
		}
	}
	return ""
}

// withToken is a fresh browser that presents tok as its session cookie.
func (c *console) withToken(t *testing.T, tok string) *browser {
	b := c.browser(t)
	b.header.Set("Cookie", cookieName+"="+tok)
	return b
}

// actions returns the audit log, newest first.
func (c *console) actions(t *testing.T) []pledge.Action {
	t.Helper()
	acts, err := c.Store.Actions(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

// lastAction is the newest entry of kind, failing t if there is none.
func (c *console) lastAction(t *testing.T, kind string) pledge.Action {
	t.Helper()
	for _, a := range c.actions(t) {
		if a.Kind == kind {
			return a
		}
	}
	t.Fatalf("no %q entry in the audit log: %+v", kind, c.actions(t))
	return pledge.Action{}
}

func (c *console) count(t *testing.T, kind string) int {
	t.Helper()
	n := 0
	for _, a := range c.actions(t) {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, status, clip(r.Body))
	}
}

// wantRedirect fails t unless r is a 303 to location.
func wantRedirect(t *testing.T, r response, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != location {
		t.Fatalf("got %d to %q, want 303 to %q; body: %s", r.Status, r.Header.Get("Location"), location, clip(r.Body))
	}
}

// wantLogin checks that r sends the browser to the log-in page, whatever
// it asks that page to say or to go on to.
func wantLogin(t *testing.T, r response) {
	t.Helper()
	u, err := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || err != nil || u.Path != loginPath || u.Host != "" {
		t.Fatalf("got %d to %q, want 303 to the log-in page; body: %s", r.Status, r.Header.Get("Location"), clip(r.Body))
	}
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("body does not contain %q; body:\n%s", w, clip(body))
		}
	}
}

func clip(s string) string {
	if i := strings.Index(s, "<main>"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return s
}

// adminWho is the actor tests change accounts as.
var adminWho = admin.Who{Actor: "test", Remote: "local"}

// storeDirectly runs query on the console's database behind the store's
// back, as data written before a rule was added would be.
func (c *console) storeDirectly(t *testing.T, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+c.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
}

// editor returns a function that saves form, a new-campaign form for slug
// as it was sent, through the campaign's edit page as adm, with a fresh
// CSRF token and the campaign's current version each time.
func (c *console) editor(t *testing.T, adm *browser, slug string, form url.Values) func() response {
	editPath := "/admin/c/" + slug + "/edit"
	form.Del("slug")
	form.Del("regions")
	return func() response {
		t.Helper()
		form.Set("csrf", adm.csrf(editPath))
		form.Set("version", strconv.FormatInt(c.campaign(t, slug).Version, 10))
		return adm.post(editPath, form)
	}
}
