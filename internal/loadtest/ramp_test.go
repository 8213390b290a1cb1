package loadtest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestPacer(t *testing.T) {
	t.Parallel()
	fixed := Config{Rate: 300, Duration: 4 * time.Second}
	if p, ok := fixed.pacer().(vegeta.ConstantPacer); !ok || p.Freq != 300 || p.Per != time.Second {
		t.Errorf("fixed pacer = %#v", fixed.pacer())
	}
	same := Config{Rate: 300, RampTo: 300, Duration: 4 * time.Second}
	if _, ok := same.pacer().(vegeta.ConstantPacer); !ok {
		t.Errorf("ramp to the same rate: pacer = %#v, want constant", same.pacer())
	}
	for _, c := range []Config{
		{Rate: 100, RampTo: 500, Duration: 4 * time.Second},
		{Rate: 2000, RampTo: 500, Duration: 10 * time.Second}, // a ramp down
	} {
		lp, ok := c.pacer().(vegeta.LinearPacer)
		if !ok {
			t.Fatalf("%+v: pacer = %#v, want linear", c, c.pacer())
		}
		for _, at := range []struct {
			elapsed time.Duration
			want    float64
		}{
			{0, float64(c.Rate)},
			{c.Duration / 2, float64(c.Rate+c.RampTo) / 2},
			{c.Duration, float64(c.RampTo)},
		} {
			if got := lp.Rate(at.elapsed); math.Abs(got-at.want) > 1e-6 {
				t.Errorf("%s: rate at %s = %v, want %v", c.load(), at.elapsed, got, at.want)
			}
		}
	}
}

// TestRunRamp counts the requests the fake portal receives in the first
// and last quarter of a ramp from 100/s to 500/s over 2 s: the rate at
// 0..0.5 s averages 150/s (75 requests), at 1.5..2 s 450/s (225 requests),
// 600 in all, fewer when the machine is too busy to keep up at the end.
func TestRunRamp(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{}
	srv := newFakePortal(t, fp)
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 100, RampTo: 500, Duration: 2 * time.Second, Seed: 11,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if len(fp.arrivals) == 0 {
		t.Fatal("no requests")
	}
	start := fp.arrivals[0]
	var first, last int
	for _, at := range fp.arrivals {
		switch d := at.Sub(start); {
		case d < 500*time.Millisecond:
			first++
		case d >= 1500*time.Millisecond && d < 2*time.Second:
			last++
		}
	}
	t.Logf("%d requests: %d in the first quarter, %d in the last", len(fp.arrivals), first, last)
	// A pacer that falls behind on a busy machine drops what is due after
	// the duration (as vegeta's does), so the end may come up short; the
	// ramp shows in the last quarter holding at least twice the first.
	if n := len(fp.arrivals); n < 480 || n > 640 {
		t.Errorf("%d requests, want about 600", n)
	}
	if first < 55 || first > 100 {
		t.Errorf("%d requests in the first 0.5 s, want about 75", first)
	}
	if last < 2*first || last > 260 {
		t.Errorf("%d requests in the last 0.5 s, want about 225, at least twice the first quarter's %d", last, first)
	}
	if !rep.CountMatches || rep.Requests != len(fp.arrivals) {
		t.Errorf("CountMatches %t, Requests %d", rep.CountMatches, rep.Requests)
	}
	if rep.Load != "ramp 100/s -> 500/s over 2s" {
		t.Errorf("Load = %q", rep.Load)
	}
	if rep.Rate < 200 || rep.Rate > 400 {
		t.Errorf("average sending rate %.1f/s, want about 300", rep.Rate)
	}
}

func TestConfigRampNeedsNumbers(t *testing.T) {
	t.Parallel()
	// 1000/s rising to 2,000,000/s over 10 s needs ~10⁷ numbers.
	_, err := Config{Target: "http://x", Campaign: "c", Rate: 1000, RampTo: 2_000_000, Duration: 10 * time.Second}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "ramp 1000/s -> 2000000/s over 10s") {
		t.Errorf("withDefaults: %v", err)
	}
}
