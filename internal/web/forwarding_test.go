package web_test

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/syncbuf"
	"github.com/pledgeportal/pledge/internal/web"
)

// TestUntrustedForwardingWarnedOnce: X-Forwarded-For from a peer that is
// not a trusted proxy is ignored, and the log says so once, naming the
// setting: a proxy left out of it would make every citizen share its
// address and rate limit.
func TestUntrustedForwardingWarnedOnce(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	p := newPortal(t, withDeps(func(d *web.Deps) { d.Log = slog.New(slog.NewJSONHandler(&out, nil)) }))
	wantStatus(t, p.get(t, "/c/vote"), http.StatusOK)
	if strings.Contains(out.String(), "PLEDGE_TRUSTED_PROXIES") {
		t.Fatalf("warned without X-Forwarded-For:\n%s", out.String())
	}
	for range 3 {
		wantStatus(t, p.do(t, http.MethodGet, "/c/vote", nil, "X-Forwarded-For", "203.0.113.9"), http.StatusOK)
	}
	if n := strings.Count(out.String(), "PLEDGE_TRUSTED_PROXIES"); n != 1 {
		t.Errorf("%d warnings about X-Forwarded-For from an untrusted peer, want 1:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), `"level":"WARN"`) {
		t.Errorf("the warning is not at WARN level:\n%s", out.String())
	}
}

// TestTrustedForwardingNotWarned: from a trusted proxy the header is the
// point, and nothing is logged about it.
func TestTrustedForwardingNotWarned(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	p := newPortal(t, withDeps(func(d *web.Deps) {
		d.Log = slog.New(slog.NewJSONHandler(&out, nil))
		d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}))
	wantStatus(t, p.do(t, http.MethodGet, "/c/vote", nil, "X-Forwarded-For", "203.0.113.9"), http.StatusOK)
	if strings.Contains(out.String(), "PLEDGE_TRUSTED_PROXIES") {
		t.Errorf("warned about a trusted proxy's X-Forwarded-For:\n%s", out.String())
	}
}

// TestOpenDataReadableFromOtherSites: the public counts and campaign lists
// may be read by pages on any site; pledging may not be done from them.
func TestOpenDataReadableFromOtherSites(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, path := range []string{"/api/v1/campaigns", "/api/v1/campaigns/vote", "/api/v1/campaigns/vote/stats", "/api/v1/campaigns/vote/stats.csv"} {
		r := p.do(t, http.MethodGet, path, nil, "Origin", "https://news.example")
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want *", path, got)
		}
	}
	r := p.do(t, http.MethodPost, pledgesPath("vote"), strings.NewReader(jsonText(t, pledgeReq("Asha", "9876543210", "N1", "en"))),
		"Content-Type", "application/json", "Origin", "https://news.example")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("a pledge's answer allows other sites to read it: %q", got)
	}
}
