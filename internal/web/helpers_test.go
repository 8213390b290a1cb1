package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/ratelimit"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/web"
)

var (
	discard = slog.New(slog.DiscardHandler)
	secret  = []byte("web test secret, not for production")
)

// portal is one running server over a real SQLite file and a real intake.
type portal struct {
	URL      string
	Store    *sqlite.Store
	Campaign *pledge.Campaign // the open campaign "vote"
	Intake   *intake.Intake
	Links    *pledge.Links  // from the server's secret
	Tokens   *pledge.Tokens // Links.Certificate
	Client   *http.Client   // never follows redirects
}

type portalOptions struct {
	campaigns []*pledge.Campaign
	committer intake.Committer
	queueSize int
	limits    *ratelimit.Limits
	proxies   []netip.Prefix
	admin     http.Handler
	now       func() time.Time
	deps      func(*web.Deps)
	renderer  *certificate.Renderer
}

type portalOption func(*portalOptions)

// withCampaign stores c (besides "vote") before the server starts.
func withCampaign(c *pledge.Campaign) portalOption {
	return func(o *portalOptions) { o.campaigns = append(o.campaigns, c) }
}

// withCommitter puts the intake in front of c instead of the store.
func withCommitter(c intake.Committer, queueSize int) portalOption {
	return func(o *portalOptions) { o.committer, o.queueSize = c, queueSize }
}

// withLimits applies l, believing X-Forwarded-For from loopback so a test can
// speak for many client addresses.
func withLimits(l *ratelimit.Limits) portalOption {
	return func(o *portalOptions) {
		o.limits = l
		o.proxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
}

// withClock makes now the server's clock.
func withClock(now func() time.Time) portalOption {
	return func(o *portalOptions) { o.now = now }
}

// withDeps lets f change the server's Deps last.
func withDeps(f func(*web.Deps)) portalOption {
	return func(o *portalOptions) { o.deps = f }
}

// withRenderer draws certificates with r (Deps.Certificates); without it
// the PNG routes answer 404.
func withRenderer(r *certificate.Renderer) portalOption {
	return func(o *portalOptions) { o.renderer = r }
}

// withAdmin mounts h under /admin/.
func withAdmin(h http.Handler) portalOption {
	return func(o *portalOptions) { o.admin = h }
}

// newPortal starts the portal the way cmd/pledge/serve.go wires it and
// returns it with the open campaign "vote" (storetest.Campaign).
func newPortal(t testing.TB, opts ...portalOption) *portal {
	t.Helper()
	var o portalOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pledge.db"), discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := storetest.Campaign("vote")
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	for _, extra := range o.campaigns {
		if err := s.CreateCampaign(ctx, extra, nil); err != nil {
			t.Fatalf("CreateCampaign(%s): %v", extra.Slug, err)
		}
	}

	var committer intake.Committer = s
	if o.committer != nil {
		committer = o.committer
	}
	in := intake.New(committer, discard, intake.Options{QueueSize: o.queueSize})
	go in.Run()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := in.Close(ctx); err != nil {
			t.Errorf("intake.Close: %v", err)
		}
	})

	links := pledge.NewLinks(secret)
	deps := web.Deps{Store: s, Intake: in, Hasher: pledge.NewHasher(secret), Links: links, Log: discard,
		Limits: o.limits, TrustedProxies: o.proxies, Admin: o.admin, Now: o.now, Certificates: o.renderer}
	if o.deps != nil {
		o.deps(&deps)
	}
	srv, err := web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &portal{
		URL:      ts.URL,
		Store:    s,
		Campaign: c,
		Intake:   in,
		Links:    links,
		Tokens:   links.Certificate,
		Client: &http.Client{
			Transport:     tr,
			Timeout:       20 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// closedCampaign closed an hour ago.
func closedCampaign(slug string) *pledge.Campaign {
	c := storetest.Campaign(slug)
	c.ClosesAt = time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	return c
}

// futureCampaign opens tomorrow.
func futureCampaign(slug string) *pledge.Campaign {
	c := storetest.Campaign(slug)
	c.OpensAt = time.Now().Add(24 * time.Hour).UTC().Truncate(time.Microsecond)
	return c
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string {
	b := r.Body
	if len(b) > 600 {
		b = b[:600]
	}
	return fmt.Sprintf("%d %s", r.Status, b)
}

func (r response) text() string { return string(r.Body) }

// send does req with c and reads the whole answer. Safe in any goroutine.
func send(c *http.Client, req *http.Request) (response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// do sends method path (relative to the portal, or absolute) with body and
// header pairs "Name", "value", ...
func (p *portal) do(t *testing.T, method, path string, body io.Reader, header ...string) response {
	t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = p.URL + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(header)%2 != 0 {
		t.Fatalf("odd header list %q", header)
	}
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := send(p.Client, req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// getRaw GETs path as it comes over the wire: no decompression by the
// client, which would drop Content-Encoding.
func (p *portal) getRaw(t *testing.T, path string, header ...string) response {
	t.Helper()
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	defer raw.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, p.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	r, err := send(raw, req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return r
}

// wantGzipOf fails t unless gz is a gzipped answer whose body, unzipped,
// is plain's, and smaller than it.
func wantGzipOf(t *testing.T, gz, plain response) {
	t.Helper()
	if ce := gz.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", ce)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain.Body) {
		t.Error("gunzipped body differs from the plain body")
	}
	if len(gz.Body) >= len(plain.Body) {
		t.Errorf("gzip body %d bytes, plain %d", len(gz.Body), len(plain.Body))
	}
}

func (p *portal) get(t *testing.T, path string, header ...string) response {
	t.Helper()
	return p.do(t, http.MethodGet, path, nil, header...)
}

// postJSON posts body (a string is sent as is, anything else marshalled) as
// application/json.
func (p *portal) postJSON(t *testing.T, path string, body any) response {
	t.Helper()
	return p.do(t, http.MethodPost, path, strings.NewReader(jsonText(t, body)), "Content-Type", "application/json")
}

// postForm posts form urlencoded, as a browser on the same origin would.
func (p *portal) postForm(t *testing.T, path string, form url.Values, header ...string) response {
	t.Helper()
	header = append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)
	return p.do(t, http.MethodPost, path, strings.NewReader(form.Encode()), header...)
}

func jsonText(t *testing.T, body any) string {
	t.Helper()
	if s, ok := body.(string); ok {
		return s
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pledgesPath(slug string) string { return "/api/v1/campaigns/" + slug + "/pledges" }

// pledgeReq is a JSON pledge body; empty lang is left out.
func pledgeReq(name, phone, region, lang string) map[string]string {
	m := map[string]string{"name": name, "phone": phone, "region": region}
	if lang != "" {
		m["lang"] = lang
	}
	return m
}

func pledgeForm(name, phone, region, lang string) url.Values {
	return url.Values{"name": {name}, "phone": {phone}, "region": {region}, "lang": {lang}}
}

// receipt is the 201 answer of the pledge API.
type receipt struct {
	Campaign       string `json:"campaign"`
	Number         int64  `json:"number"`
	Token          string `json:"token"`
	CertificateURL string `json:"certificate_url"`
}

// apiError is the body of every API failure.
type apiError struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
	Detail  string            `json:"detail"`
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %v: %v", v, r, err)
	}
	return v
}

// mustPledge submits a pledge over the API and fails unless it is created.
func (p *portal) mustPledge(t *testing.T, slug, name, phone, region, lang string) receipt {
	t.Helper()
	r := p.postJSON(t, pledgesPath(slug), pledgeReq(name, phone, region, lang))
	if r.Status != http.StatusCreated {
		t.Fatalf("pledge %q/%q: got %v, want 201", name, phone, r)
	}
	return decode[receipt](t, r)
}

// state is what the store holds for one campaign.
type state struct {
	Audit  pledge.Audit
	Counts pledge.Counts
}

func (p *portal) state(t *testing.T, c *pledge.Campaign) state {
	t.Helper()
	ctx := context.Background()
	a, err := p.Store.Audit(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Consistent() {
		t.Fatalf("campaign %s is inconsistent: %+v", c.Slug, a)
	}
	n, err := p.Store.Counts(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return state{Audit: a, Counts: n}
}

// requireUnchanged fails t if the campaign's stored state moved since before.
func (p *portal) requireUnchanged(t *testing.T, c *pledge.Campaign, before state) {
	t.Helper()
	if diff := cmp.Diff(before, p.state(t, c)); diff != "" {
		t.Errorf("a refused request changed the store (-before +after):\n%s", diff)
	}
}

// catalogue is the UI text of internal/web/i18n, read as the owner wrote it.
var catalogue = sync.OnceValues(func() (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, lang := range []string{"en", "hi"} {
		b, err := os.ReadFile(filepath.Join("i18n", lang+".json"))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		out[lang] = m
	}
	return out, nil
})

// msg is the catalogue text of key in lang.
func msg(t *testing.T, lang, key string) string {
	t.Helper()
	cat, err := catalogue()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := cat[lang][key]
	if !ok || s == "" {
		t.Fatalf("catalogue %s has no %q", lang, key)
	}
	return s
}

// htmlText is s as html/template writes it in text and quoted attributes.
func htmlText(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `'`, "&#39;", `+`, "&#43;").Replace(s)
}

func hasDevanagari(s string) bool {
	for _, r := range s {
		if r >= 0x0900 && r <= 0x097F {
			return true
		}
	}
	return false
}

// mustContain fails t unless body contains every one of want.
func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("body does not contain %q; body:\n%s", w, clip(body))
		}
	}
}

// mustNotContain fails t if body contains any of bad.
func mustNotContain(t *testing.T, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("body contains %q, which it must not; body:\n%s", b, clip(body))
		}
	}
}

// bodyOnly is the page from <body> on, without the head and its style sheet.
func bodyOnly(s string) string {
	if i := strings.Index(s, "<body>"); i >= 0 {
		return s[i:]
	}
	return s
}

func clip(s string) string {
	s = bodyOnly(s)
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %v, want %d", r, status)
	}
}
