package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// NewTestSchema creates a schema of its own for one test in the database
// PLEDGE_TEST_DATABASE_URL names, dropped when the test ends, and returns
// the database URL with that schema as search_path and params added. It
// skips the test (or, when PLEDGE_TEST_REQUIRE_SERVICES=1, fails it) if no
// database is configured. Exported for this package's external tests.
func NewTestSchema(t *testing.T, params url.Values) string {
	t.Helper()
	base := os.Getenv("PLEDGE_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_DATABASE_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_DATABASE_URL not set")
	}
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
	return u.String()
}
