package ratelimit

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/httprate"
)

// window is a sliding-window limit, httprate's, on one of its counters:
// local, or shared through Redis (httprate-redis). It takes no lock of its
// own around the counter, as httprate.RateLimiter does: with the counter in
// Redis that lock made every request of an instance wait for the round
// trips of the ones before it. Requests for one key at the same moment may
// pass a little over the limit, as requests to several instances may
// anyway.
type window struct {
	limit   int
	length  time.Duration
	counter httprate.LimitCounter
	log     *slog.Logger
}

func newWindow(limit int, length time.Duration, counter httprate.LimitCounter, log *slog.Logger) *window {
	counter.Config(limit, length)
	return &window{limit: limit, length: length, counter: counter, log: log}
}

// allow counts one request for key and reports whether it is within the
// limit, setting Retry-After (the window's length) on w when it is not. It
// sends no X-RateLimit-* headers: a pledge passes two limits, and the
// headers could describe only one of them, with a reset time a sliding
// window does not have. A counter that fails lets the request through:
// limits guard against abuse, they must not stop the pledges.
func (l *window) allow(w http.ResponseWriter, key string) bool {
	now := time.Now().UTC()
	current := now.Truncate(l.length)
	curr, prev, err := l.counter.Get(key, current, current.Add(-l.length))
	if err != nil {
		l.log.Warn("rate limit counter unreadable: request let through", "err", err)
		return true
	}
	// The previous window counts for the part of it still inside the
	// sliding window.
	rate := int(float64(prev)*float64(l.length-now.Sub(current))/float64(l.length) + float64(curr) + 0.5)
	if rate+1 > l.limit {
		w.Header().Set("Retry-After", strconv.Itoa(int(l.length.Seconds())))
		return false
	}
	if err := l.counter.IncrementBy(key, current, 1); err != nil {
		l.log.Warn("rate limit counter not counted: request let through", "err", err)
	}
	return true
}
