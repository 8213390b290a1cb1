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
// limit, setting the X-RateLimit-* headers on w, and Retry-After when it is
// not. A counter that fails lets the request through: limits guard against
// abuse, they must not stop the pledges.
func (l *window) allow(w http.ResponseWriter, key string) bool {
	now := time.Now().UTC()
	current := now.Truncate(l.length)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(current.Add(l.length).Unix(), 10))
	curr, prev, err := l.counter.Get(key, current, current.Add(-l.length))
	if err != nil {
		l.log.Warn("rate limit counter unreadable: request let through", "err", err)
		return true
	}
	// The previous window counts for the part of it still inside the
	// sliding window.
	rate := int(float64(prev)*float64(l.length-now.Sub(current))/float64(l.length) + float64(curr) + 0.5)
	if rate+1 > l.limit {
		h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, l.limit-rate)))
		h.Set("Retry-After", strconv.Itoa(int(l.length.Seconds())))
		return false
	}
	if err := l.counter.IncrementBy(key, current, 1); err != nil {
		l.log.Warn("rate limit counter not counted: request let through", "err", err)
	}
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.limit-rate-1))
	return true
}
