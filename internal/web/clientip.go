package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr finds the address a request came from. Forwarding headers are
// believed only from trusted proxies (nginx in front of the portal): walking
// X-Forwarded-For from the right, the first address that is not a trusted
// proxy is the client. Anyone else's headers are ignored.
type clientAddr struct {
	trusted []netip.Prefix
}

func (c clientAddr) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// of returns the client address of r.
func (c clientAddr) of(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !c.isTrusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return peer // a malformed chain: trust nothing beyond the proxy
			}
			if a = a.Unmap(); !c.isTrusted(a) {
				return a
			}
		}
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); err == nil {
		return a.Unmap()
	}
	return peer
}

// limitKey is the rate-limit key of a client address: the address itself
// for IPv4, its /64 for IPv6 (one subscriber's usual allocation).
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// isHTTPS reports whether the client reached the portal over TLS, directly
// or through a trusted proxy that says so in X-Forwarded-Proto.
func (c clientAddr) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && c.isTrusted(peer.Unmap()) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
