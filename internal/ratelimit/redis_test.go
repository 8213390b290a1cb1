package ratelimit

import (
	"context"
	"errors"
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

// TestMisconfigured: Redis's answers that the URL is wrong stop the start;
// those that it is full or busy do not.
func TestMisconfigured(t *testing.T) {
	for msg, want := range map[string]bool{
		"ERR DB index is out of range": true,
		"ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?": true,
		"ERR invalid password":                                          true,
		"ERR Client sent AUTH, but no password is set":                  true,
		"WRONGPASS invalid username-password pair or user is disabled.": true,
		"NOAUTH Authentication required.":                               true,
		"NOPERM this user has no permissions to run the 'ping' command": true,
		"ERR max number of clients reached":                             false,
		"LOADING Redis is loading the dataset in memory":                false,
		"BUSY Redis is busy running a script":                           false,
	} {
		if got := misconfigured(replyError(msg)); got != want {
			t.Errorf("misconfigured(%q) = %v, want %v", msg, got, want)
		}
	}
	if misconfigured(errors.New("dial tcp 127.0.0.1:1: connect: connection refused")) {
		t.Error("a refused connection is taken for a wrong URL")
	}
}

// replyError is an error Redis answered, as the client gives it.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}
