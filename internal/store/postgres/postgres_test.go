package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// open gives each test its own schema, so tests run in parallel.
func open(t *testing.T) store.Store { return openWith(t, nil) }

// openWith is open with extra connection parameters.
func openWith(t *testing.T, params url.Values) store.Store {
	s, err := postgres.Open(context.Background(), pgtest.New(t, params), slog.New(slog.DiscardHandler), postgres.Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// TestConformanceExecMode runs the suite the way PgBouncer in transaction
// mode needs it: no named prepared statements.
func TestConformanceExecMode(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openWith(t, url.Values{"default_query_exec_mode": {"exec"}})
	})
}

// TestConformanceSimpleProtocol runs the suite in the other mode the
// operations guide offers for PgBouncer: a batch's pipelines become one
// multi-statement query each.
func TestConformanceSimpleProtocol(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openWith(t, url.Values{"default_query_exec_mode": {"simple_protocol"}})
	})
}

// TestChangeNotMadeWithoutAuditEntry: when its audit entry cannot be
// written (PostgreSQL refuses a NUL in text), an administrator's change is
// not made either.
func TestChangeNotMadeWithoutAuditEntry(t *testing.T) {
	s := open(t)
	c := storetest.Campaign("vote")
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	storetest.MustNotChangeUnaudited(t, s, c, &pledge.Action{Actor: "deo", Remote: "203.0.113.9", Kind: "campaign-pause", Detail: "vote: \x00"})
}

// TestOpenRefusesUnmigrated: opened without migrating, a database that
// lacks the binary's migrations (all of them, or the latest) is refused
// with ErrNotMigrated, which names what is missing; once migrated it opens.
func TestOpenRefusesUnmigrated(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dbURL := pgtest.New(t, nil)
	if s, err := postgres.Open(ctx, dbURL, log, postgres.Options{}); !errors.Is(err, postgres.ErrNotMigrated) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of an empty schema without migrating: %v, want ErrNotMigrated", err)
	}
	s, err := postgres.Open(ctx, dbURL, log, postgres.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = postgres.Open(ctx, dbURL, log, postgres.Options{}); err != nil {
		t.Fatalf("Open of a migrated schema without migrating: %v", err)
	}
	s.Close()

	// A binary one migration ahead of the database.
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var latest int
	if err := conn.QueryRow(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations) RETURNING version`).Scan(&latest); err != nil {
		t.Fatal(err)
	}
	s, err = postgres.Open(ctx, dbURL, log, postgres.Options{})
	if !errors.Is(err, postgres.ErrNotMigrated) || !strings.Contains(err.Error(), fmt.Sprintf("%04d_", latest)) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open without migration %d: %v, want ErrNotMigrated naming it", latest, err)
	}
}
