// Package netaddr finds where a request came from: the client's address and
// whether it reached the portal over TLS, believing forwarding headers only
// from trusted proxies. The public site and the admin console share it.
package netaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr finds the address a request came from. Forwarding headers are
// believed only from trusted proxies (nginx in front of the portal): walking
// X-Forwarded-For from the right, the first address that is not a trusted
// proxy is the client. Anyone else's headers are ignored. The zero value
// trusts no proxy.
type ClientAddr struct {
	// Trusted are the proxies that may set X-Forwarded-For, X-Real-IP and
	// X-Forwarded-Proto.
	Trusted []netip.Prefix
}

func (c ClientAddr) isTrusted(a netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// FromTrustedProxy reports whether r came straight from a trusted proxy,
// whose headers (X-Forwarded-For, X-Request-Id...) may be believed.
func (c ClientAddr) FromTrustedProxy(r *http.Request) bool {
	p := peer(r)
	return p.IsValid() && c.isTrusted(p)
}

// peer is the address of the connection's other end, or the zero Addr.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Of returns the client address of r; the zero Addr when r.RemoteAddr is
// not an address.
func (c ClientAddr) Of(r *http.Request) netip.Addr {
	p := peer(r)
	if !p.IsValid() || !c.isTrusted(p) {
		return p
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return p // a malformed chain: trust nothing beyond the proxy
			}
			if a = a.Unmap(); !c.isTrusted(a) {
				return a
			}
		}
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return a.Unmap()
	}
	return p
}

// IsHTTPS reports whether the client reached the portal over TLS, directly
// or through a trusted proxy that says so in X-Forwarded-Proto.
func (c ClientAddr) IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	p := peer(r)
	return p.IsValid() && c.isTrusted(p) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// LimitKey is the rate-limit key of a client address: the address itself
// for IPv4, its /64 for IPv6 (one subscriber's usual allocation).
func LimitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
