// Package pgtest gives a test a PostgreSQL schema of its own in the database
// PLEDGE_TEST_DATABASE_URL names, so that tests on one server run in
// parallel. Without that variable a test is skipped, or failed when
// PLEDGE_TEST_REQUIRE_SERVICES=1 (as CI sets it).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL returns PLEDGE_TEST_DATABASE_URL, or skips t (fails it when
// services are required) if it is not set.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PLEDGE_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_DATABASE_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_DATABASE_URL not set")
	}
	return u
}

// Schema creates an empty schema in the database base names and returns
// its name. It is dropped in t.Cleanup, so after anything using it that
// registers its own cleanup later (processes, stores) has stopped.
func Schema(t testing.TB, base string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// URL returns base with search_path set to schema and params added.
func URL(t testing.TB, base, schema string, params url.Values) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PLEDGE_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// New creates a schema of its own for t and returns the database URL that
// uses it, with params added.
func New(t testing.TB, params url.Values) string {
	t.Helper()
	base := BaseURL(t)
	return URL(t, base, Schema(t, base), params)
}
