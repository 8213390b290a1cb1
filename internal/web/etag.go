package web

import "strings"

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
