package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// testURL returns the database for tests, skipping (or, when services are
// required, failing) if none is configured.
func testURL(t *testing.T) string {
	u := os.Getenv("PLEDGE_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_DATABASE_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_DATABASE_URL not set")
	}
	return u
}

// open gives each test its own schema, so tests run in parallel.
func open(t *testing.T) store.Store { return openWith(t, nil) }

// openWith is open with extra connection parameters.
func openWith(t *testing.T, params url.Values) store.Store {
	base := testURL(t)
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String(), slog.New(slog.DiscardHandler), postgres.Options{MaxConns: 4, Migrate: true})
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
