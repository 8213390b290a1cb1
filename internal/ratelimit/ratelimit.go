// Package ratelimit holds the portal's abuse limits: generous per client IP
// (many citizens share one mobile carrier address) and strict per mobile
// number. Counters live in memory, or in Redis when several instances must
// share them; if Redis stops answering, each instance falls back to its own
// counters and keeps taking pledges.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
	httprateredis "github.com/go-chi/httprate-redis"
	"github.com/redis/go-redis/v9"
)

// Options configure the limits. A zero limit switches that limit off.
type Options struct {
	PerIP       int           // requests per IPWindow from one client address
	IPWindow    time.Duration // default 1 minute
	PerPhone    int           // pledges per PhoneWindow for one mobile number and campaign
	PhoneWindow time.Duration // default 10 minutes
	Redis       *redis.Client // nil: counters in this process only
	Log         *slog.Logger
}

// Limits checks requests against the configured limits.
type Limits struct {
	ip, phone *window
	redis     *redis.Client
	degraded  atomic.Int32 // counters currently on their local fallback
	log       *slog.Logger
}

// New builds the limits.
func New(opts Options) *Limits {
	if opts.IPWindow <= 0 {
		opts.IPWindow = time.Minute
	}
	if opts.PhoneWindow <= 0 {
		opts.PhoneWindow = 10 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	l := &Limits{redis: opts.Redis, log: opts.Log}
	l.ip = l.limiter("pledge:rl:ip", opts.PerIP, opts.IPWindow)
	l.phone = l.limiter("pledge:rl:phone", opts.PerPhone, opts.PhoneWindow)
	return l
}

func (l *Limits) limiter(prefix string, limit int, length time.Duration) *window {
	if limit <= 0 {
		return nil
	}
	var counter httprate.LimitCounter = httprate.NewLocalLimitCounter(length)
	if l.redis != nil {
		counter = httprateredis.NewCounter(&httprateredis.Config{
			Client:          l.redis,
			WindowLength:    length,
			PrefixKey:       prefix,
			FallbackTimeout: 100 * time.Millisecond,
			OnError: func(err error) {
				l.log.Debug("rate limit counter error", "counter", prefix, "err", err)
			},
			OnFallbackChange: func(local bool) {
				if local {
					l.degraded.Add(1)
					l.log.Warn("redis unreachable: rate limits are per instance until it returns", "counter", prefix)
				} else {
					l.degraded.Add(-1)
					l.log.Info("redis is back: rate limits are shared again", "counter", prefix)
				}
			},
		})
	}
	return newWindow(limit, length, counter, l.log)
}

// AllowIP counts one request from client address key and reports whether it
// is within the limit; when it is not, Retry-After is set on w.
func (l *Limits) AllowIP(w http.ResponseWriter, key string) bool {
	return l == nil || l.ip == nil || l.ip.allow(w, key)
}

// AllowPhone counts one pledge for the mobile number and campaign named by
// key and reports whether it is within the limit.
func (l *Limits) AllowPhone(w http.ResponseWriter, key string) bool {
	return l == nil || l.phone == nil || l.phone.allow(w, key)
}

// Status describes where the counters are, for /readyz: "local", "redis",
// or "local (redis unreachable)". Redis is asked too: until a request
// has needed it, the counters cannot know it is gone.
func (l *Limits) Status(ctx context.Context) string {
	switch {
	case l == nil || l.redis == nil:
		return "local"
	case l.degraded.Load() > 0 || l.redis.Ping(ctx).Err() != nil:
		return "local (redis unreachable)"
	default:
		return "redis"
	}
}

// OpenRedis returns a client for url (redis://host:port/db) with short
// timeouts and no retries, so a dead Redis is noticed within a fifth of a
// second (one dial) and the local fallback takes over. It does not fail
// when Redis is down now, only when Redis answers that the URL is wrong: a
// database it does not have, a wrong password. Those would not mend
// themselves.
func OpenRedis(ctx context.Context, url string, log *slog.Logger) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// net/url's message quotes the URL, password and all.
		if ue, ok := errors.AsType[*neturl.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis url: %w", err)
	}
	opts.DialTimeout = 200 * time.Millisecond
	opts.ReadTimeout = 100 * time.Millisecond
	opts.WriteTimeout = 100 * time.Millisecond
	opts.MaxRetries = -1
	opts.DialerRetries = 1 // else five dials, 100 ms apart, per counter
	// The client's own complaints (a dial failing, again and again) go to
	// the portal's log, as JSON, at debug level: the fallback above already
	// says once that Redis is gone and once that it is back. The Redis
	// library has one logger for the whole process.
	redis.SetLogger(redisLog{log})
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); misconfigured(err) {
		c.Close()
		return nil, fmt.Errorf("redis: %w", err)
	} else if err != nil {
		log.Warn("redis unreachable at start: rate limits stay per instance until it answers", "err", err)
	}
	return c, nil
}

// misconfigured reports whether err is Redis's answer that the client is
// set up wrongly (ERR DB index is out of range, a password it does not
// take), not that it is away, full or busy (ERR max number of clients
// reached, LOADING, BUSY).
func misconfigured(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	for _, prefix := range []string{"ERR DB index", "ERR invalid password", "ERR invalid username", "ERR AUTH", "ERR Client sent AUTH",
		"WRONGPASS", "NOAUTH", "NOPERM"} {
		if strings.HasPrefix(re.Error(), prefix) {
			return true
		}
	}
	return false
}

// Shared reports whether the counters are shared through Redis now: it is
// set, answers, and no counter has fallen back to this process.
func (l *Limits) Shared(ctx context.Context) bool {
	return l.Status(ctx) == "redis"
}

// redisLog passes the Redis client's messages to log.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}
