package web

import (
	"context"
	"net/http"
	"time"
)

// healthz answers 200 while the process serves at all.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the database answers and takes pledges,
// so a load balancer sends traffic elsewhere otherwise.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	limits := s.deps.Limits.Status(ctx)
	if err := s.deps.Store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "unreachable", "rate_limits": limits})
		return
	}
	if err := s.deps.Intake.WriteFailure(); err != nil {
		// It answers, but its commits fail: a full disk, a read-only file.
		s.log.WarnContext(ctx, "not ready: pledges are not being stored", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "not storing pledges", "rate_limits": limits})
		return
	}
	// Redis only shares rate limits between instances; without it each
	// instance limits alone and keeps taking pledges, so it is still ready.
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": "ok", "rate_limits": limits})
}
