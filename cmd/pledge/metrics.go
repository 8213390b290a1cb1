package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/metrics"
)

// intakeBusy is the queue length past which certificate pictures are not
// drawn (503, try again): pledges come first.
const intakeBusy = 100

// metricsHere is the /metrics handler for the main address, or nil when
// metrics are served elsewhere or not at all.
func metricsHere(cfg config.Config, m *metrics.Metrics) http.Handler {
	if cfg.MetricsAddr != "" {
		return nil
	}
	return m.Handler()
}

// serveMetrics serves /metrics on addr until stop is called, and /healthz
// (the process answers), which is how a worker, with no other port, is
// checked.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
