package web

import (
	"net/http"
	"net/netip"

	"github.com/pledgeportal/pledge/internal/netaddr"
)

// clientAddr finds where a request came from; the logic lives in netaddr,
// which the admin console shares.
type clientAddr struct {
	netaddr.ClientAddr
}

// of returns the client address of r.
func (c clientAddr) of(r *http.Request) netip.Addr { return c.Of(r) }

// trusted reports whether r came straight from a trusted proxy.
func (c clientAddr) trusted(r *http.Request) bool { return c.FromTrustedProxy(r) }

// isHTTPS reports whether the client reached the portal over TLS.
func (c clientAddr) isHTTPS(r *http.Request) bool { return c.IsHTTPS(r) }

// limitKey is the rate-limit key of a client address.
func limitKey(a netip.Addr) string { return netaddr.LimitKey(a) }
