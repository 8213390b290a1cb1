package web

import (
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/pledgeportal/pledge/internal/secureheaders"
)

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureheaders.Set(w.Header())
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panicking handler into a 500 and a log line instead
// of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "route", r.Pattern, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// notFoundPage lets the mux answer unknown paths (404) and wrong methods
// (405 with Allow) itself, and dresses its plain-text answers as a page in
// the visitor's language, or as the API's JSON error under /api/.
func (s *Server) notFoundPage(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &notFoundWriter{ResponseWriter: w, s: s, r: r}
		}
		mux.ServeHTTP(w, r)
	})
}

// notFoundWriter replaces a 404 or 405 written through it by the portal's
// page or JSON error.
type notFoundWriter struct {
	http.ResponseWriter
	s        *Server
	r        *http.Request
	replaced bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	api := strings.HasPrefix(w.r.URL.Path, "/api/")
	switch {
	case code == http.StatusNotFound && api:
		w.s.api(w.s.notFound).ServeHTTP(w.ResponseWriter, w.r)
	case code == http.StatusNotFound:
		w.s.page(w.s.notFound).ServeHTTP(w.ResponseWriter, w.r)
	case code == http.StatusMethodNotAllowed && api: // Allow is set already
		w.s.api(func(http.ResponseWriter, *http.Request) error { return errMethod }).ServeHTTP(w.ResponseWriter, w.r)
	case code == http.StatusMethodNotAllowed:
		w.s.page(func(http.ResponseWriter, *http.Request) error { return errMethod }).ServeHTTP(w.ResponseWriter, w.r)
	default:
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil // the mux's plain-text body
	}
	return w.ResponseWriter.Write(b)
}

// warnUntrustedForwarding logs, once per process, that a request carried
// X-Forwarded-For from a peer not among the trusted proxies. The header is
// then ignored, rightly if a client wrote it; but if a proxy in front of the
// portal was left out of PLEDGE_TRUSTED_PROXIES, every citizen behind it
// has the proxy's address and shares its rate limit, and nothing else would
// say so until the limit refuses them at the peak.
func (s *Server) warnUntrustedForwarding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.forwardWarned.Load() && r.Header.Get("X-Forwarded-For") != "" && !s.client.trusted(r) &&
			s.forwardWarned.CompareAndSwap(false, true) {
			s.log.Warn("X-Forwarded-For from a peer not in PLEDGE_TRUSTED_PROXIES is ignored; "+
				"if a proxy is in front of the portal, list it there, or every citizen behind it shares its address and rate limits",
				"peer", r.RemoteAddr)
		}
		next.ServeHTTP(w, r)
	})
}

// openData lets pages on any site read h's answers from a browser (a news
// site's live counter, a partner's widget): they are public and the same
// for everyone, and carry no credentials. Pledging stays same-origin.
func openData(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}
