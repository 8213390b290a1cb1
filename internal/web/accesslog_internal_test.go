package web

import (
	"log/slog"
	"testing"
)

// TestAccessLevel: probes log at debug whatever they answer (an unready
// /readyz says why at warn itself), other requests at info, and server
// errors at warn but 503, which overload and outages answer to every
// request (warnUnavailable says why, every few seconds).
func TestAccessLevel(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		status  int
		want    slog.Level
	}{
		{"GET /healthz", 200, slog.LevelDebug},
		{"GET /readyz", 200, slog.LevelDebug},
		{"GET /readyz", 503, slog.LevelDebug},
		{"GET /metrics", 200, slog.LevelDebug},
		{"POST /api/v1/campaigns/{slug}/pledges", 201, slog.LevelInfo},
		{"POST /api/v1/campaigns/{slug}/pledges", 503, slog.LevelInfo},
		{"POST /api/v1/campaigns/{slug}/pledges", 500, slog.LevelWarn},
		{"GET /certificate/{token}", 502, slog.LevelWarn},
		{"GET /c/{slug}", 404, slog.LevelInfo},
		{"", 404, slog.LevelInfo},
	} {
		if got := accessLevel(tc.pattern, tc.status); got != tc.want {
			t.Errorf("%q answered %d logs at %v, want %v", tc.pattern, tc.status, got, tc.want)
		}
	}
}
