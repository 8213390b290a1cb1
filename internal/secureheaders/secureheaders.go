// Package secureheaders sets the response headers every page of the portal
// carries, public or admin: no sniffing, no framing, no path in a referrer,
// and a content security policy that allows no script at all.
package secureheaders

import "net/http"

// ReferrerPolicy lets a page's links and forms name the portal's origin,
// never the page's path (which may hold a link token). Not "no-referrer":
// under it browsers send "Origin: null" with a form post, even to the
// page's own site, and a browser that sends no Sec-Fetch-Site either (Safari
// before 16.4, Firefox before 90) then has every form refused as cross-origin.
const ReferrerPolicy = "strict-origin"

// Set adds the headers to h.
func Set(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", ReferrerPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}
