package postgres_test

import (
	"context"
	"log/slog"
	"net/url"
	"testing"

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
