// Package secureheaders sets the response headers every page of the portal
// carries, public or admin: no sniffing, no framing, no referrer, and a
// content security policy that allows no script at all.
package secureheaders

import "net/http"

// Set adds the headers to h.
func Set(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}
