package loadtest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultWorkers is the number of vegeta workers started when
// Config.Workers is zero. Vegeta adds workers on its own when all are busy.
const DefaultWorkers uint64 = 256

// DefaultMaxWorkers caps the workers (and so the concurrent connections) a
// test may use when Config.MaxWorkers is zero. Past it the achieved rate
// falls below the requested one instead of the client running out of file
// descriptors.
const DefaultMaxWorkers uint64 = 4096

// DefaultTimeout is how long a single request may take when
// Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config describes one load test.
type Config struct {
	// Target is the base URL of the server, e.g. "http://127.0.0.1:8080".
	Target string
	// Campaign is the slug of the campaign pledged to, e.g.
	// "bilaspur-voter-pledge". Unused in hello mode.
	Campaign string
	// Rate is the fixed number of requests started per second.
	Rate int
	// Duration is how long requests are started for.
	Duration time.Duration
	// Workers is the initial number of vegeta workers; zero means
	// DefaultWorkers.
	Workers uint64
	// MaxWorkers caps the number of vegeta workers; zero means
	// DefaultMaxWorkers.
	MaxWorkers uint64
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// Hello selects hello mode: plain GET Target+"/" with no pledge logic
	// and no stats check, for measuring a reference server.
	Hello bool
	// Seed selects the block of phone numbers used, so that runs with
	// different seeds never submit the same number. See PhoneNumber.
	Seed int64
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(c.Target)
	if err != nil {
		return c, fmt.Errorf("loadtest: target %q: %w", c.Target, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return c, fmt.Errorf("loadtest: target %q: want an http(s) base URL", c.Target)
	}
	c.Target = strings.TrimRight(c.Target, "/")
	if c.Rate <= 0 {
		return c, errors.New("loadtest: rate must be positive")
	}
	if c.Duration <= 0 {
		return c, errors.New("loadtest: duration must be positive")
	}
	if !c.Hello {
		if c.Campaign == "" || strings.ContainsAny(c.Campaign, "/?#") {
			return c, fmt.Errorf("loadtest: campaign slug %q is not valid", c.Campaign)
		}
		// Refuse runs that could exhaust the seed's block of numbers.
		if want := float64(c.Rate) * c.Duration.Seconds(); want >= PhoneBlock*0.9 {
			return c, fmt.Errorf("loadtest: %d/s for %s needs ~%.0f phone numbers, more than a seed's block of %d",
				c.Rate, c.Duration, want, PhoneBlock)
		}
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = DefaultMaxWorkers
	}
	if c.MaxWorkers < c.Workers {
		c.MaxWorkers = c.Workers
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}
