package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report summarises one load test.
type Report struct {
	// Hello is true for a hello-mode run, which has no stats check.
	Hello bool
	// Campaign is the slug pledged to (pledge mode only).
	Campaign string
	// Load describes the requested rate: "1000/s for 10s" or
	// "ramp 500/s -> 2000/s over 10s".
	Load string
	// RepeatShare is the requested share of repeats (Config.Repeat).
	RepeatShare float64
	// Seed is Config.Seed: the same seed replays the same pledges.
	Seed int64
	// Regions is the number of leaf regions pledges were spread over.
	Regions int
	// Requests is the number of requests made.
	Requests int
	// Success counts successful responses: 201 (acknowledged pledges) in
	// pledge mode, any 2xx in hello mode.
	Success int
	// Failures is Requests - Success: every other outcome, expected or not.
	Failures int
	// Repeats is how many requests submitted an earlier request's number
	// again (pledge mode only).
	Repeats int
	// Duplicates counts 409 responses, the portal's answer to a repeat
	// (pledge mode only).
	Duplicates int
	// Shed counts 503 responses with Retry-After: load the portal refused
	// on purpose, not errors.
	Shed int
	// Pending counts 202 responses: pledges that wait for their email
	// address to be confirmed and are not counted yet (pledge mode only).
	Pending int
	// Other counts every remaining outcome: errors, unexpected statuses and
	// requests that got no response.
	Other int
	// StatusCodes counts responses by status code; "0" counts requests that
	// got no response (connection errors, timeouts).
	StatusCodes map[string]int
	// Throughput is successful (in pledge mode: acknowledged) responses per
	// second of wall time, from the first request sent to the last response
	// received.
	Throughput float64
	// Rate is the rate at which requests were actually sent, per second,
	// averaged over the run.
	Rate float64
	// P50, P90 and P99 are latency percentiles over all requests, and Max
	// the largest latency.
	P50, P90, P99, Max time.Duration
	// Elapsed is the wall time Throughput is computed over.
	Elapsed time.Duration
	// Errors holds up to ten distinct request errors.
	Errors []string
	// StoredBefore and StoredAfter are the campaign's public pledge totals
	// before and after the attack (pledge mode only).
	StoredBefore, StoredAfter int64
	// Checked reports whether the stats were read after the attack, so
	// that CountMatches means something.
	Checked bool
	// CountMatches reports whether the total grew by exactly Success. It is
	// always false in hello mode.
	CountMatches bool
}

// WriteText writes the report to w as human-readable lines.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Hello {
		fmt.Fprintf(&b, "mode:         hello\n")
	} else {
		fmt.Fprintf(&b, "mode:         pledge to %s (%d leaf regions), seed %d\n", r.Campaign, r.Regions, r.Seed)
	}
	if r.Load != "" {
		fmt.Fprintf(&b, "load:         %s", r.Load)
		if !r.Hello {
			fmt.Fprintf(&b, ", repeat share %.0f%%", 100*r.RepeatShare)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "requests:     %d in %s (sent at %.1f/s)\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate)
	if r.Hello {
		fmt.Fprintf(&b, "outcomes:     success %d  shed %d  other %d\n", r.Success, r.Shed, r.Other)
	} else {
		fmt.Fprintf(&b, "outcomes:     acknowledged %d  duplicate %d (%d repeats sent)  shed %d  pending %d  other %d\n",
			r.Success, r.Duplicates, r.Repeats, r.Shed, r.Pending, r.Other)
	}
	fmt.Fprintf(&b, "status codes: %s\n", r.codes())
	unit := "acknowledged/s"
	if r.Hello {
		unit = "successful/s"
	}
	fmt.Fprintf(&b, "throughput:   %.1f %s\n", r.Throughput, unit)
	fmt.Fprintf(&b, "latency:      p50 %s  p90 %s  p99 %s  max %s\n",
		round(r.P50), round(r.P90), round(r.P99), round(r.Max))
	if !r.Hello {
		fmt.Fprintf(&b, "stored:       before %d  after %d  (+%d, want +%d)\n",
			r.StoredBefore, r.StoredAfter, r.StoredAfter-r.StoredBefore, r.Success)
		fmt.Fprintf(&b, "count check:  %s\n", r.check())
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error:        %s\n", e)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("loadtest: write report: %w", err)
	}
	return nil
}

// check words the outcome of the stats check.
func (r Report) check() string {
	switch {
	case r.CountMatches:
		return fmt.Sprintf("ok (stats moved by exactly the %d acknowledged pledges)", r.Success)
	case !r.Checked:
		return "MISMATCH (stats not read after the attack)"
	default:
		return fmt.Sprintf("MISMATCH (stats moved by %+d, acknowledged %d)", r.StoredAfter-r.StoredBefore, r.Success)
	}
}

// ResultLine returns the machine-readable one-line summary, without a
// trailing newline:
//
//	RESULT throughput=<float> p50_ms=<float> p99_ms=<float> success=<int> count_matches=true|false
func (r Report) ResultLine() string {
	return fmt.Sprintf("RESULT throughput=%.2f p50_ms=%.3f p99_ms=%.3f success=%d count_matches=%t",
		r.Throughput, ms(r.P50), ms(r.P99), r.Success, r.CountMatches)
}

// codes formats StatusCodes as "201:980 503:20", in code order.
func (r Report) codes() string {
	keys := make([]string, 0, len(r.StatusCodes))
	for k := range r.StatusCodes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, r.StatusCodes[k])
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round shortens d for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
