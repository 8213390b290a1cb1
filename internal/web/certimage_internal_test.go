package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// TestBusyRendererAnswers503: the one error adapter maps a full renderer,
// however wrapped, to 503 with Retry-After and no caching, without logging
// it as a failure.
func TestBusyRendererAnswers503(t *testing.T) {
	s, err := New(Deps{Links: pledge.NewLinks([]byte("secret")), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	busy := s.page(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("drawing: %w", certificate.ErrBusy)
	})
	w := httptest.NewRecorder()
	busy.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/certificate/x/certificate.png?lang=hi", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("got %d, Retry-After %q, Cache-Control %q; want 503, 1, no-store",
			w.Code, w.Header().Get("Retry-After"), w.Header().Get("Cache-Control"))
	}
	if st, key := status(certificate.ErrBusy); st != http.StatusServiceUnavailable || key != "certificate_busy" {
		t.Errorf("status(ErrBusy) = %d, %q", st, key)
	}
}
