package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/route"
)

// HTTPObserver is told about every answered request, and every pledge
// refused before intake (invalid, or the campaign not open): metrics.
type HTTPObserver interface {
	ObserveHTTP(route, method string, code int, took time.Duration)
	Rejected()
}

// accessLog gives each request an ID (kept from a trusted proxy's
// X-Request-Id, else new), answers it in X-Request-Id, and when the request
// is done writes one log line and tells the observer. The line names the
// route pattern (a mounted handler's own, if it reports one through package
// route), never the path: paths carry tokens, and nothing personal
// (no address, no query, no form) is logged.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) || !s.client.trusted(r) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx, inner := route.Track(pledge.WithRequestID(r.Context(), id))
		r = r.WithContext(ctx)
		rw := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rw, r)
		took := time.Since(start)
		pattern := r.Pattern
		if *inner != "" { // a mounted handler's own mux, e.g. the admin console's
			pattern = *inner
		}
		if s.deps.Metrics != nil {
			s.deps.Metrics.ObserveHTTP(pattern, r.Method, rw.status, took)
		}
		s.log.LogAttrs(r.Context(), accessLevel(pattern, rw.status), "request",
			slog.String("method", r.Method),
			slog.String("route", pattern),
			slog.Int("status", rw.status),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.Int64("bytes", rw.bytes),
			slog.String("request_id", id))
	})
}

// accessLevel is the level of the log line of a request to the route
// pattern answered with status: info, warn for a server error but 503
// (overload and outages answer every request so, and warnUnavailable says
// why at warn every few seconds, not once per request). Probes
// (health checks, scrapes), which a load balancer and Prometheus send every
// few seconds, log at debug whatever their answer: an unready /readyz
// already says why at warn, once per probe.
func accessLevel(pattern string, status int) slog.Level {
	switch {
	case pattern == "GET /healthz" || pattern == "GET /readyz" || pattern == "GET /metrics":
		return slog.LevelDebug
	case status >= 500 && status != http.StatusServiceUnavailable:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// validRequestID accepts 1 to 64 letters, digits, '-' and '_'.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recordingWriter notes the status and the bytes of the body.
type recordingWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// rejected counts a pledge refused before intake.
func (s *Server) rejected() {
	if s.deps.Metrics != nil {
		s.deps.Metrics.Rejected()
	}
}
