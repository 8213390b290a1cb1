package ratelimit

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestOpenRedisHidesPassword: a Redis URL that does not parse is refused
// without quoting its password.
func TestOpenRedisHidesPassword(t *testing.T) {
	_, err := OpenRedis(context.Background(), "redis://:RedisPw1@127.0.0.1:notaport/7", slog.New(slog.DiscardHandler))
	if err == nil || strings.Contains(err.Error(), "RedisPw1") {
		t.Fatalf("OpenRedis: %v", err)
	}
}

// testRedisURL is the test Redis's URL, skipping (or failing, when
// services are required) without one.
func testRedisURL(t *testing.T) string {
	u := os.Getenv("PLEDGE_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_REDIS_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_REDIS_URL not set")
	}
	return u
}

// TestOpenRedisRefusesWrongURL: a Redis that answers that the URL is wrong
// (a database it does not have, a password it does not take) stops the
// start, as it would never mend itself; one that is away does not.
func TestOpenRedisRefusesWrongURL(t *testing.T) {
	u, err := url.Parse(testRedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/9999"
	if c, err := OpenRedis(t.Context(), u.String(), slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "DB index") {
		if c != nil {
			c.Close()
		}
		t.Errorf("OpenRedis(%s) = %v, want Redis's refusal of the database", u, err)
	}
	u.Path = "/0"
	u.User = url.UserPassword("nobody", "wrong-password")
	if c, err := OpenRedis(t.Context(), u.String(), slog.New(slog.DiscardHandler)); err == nil || strings.Contains(err.Error(), "wrong-password") {
		if c != nil {
			c.Close()
		}
		t.Errorf("OpenRedis with a wrong password = %v, want a refusal without the password", err)
	}
	c, err := OpenRedis(t.Context(), "redis://127.0.0.1:1/0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenRedis of a Redis that is away = %v, want a client that falls back", err)
	}
	defer c.Close()
	if got := c.Options().DialerRetries; got != 1 {
		t.Errorf("dials per attempt = %d, want 1: each pledge would wait for every dial while Redis is away", got)
	}
}
