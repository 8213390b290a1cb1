package ratelimit

import (
	"context"
	"log/slog"
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
