package loadtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxErrors is how many distinct request errors a Report keeps.
const maxErrors = 10

// Run performs the load test described by cfg and reports on it.
//
// In pledge mode it reads the campaign's leaf regions and pledge total,
// submits pledges at cfg.Rate (or ramping to cfg.RampTo) for cfg.Duration,
// a share cfg.Repeat of them repeating an earlier number, then waits for
// the public total to settle and compares its growth with the number of 201
// responses. In hello mode it only GETs cfg.Target+"/" and counts 2xx
// responses as successes. While the attack runs, a progress line goes to
// cfg.Progress, if set, every cfg.ProgressEvery.
//
// If ctx is cancelled the attack stops early; the report covers the
// requests made and the error wraps ctx.Err(). A report is returned with
// any error that arises after the attack has run.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Report{}, err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	rep := Report{Hello: cfg.Hello, Load: cfg.load()}

	tr := helloTargeter(cfg)
	success := func(code uint16) bool { return code >= 200 && code < 300 }
	var gen *generator
	if !cfg.Hello {
		rep.Campaign, rep.RepeatShare, rep.Seed = cfg.Campaign, cfg.Repeat, cfg.Seed
		info, err := fetchCampaign(ctx, hc, cfg)
		if err != nil {
			return rep, fmt.Errorf("loadtest: %w", err)
		}
		if !info.Open {
			return rep, fmt.Errorf("loadtest: campaign %q is not open for pledges", cfg.Campaign)
		}
		regions := info.leaves()
		if len(regions) == 0 {
			return rep, fmt.Errorf("loadtest: campaign %q has no regions", cfg.Campaign)
		}
		rep.Regions = len(regions)
		// Settled, as the count after is: pledges made just before would
		// otherwise show up only after, and be counted as the run's.
		if rep.StoredBefore, err = settle(ctx, hc, cfg, -1); err != nil {
			return rep, fmt.Errorf("loadtest: before attack: %w", err)
		}
		gen = newGenerator(cfg, info, regions)
		tr = pledgeTargeter(cfg, gen)
		success = func(code uint16) bool { return code == http.StatusCreated }
	}

	m := attack(ctx, cfg, tr, success, &rep)
	rep.fill(m)
	if gen != nil {
		rep.Repeats = gen.repeated()
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("loadtest: attack interrupted: %w", err)
	}
	if cfg.Hello {
		return rep, nil
	}

	if cfg.Progress != nil {
		_, _ = fmt.Fprintln(cfg.Progress, "waiting for the stats to settle")
	}
	want := rep.StoredBefore + int64(rep.Success)
	if rep.StoredAfter, err = settle(ctx, hc, cfg, want); err != nil {
		return rep, fmt.Errorf("loadtest: after attack: %w", err)
	}
	rep.Checked = true
	rep.CountMatches = rep.StoredAfter-rep.StoredBefore == int64(rep.Success)
	return rep, nil
}

// attack sends tr's requests at cfg's pace for cfg.Duration and returns
// the closed metrics of all results, counting in rep.Success the results
// for which success holds and in rep.Shed the 503s that carry Retry-After.
// It writes progress lines to cfg.Progress if set.
//
// Plain-HTTP targets on Linux are sent by epollAttack, from one goroutine;
// the rest (https, other systems) by vegeta's attacker.
func attack(ctx context.Context, cfg Config, tr vegeta.Targeter, success func(uint16) bool, rep *Report) *vegeta.Metrics {
	var sent atomic.Uint64
	col := &collector{cfg: cfg, success: success, rep: rep, sent: &sent}
	tr = counting(tr, &sent)
	if !epollAttack(ctx, cfg, tr, col) {
		vegetaAttack(ctx, cfg, tr, col)
	}
	col.m.Close()
	return &col.m
}

// collector takes an attack's results as they come, on one goroutine.
type collector struct {
	cfg     Config
	success func(uint16) bool
	rep     *Report
	sent    *atomic.Uint64 // requests started
	m       vegeta.Metrics
	prog    *progress
}

// add counts one result.
func (c *collector) add(res *vegeta.Result) {
	switch {
	case c.success(res.Code):
		c.rep.Success++
	case res.Code == http.StatusServiceUnavailable && res.Headers.Get("Retry-After") != "":
		c.rep.Shed++
		res.Error = "" // expected under overload: not an error to list
	case res.Code == http.StatusConflict && !c.cfg.Hello:
		res.Error = "" // the answer a repeat expects
	}
	c.m.Add(res)
}

// start notes when the attack began, for progress lines.
func (c *collector) start(now time.Time) {
	if c.cfg.Progress != nil {
		c.prog = newProgress(c.cfg.Progress, now)
	}
}

// tick writes a progress line, if progress is wanted.
func (c *collector) tick(now time.Time) {
	if c.prog != nil {
		c.prog.line(now, c.sent.Load(), &c.m)
	}
}

// vegetaAttack runs vegeta's attacker, handing its results to col.
func vegetaAttack(ctx context.Context, cfg Config, tr vegeta.Targeter, col *collector) {
	conns := newTransport(cfg.Timeout)
	defer conns.CloseIdleConnections()
	a := vegeta.NewAttacker(
		vegeta.Workers(cfg.Workers),
		vegeta.MaxWorkers(cfg.MaxWorkers),
		vegeta.Client(attackClient(conns)),
		vegeta.MaxBody(0),
		vegeta.Redirects(vegeta.NoFollow),
	)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()

	var tick <-chan time.Time
	if cfg.Progress != nil {
		t := time.NewTicker(cfg.ProgressEvery)
		defer t.Stop()
		tick = t.C
	}
	col.start(time.Now())
	results := a.Attack(tr, cfg.pacer(), cfg.Duration, attackName)
	for {
		select {
		case res, ok := <-results:
			if !ok {
				return
			}
			col.add(res)
		case now := <-tick:
			col.tick(now)
		}
	}
}

// attackName names the attack in its results.
const attackName = "loadtest"

// attackClient is the client vegeta sends with: a transport of the
// generator's own (see transport), whose deadline bounds each request.
// http.Client.Timeout stays zero: with a RoundTripper other than net/http's,
// the client would start a goroutine per request to enforce it. vegeta's
// options that configure net/http's Transport (Connections, KeepAlive,
// HTTP2, Proxy...) assume its type, and must not be used with this client.
func attackClient(tr *transport) *http.Client {
	return &http.Client{Transport: tr}
}

// fill copies the attack's metrics into r; r.Success and r.Shed must
// already be set.
func (r *Report) fill(m *vegeta.Metrics) {
	r.Requests = int(m.Requests)
	r.Failures = r.Requests - r.Success
	r.StatusCodes = maps.Clone(m.StatusCodes)
	if !r.Hello {
		r.Duplicates = r.StatusCodes["409"]
		r.Pending = r.StatusCodes["202"]
	}
	r.Other = r.Requests - r.Success - r.Duplicates - r.Pending - r.Shed
	r.Rate = m.Rate
	r.Elapsed = m.Duration + m.Wait
	if secs := r.Elapsed.Seconds(); secs > 0 {
		r.Throughput = float64(r.Success) / secs
	}
	r.P50 = m.Latencies.P50
	r.P90 = m.Latencies.P90
	r.P99 = m.Latencies.P99
	r.Max = m.Latencies.Max
	r.Errors = m.Errors[:min(len(m.Errors), maxErrors)]
}

// Stats settling: the server caches its public counts for about a second.
const (
	settleTimeout = 5 * time.Second
	settleStable  = 1500 * time.Millisecond
	settlePoll    = 200 * time.Millisecond
)

// settle polls the campaign's total until it equals want, stays unchanged
// for settleStable, or settleTimeout passes, and returns the last total.
func settle(ctx context.Context, hc *http.Client, cfg Config, want int64) (int64, error) {
	start := time.Now()
	last, changed := int64(-1), start
	var lastErr error
	for {
		total, err := fetchTotal(ctx, hc, cfg)
		now := time.Now()
		switch {
		case err != nil:
			lastErr = err
			if ctx.Err() != nil {
				return last, err
			}
		case total == want:
			return total, nil
		case total != last:
			last, changed, lastErr = total, now, nil
		case now.Sub(changed) >= settleStable:
			return total, nil
		}
		if now.Sub(start) >= settleTimeout {
			if last < 0 {
				return 0, errors.Join(errors.New("stats never answered"), lastErr)
			}
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for stats: %w", ctx.Err())
		case <-time.After(settlePoll):
		}
	}
}
