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
	// Requests is the number of requests made.
	Requests int
	// Success counts successful responses: 201 in pledge mode, any 2xx in
	// hello mode.
	Success int
	// Failures is Requests - Success.
	Failures int
	// StatusCodes counts responses by status code; "0" counts requests that
	// got no response (connection errors, timeouts).
	StatusCodes map[string]int
	// Throughput is successful responses per second of wall time, from the
	// first request sent to the last response received.
	Throughput float64
	// Rate is the rate at which requests were actually sent, per second.
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
	// CountMatches reports whether the total grew by exactly Success. It is
	// always false in hello mode.
	CountMatches bool
}

// WriteText writes the report to w as human-readable lines.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	mode := "pledge"
	if r.Hello {
		mode = "hello"
	}
	fmt.Fprintf(&b, "mode:         %s\n", mode)
	fmt.Fprintf(&b, "requests:     %d in %s (sent at %.1f/s)\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate)
	fmt.Fprintf(&b, "success:      %d  failures: %d\n", r.Success, r.Failures)
	fmt.Fprintf(&b, "status codes: %s\n", r.codes())
	fmt.Fprintf(&b, "throughput:   %.1f successful/s\n", r.Throughput)
	fmt.Fprintf(&b, "latency:      p50 %s  p90 %s  p99 %s  max %s\n",
		round(r.P50), round(r.P90), round(r.P99), round(r.Max))
	if !r.Hello {
		fmt.Fprintf(&b, "stored:       before %d  after %d  (+%d, want +%d)\n",
			r.StoredBefore, r.StoredAfter, r.StoredAfter-r.StoredBefore, r.Success)
		fmt.Fprintf(&b, "count check:  %s\n", map[bool]string{true: "ok", false: "MISMATCH"}[r.CountMatches])
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error:        %s\n", e)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("loadtest: write report: %w", err)
	}
	return nil
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
