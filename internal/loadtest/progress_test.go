package loadtest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

var progressLine = regexp.MustCompile(`^elapsed (\S+)  sent (\d+)  rate (\d+)/s  2xx (\d+)  409 (\d+)  503 (\d+)  other (\d+)  p99 (\S+)$`)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	var m vegeta.Metrics
	for i, code := range []uint16{201, 201, 202, 409, 503, 0, 500} {
		m.Add(&vegeta.Result{Code: code, Latency: time.Duration(i+1) * time.Millisecond, Headers: http.Header{}})
	}
	var b bytes.Buffer
	start := time.Now()
	p := newProgress(&b, start)
	p.line(start.Add(time.Second), 10, &m)
	p.line(start.Add(3*time.Second), 50, &m)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("progress:\n%s", b.String())
	}
	p99 := round(m.Latencies.Quantile(0.99)).String()
	for i, want := range []string{
		"elapsed 1s  sent 10  rate 10/s  2xx 3  409 1  503 1  other 2  p99 " + p99,
		"elapsed 3s  sent 50  rate 20/s  2xx 3  409 1  503 1  other 2  p99 " + p99,
	} {
		if lines[i] != want || !progressLine.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	b.Reset()
	newProgress(&b, start).line(start.Add(time.Second), 0, &vegeta.Metrics{})
	if got := b.String(); got != "elapsed 1s  sent 0  rate 0/s  2xx 0  409 0  503 0  other 0  p99 -\n" {
		t.Errorf("before any response: %q", got)
	}
}

func TestRunProgress(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{}
	srv := newFakePortal(t, fp)
	var b bytes.Buffer
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 200, Duration: 750 * time.Millisecond, Seed: 15, Repeat: 0.1,
		Progress: &b, ProgressEvery: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) < 5 || lines[len(lines)-1] != "waiting for the stats to settle" {
		t.Fatalf("progress output:\n%s", b.String())
	}
	lastSent, last409 := 0, 0
	var rates, near int // lines checked for their rate, and those near 200/s
	for _, l := range lines[:len(lines)-1] {
		m := progressLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("progress line %q", l)
		}
		sent, _ := strconv.Atoi(m[2])
		dup, _ := strconv.Atoi(m[5])
		if sent < lastSent || dup < last409 {
			t.Errorf("counts went down at %q", l)
		}
		// Lines after the 750 ms of sending, while the last answers come,
		// show it stopped.
		elapsed, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatalf("elapsed in %q: %v", l, err)
		}
		if rate, _ := strconv.Atoi(m[3]); sent > 40 && elapsed <= 700*time.Millisecond {
			rates++
			if rate >= 50 && rate <= 600 {
				near++
			}
		}
		lastSent, last409 = sent, dup
	}
	// Each line's rate is of its own interval; on a busy machine one may
	// find the sender held up.
	if rates == 0 || near*2 < rates {
		t.Errorf("%d of %d lines show a rate near 200/s:\n%s", near, rates, b.String())
	}
	if lastSent < 100 || lastSent > rep.Requests {
		t.Errorf("last progress line says %d sent; %d in all", lastSent, rep.Requests)
	}
}

func TestReportText(t *testing.T) {
	t.Parallel()
	r := Report{
		Campaign: "test-camp", Load: "ramp 500/s -> 2000/s over 10s", RepeatShare: 0.1, Seed: 7, Regions: 3,
		Requests: 1000, Success: 850, Failures: 150, Repeats: 100, Duplicates: 100, Shed: 40, Pending: 0, Other: 10,
		StatusCodes: map[string]int{"201": 850, "409": 100, "503": 40, "0": 10},
		Throughput:  425.25, Rate: 500, Elapsed: 2 * time.Second,
		P50: 1500 * time.Microsecond, P90: 3 * time.Millisecond, P99: 9 * time.Millisecond, Max: 40 * time.Millisecond,
		Errors:       []string{"connection refused"},
		StoredBefore: 10, StoredAfter: 860, Checked: true, CountMatches: true,
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `mode:         pledge to test-camp (3 leaf regions), seed 7
load:         ramp 500/s -> 2000/s over 10s, repeat share 10%
requests:     1000 in 2s (sent at 500.0/s)
outcomes:     acknowledged 850  duplicate 100 (100 repeats sent)  shed 40  pending 0  other 10
status codes: 0:10 201:850 409:100 503:40
throughput:   425.2 acknowledged/s
latency:      p50 1.5ms  p90 3ms  p99 9ms  max 40ms
stored:       before 10  after 860  (+850, want +850)
count check:  ok (stats moved by exactly the 850 acknowledged pledges)
error:        connection refused
`
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
	if got, want := r.ResultLine(), "RESULT throughput=425.25 p50_ms=1.500 p99_ms=9.000 success=850 count_matches=true"; got != want {
		t.Errorf("ResultLine = %q, want %q", got, want)
	}

	r.StoredAfter, r.CountMatches = 861, false
	b.Reset()
	_ = r.WriteText(&b)
	if !strings.Contains(b.String(), "count check:  MISMATCH (stats moved by +851, acknowledged 850)\n") {
		t.Errorf("mismatch:\n%s", b.String())
	}
	r.Checked = false
	b.Reset()
	_ = r.WriteText(&b)
	if !strings.Contains(b.String(), "count check:  MISMATCH (stats not read after the attack)\n") {
		t.Errorf("unchecked:\n%s", b.String())
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	cfg, err := ParseArgs(nil, &stderr, "demo")
	if err != nil {
		t.Fatal(err)
	}
	// The defaults of the flags that predate ramps and repeats are unchanged.
	if cfg.Target != "http://127.0.0.1:8080" || cfg.Campaign != "demo" || cfg.Rate != 1000 || cfg.Duration != 10*time.Second ||
		cfg.Workers != DefaultWorkers || cfg.Hello || cfg.Seed == 0 || cfg.RampTo != 0 || cfg.Repeat != 0 || cfg.Progress != nil {
		t.Errorf("defaults: %+v", cfg)
	}

	cfg, err = ParseArgs([]string{"--target", "http://h:1", "--campaign", "c", "--rate", "500", "--ramp-to", "2000",
		"--duration", "3s", "--repeat", "0.1", "--seed", "42", "--workers", "8", "--max-workers", "16",
		"--timeout", "2s", "--progress"}, &stderr, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Target != "http://h:1" || cfg.Campaign != "c" || cfg.Rate != 500 || cfg.RampTo != 2000 || cfg.Duration != 3*time.Second ||
		cfg.Repeat != 0.1 || cfg.Seed != 42 || cfg.Workers != 8 || cfg.MaxWorkers != 16 || cfg.Timeout != 2*time.Second ||
		cfg.Progress != &stderr {
		t.Errorf("parsed: %+v", cfg)
	}
	if cfg, _ := ParseArgs([]string{"--progress=false"}, &stderr, "demo"); cfg.Progress != nil {
		t.Error("--progress=false: progress on")
	}
	if _, err := ParseArgs([]string{"-h"}, &stderr, "demo"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if !strings.Contains(stderr.String(), "-ramp-to") || !strings.Contains(stderr.String(), "-repeat") {
		t.Errorf("help:\n%s", stderr.String())
	}
	if _, err := ParseArgs([]string{"--rate", "x"}, &stderr, "demo"); err == nil {
		t.Error("bad rate: no error")
	}
	if _, err := ParseArgs([]string{"extra"}, &stderr, "demo"); err == nil {
		t.Error("stray argument: no error")
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) || IsTerminal(&bytes.Buffer{}) {
		t.Error("a file or buffer taken for a terminal")
	}
	// Without a terminal, progress is off unless asked for.
	if cfg, _ := ParseArgs(nil, f, "demo"); cfg.Progress != nil {
		t.Error("progress on for a file")
	}
	if cfg, _ := ParseArgs([]string{"--progress"}, f, "demo"); cfg.Progress != f {
		t.Error("--progress: progress off for a file")
	}
}
