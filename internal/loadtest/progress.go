package loadtest

import (
	"fmt"
	"io"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// progress writes the lines shown while an attack runs, one per tick:
//
//	elapsed 3s  sent 1503  rate 501/s  2xx 1350  409 150  503 0  other 3  p99 4.21ms
//
// sent counts requests started, rate is the sending rate since the
// previous line, the status counts and p99 cover the responses received so
// far ("other" includes requests that got no response).
type progress struct {
	w        io.Writer
	start    time.Time
	lastAt   time.Time
	lastSent uint64
}

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start, lastAt: start}
}

// line writes one progress line at time now.
func (p *progress) line(now time.Time, sent uint64, m *vegeta.Metrics) {
	var ok, dup, unavailable, other int
	for code, n := range m.StatusCodes {
		switch {
		case len(code) == 3 && code[0] == '2':
			ok += n
		case code == "409":
			dup += n
		case code == "503":
			unavailable += n
		default:
			other += n
		}
	}
	rate := 0.0
	if dt := now.Sub(p.lastAt).Seconds(); dt > 0 {
		rate = float64(sent-p.lastSent) / dt
	}
	p.lastAt, p.lastSent = now, sent
	p99 := "-"
	if m.Requests > 0 {
		p99 = round(m.Latencies.Quantile(0.99)).String()
	}
	// Progress is a courtesy; a failed write must not stop the test.
	_, _ = fmt.Fprintf(p.w, "elapsed %s  sent %d  rate %.0f/s  2xx %d  409 %d  503 %d  other %d  p99 %s\n",
		now.Sub(p.start).Round(100*time.Millisecond), sent, rate, ok, dup, unavailable, other, p99)
}
