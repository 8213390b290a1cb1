package postgres

import (
	"context"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
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

// TestAnonymisedFoundInTheLog: a campaign anonymised before campaigns kept
// the time is found, on migrating, by its entry in the audit log; one whose
// slug merely begins the same is not, nor one that reopened since.
func TestAnonymisedFoundInTheLog(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t, nil)
	log := slog.New(slog.DiscardHandler)
	s, err := Open(ctx, dsn, log, Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for slug, closes := range map[string]time.Time{"gone": at.Add(-time.Hour), "gone-2": at.Add(-time.Hour), "reopened": at.Add(time.Hour)} {
		c := storetest.Campaign(slug)
		c.ClosesAt = closes
		if err := s.CreateCampaign(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"gone", "reopened"} {
		entry := &pledge.Action{At: at, Actor: "admin", Remote: "127.0.0.1", Kind: "anonymise",
			Detail: slug + ": e-mail and network addresses removed from 3 pledges; 0 unconfirmed pledges deleted"}
		if err := s.LogAction(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`DROP INDEX pledges_withdrawn`, `ALTER TABLE campaigns DROP COLUMN anonymised_at`,
		`DELETE FROM schema_migrations WHERE version = 11`} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if s, err = Open(ctx, dsn, log, Options{Migrate: true}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for slug, want := range map[string]time.Time{"gone": at, "gone-2": {}, "reopened": {}} {
		c, err := s.Campaign(ctx, slug)
		if err != nil || !c.AnonymisedAt.Equal(want) {
			t.Errorf("%s: anonymised at %v (%v), want %v", slug, c.AnonymisedAt, err, want)
		}
	}
}
