package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// linkTail are the characters a link picks up at its end when it is copied
// out of a sentence, brackets or quotes ("see /certificate/…." or
// "(/verify/…)"), or when a slash is added to it. Tokens never end in one
// (they are base64url).
const linkTail = `.,)]/'"`

// copiedLink serves the certificate or verification page (next) behind
// prefix+{token}, and sends a link to it copied with trailing punctuation
// (the token ends in linkTail characters, or the path in a slash) to its
// canonical URL with a permanent redirect, keeping ?lang=, when what is
// left is a token of tokens (nil: none is). Anything else goes to next,
// which refuses a token it cannot read.
func copiedLink(prefix string, tokens *pledge.Tokens, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		token := r.PathValue("token")
		trimmed := strings.TrimRight(token, linkTail)
		if tokens == nil || trimmed == "" || trimmed == token && !strings.HasSuffix(r.URL.Path, "/") {
			return next(w, r)
		}
		if _, _, err := tokens.Decode(trimmed); err != nil {
			return next(w, r)
		}
		target := prefix + trimmed
		if lang := r.URL.Query().Get("lang"); lang != "" {
			target += "?lang=" + url.QueryEscape(lang)
		}
		linkHeaders(w)
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return nil
	}
}
