package netaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	c := ClientAddr{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}}
	tests := []struct {
		name, remote, xff, realIP, want string
	}{
		{"direct client, headers ignored", "203.0.113.9:5000", "1.2.3.4", "5.6.7.8", "203.0.113.9"},
		{"through nginx", "127.0.0.1:40000", "198.51.100.7", "", "198.51.100.7"},
		{"spoofed left entries skipped", "127.0.0.1:40000", "6.6.6.6, 198.51.100.7", "", "198.51.100.7"},
		{"two trusted hops", "127.0.0.1:40000", "198.51.100.7, 10.1.2.3", "", "198.51.100.7"},
		{"X-Real-IP from trusted proxy", "127.0.0.1:40000", "", "198.51.100.8", "198.51.100.8"},
		{"malformed chain falls back to the proxy", "127.0.0.1:40000", "garbage", "", "127.0.0.1"},
		{"IPv6 client", "[::ffff:127.0.0.1]:1", "2001:db8::1", "", "2001:db8::1"},
		{"all trusted", "127.0.0.1:1", "10.0.0.1", "", "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := c.Of(r).String(); got != tc.want {
				t.Errorf("Of() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLimitKeyGroupsIPv6By64(t *testing.T) {
	a := LimitKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1"))
	b := LimitKey(netip.MustParseAddr("2001:db8:1:2:bbbb::2"))
	c := LimitKey(netip.MustParseAddr("2001:db8:1:3::1"))
	if a != b || a == c {
		t.Fatalf("keys %q %q %q: want one key per /64", a, b, c)
	}
	if got := LimitKey(netip.MustParseAddr("198.51.100.7")); got != "198.51.100.7" {
		t.Fatalf("IPv4 key = %q", got)
	}
}

func TestIsHTTPSOnlyFromTrustedProxy(t *testing.T) {
	c := ClientAddr{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	r.RemoteAddr = "127.0.0.1:1"
	if !c.IsHTTPS(r) {
		t.Error("trusted proxy's X-Forwarded-Proto ignored")
	}
	r.RemoteAddr = "203.0.113.9:1"
	if c.IsHTTPS(r) {
		t.Error("X-Forwarded-Proto believed from an untrusted client")
	}
}

func TestIsHTTPSWithTLSAndBadRemote(t *testing.T) {
	var c ClientAddr
	r := httptest.NewRequest("GET", "https://example.org/", nil)
	if !c.IsHTTPS(r) {
		t.Error("a TLS request is not HTTPS")
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "not an address"
	r.Header.Set("X-Forwarded-Proto", "https")
	if c.IsHTTPS(r) {
		t.Error("a request from no address is HTTPS")
	}
	if got := c.Of(r); got.IsValid() {
		t.Errorf("Of(bad remote) = %v, want the zero Addr", got)
	}
}
