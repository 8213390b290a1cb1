package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
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
	// Rate is the number of requests started per second: the fixed rate,
	// or the starting rate of a ramp.
	Rate int
	// RampTo, if positive, makes the rate change linearly from Rate at the
	// start to RampTo at the end of Duration (up or down). Zero keeps the
	// rate fixed at Rate.
	RampTo int
	// Duration is how long requests are started for.
	Duration time.Duration
	// Workers is the initial number of workers of vegeta's attacker, which
	// sends only what epollAttack does not; zero means DefaultWorkers.
	Workers uint64
	// MaxWorkers caps the requests in flight at once, each on its own
	// connection (vegeta's workers); zero means DefaultMaxWorkers.
	MaxWorkers uint64
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// Hello selects hello mode: plain GET Target+"/" with no pledge logic
	// and no stats check, for measuring a reference server.
	Hello bool
	// Seed selects the block of phone numbers used, so that runs with
	// different seeds never submit the same number (see PhoneNumber), and
	// every other pseudo-random choice: names, regions, written forms of
	// numbers and which requests repeat.
	Seed int64
	// Repeat is the share of requests, in [0, 1), that submit again the
	// number of an earlier request of the run (written another way) and so
	// expect 409. The portal limits attempts per number (PLEDGE_LIMIT_PHONE,
	// 5 by default); past a share of about 0.8 numbers are repeated that
	// often and 429s appear. Pledge mode only.
	Repeat float64
	// Progress, if not nil, receives a line every ProgressEvery while the
	// attack runs: elapsed time, requests sent, current rate, responses by
	// class and the p99 latency so far.
	Progress io.Writer
	// ProgressEvery is the interval between progress lines; zero means one
	// second.
	ProgressEvery time.Duration
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
	if c.RampTo < 0 {
		return c, errors.New("loadtest: ramp-to must not be negative")
	}
	if !(c.Repeat >= 0 && c.Repeat < 1) { // also refuses NaN
		return c, fmt.Errorf("loadtest: repeat share %v: want at least 0 and less than 1", c.Repeat)
	}
	if c.Hello && c.Repeat > 0 {
		return c, errors.New("loadtest: repeat applies to pledges, not to hello mode")
	}
	if !c.Hello {
		if c.Campaign == "" || strings.ContainsAny(c.Campaign, "/?#") {
			return c, fmt.Errorf("loadtest: campaign slug %q is not valid", c.Campaign)
		}
		// Refuse runs that could exhaust the seed's block of numbers.
		if want := c.requests(); want >= PhoneBlock*0.9 {
			return c, fmt.Errorf("loadtest: %s needs ~%.0f phone numbers, more than a seed's block of %d",
				c.load(), want, PhoneBlock)
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
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = time.Second
	}
	return c, nil
}

// endRate returns the rate at the end of the test: RampTo for a ramp, else
// Rate.
func (c Config) endRate() int {
	if c.RampTo > 0 {
		return c.RampTo
	}
	return c.Rate
}

// requests returns about how many requests the test starts.
func (c Config) requests() float64 {
	return float64(c.Rate+c.endRate()) / 2 * c.Duration.Seconds()
}

// load describes the rate and duration: "1000/s for 10s" or
// "ramp 500/s -> 2000/s over 10s".
func (c Config) load() string {
	if c.RampTo > 0 && c.RampTo != c.Rate {
		return fmt.Sprintf("ramp %d/s -> %d/s over %s", c.Rate, c.RampTo, c.Duration)
	}
	return fmt.Sprintf("%d/s for %s", c.Rate, c.Duration)
}

// pacer returns the vegeta pacer for the configured rate: constant, or
// linear from Rate to RampTo over Duration.
func (c Config) pacer() vegeta.Pacer {
	start := vegeta.Rate{Freq: c.Rate, Per: time.Second}
	if c.RampTo <= 0 || c.RampTo == c.Rate {
		return vegeta.ConstantPacer(start)
	}
	return vegeta.LinearPacer{StartAt: start, Slope: float64(c.RampTo-c.Rate) / c.Duration.Seconds()}
}
