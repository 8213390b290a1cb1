package web

import (
	"net/http"
	"strings"
)

// etagMatch reports whether an If-None-Match header names etag (a strong
// validator, quoted) or is "*". If-None-Match compares weakly (RFC 9110
// 13.1.2), so W/"x" matches "x".
func etagMatch(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

// addVary adds name to the answer's Vary header, on its one line: caches
// that keep a single Vary line (nginx before 1.23 keeps the last) would
// otherwise ignore all but one of the headers the answer varies on, and
// serve a page in one language to a client asking for another.
func addVary(h http.Header, name string) {
	if v := h.Get("Vary"); v != "" {
		name = v + ", " + name
	}
	h.Set("Vary", name)
}
