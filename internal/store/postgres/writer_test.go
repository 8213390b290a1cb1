package postgres

import (
	"context"
	"log/slog"
	"testing"

	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
)

// TestPingOpensIntakeConnection: /readyz's ping opens the intake's
// connection, so the first batch after start does not wait for one.
func TestPingOpensIntakeConnection(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.New(t, nil), slog.New(slog.DiscardHandler), Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.writer.Stat().TotalConns(); n != 0 {
		t.Fatalf("intake connections after Open = %d, want 0 (opened lazily)", n)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.writer.Stat().TotalConns(); n != 1 {
		t.Fatalf("intake connections after Ping = %d, want 1", n)
	}
}
