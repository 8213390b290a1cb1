package postgres

import (
	"context"
	"log/slog"
	"net/url"
	"testing"

	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
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

// TestConnectionsNamed: pg_stat_activity tells an instance's connections
// from a worker's by their application_name, unless the URL sets its own.
func TestConnectionsNamed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ params, want string }{{"", "pledge serve"}, {"ops-console", "ops-console"}} {
		var params url.Values
		if tc.params != "" {
			params = url.Values{"application_name": {tc.params}}
		}
		s, err := Open(ctx, pgtest.New(t, params), slog.New(slog.DiscardHandler), Options{Migrate: true, Name: "pledge serve"})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = s.pool.QueryRow(ctx, `SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&got)
		s.Close()
		if err != nil || got != tc.want {
			t.Errorf("application_name = %q, %v; want %q", got, err, tc.want)
		}
	}
}

// TestAnonymisedFoundInTheLog: see storetest.AnonymisedFoundInTheLog.
func TestAnonymisedFoundInTheLog(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t, nil)
	open := func() store.Store {
		s, err := Open(ctx, dsn, slog.New(slog.DiscardHandler), Options{Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open().(*Store)
	storetest.AnonymisedFoundInTheLog(t, s, func() {
		defer s.Close()
		for _, q := range []string{`DROP INDEX pledges_withdrawn`, `ALTER TABLE campaigns DROP COLUMN anonymised_at`,
			`DELETE FROM schema_migrations WHERE version = 11`} {
			if _, err := s.pool.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}, open)
}
