package loadtest

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestRunPledge(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{initial: 42, failN: 25}
	srv := newFakePortal(t, fp)

	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 200, Duration: time.Second, Seed: 7,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()

	if rep.Requests < 150 || rep.Requests != fp.posts {
		t.Errorf("Requests = %d, server saw %d posts", rep.Requests, fp.posts)
	}
	if fp.badReq != 0 || fp.badPhone != 0 || fp.badName != 0 {
		t.Errorf("server saw %d bad requests, %d bad phone numbers, %d bad names", fp.badReq, fp.badPhone, fp.badName)
	}
	if len(fp.sent) != fp.posts {
		t.Errorf("%d distinct phone numbers in %d posts", len(fp.sent), fp.posts)
	}
	for p, n := range fp.sent {
		if n != 1 {
			t.Errorf("phone %s sent %d times", p, n)
		}
	}
	if int64(rep.Success) != fp.created {
		t.Errorf("Success = %d, server created %d", rep.Success, fp.created)
	}
	// 503 without Retry-After is an error, not shed load.
	if rep.StatusCodes["503"] == 0 || rep.Failures != rep.StatusCodes["503"] || rep.Other != rep.Failures || rep.Shed != 0 {
		t.Errorf("StatusCodes = %v, Failures = %d, Other = %d, Shed = %d", rep.StatusCodes, rep.Failures, rep.Other, rep.Shed)
	}
	if len(rep.Errors) != 1 || rep.Errors[0] != "503 Service Unavailable" {
		t.Errorf("Errors = %q, want the 503 without Retry-After", rep.Errors)
	}
	if rep.Repeats != 0 || rep.Duplicates != 0 {
		t.Errorf("Repeats = %d, Duplicates = %d with no repeat share", rep.Repeats, rep.Duplicates)
	}
	if fp.regions["KOTA"] != 0 || fp.regions["KOTA-N"] == 0 || fp.regions["BUNDI"] == 0 {
		t.Errorf("pledges by region = %v, want leaves only", fp.regions)
	}
	if rep.StoredBefore != 42 || rep.StoredAfter != 42+fp.created || !rep.CountMatches {
		t.Errorf("stored %d -> %d, matches %t; want 42 -> %d, true",
			rep.StoredBefore, rep.StoredAfter, rep.CountMatches, 42+fp.created)
	}
	if rep.Throughput <= 0 || rep.P50 <= 0 || rep.P99 < rep.P50 || rep.Max < rep.P99 {
		t.Errorf("throughput %v, latencies %v %v %v", rep.Throughput, rep.P50, rep.P99, rep.Max)
	}
}

func TestRunPledgeLostCount(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{lose: 1}
	srv := newFakePortal(t, fp)

	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 200, Duration: 500 * time.Millisecond, Seed: 8,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Success == 0 || rep.CountMatches {
		t.Fatalf("Success = %d, CountMatches = %t; want >0, false", rep.Success, rep.CountMatches)
	}
	if got, want := rep.StoredAfter-rep.StoredBefore, int64(rep.Success-1); got != want {
		t.Errorf("stored grew by %d, want %d", got, want)
	}
	if !strings.Contains(rep.ResultLine(), "count_matches=false") {
		t.Errorf("ResultLine = %q", rep.ResultLine())
	}
}

func TestRunHello(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{}
	srv := newFakePortal(t, fp) // GET / is 404 on the fake portal
	rep, err := Run(context.Background(), Config{Target: srv.URL + "/", Hello: true, Rate: 100, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Requests == 0 || rep.Success != 0 || rep.StatusCodes["404"] != rep.Requests {
		t.Errorf("Requests %d, Success %d, codes %v", rep.Requests, rep.Success, rep.StatusCodes)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "mode:         hello") || strings.Contains(b.String(), "stored") {
		t.Errorf("WriteText:\n%s", b.String())
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{}
	srv := newFakePortal(t, fp)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, Config{Target: srv.URL, Campaign: "test-camp", Rate: 100, Duration: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("Run after %s: %v", time.Since(start), err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Target: "", Campaign: "c", Rate: 1, Duration: time.Second},
		{Target: "ftp://x", Campaign: "c", Rate: 1, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 0, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 1},
		{Target: "http://x", Campaign: "a/b", Rate: 1, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 100_000, Duration: 100 * time.Second},
		{Target: "http://x", Campaign: "c", Rate: 1, RampTo: -1, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 1, Repeat: -0.1, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 1, Repeat: 1, Duration: time.Second},
		{Target: "http://x", Campaign: "c", Rate: 1, Repeat: math.NaN(), Duration: time.Second},
		{Target: "http://x", Hello: true, Rate: 1, Repeat: 0.1, Duration: time.Second},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v): no error", cfg)
		}
	}
}

func TestReportResultLine(t *testing.T) {
	t.Parallel()
	r := Report{Throughput: 1234.5678, P50: 1500 * time.Microsecond, P99: 20 * time.Millisecond, Success: 99, CountMatches: true}
	want := "RESULT throughput=1234.57 p50_ms=1.500 p99_ms=20.000 success=99 count_matches=true"
	if got := r.ResultLine(); got != want {
		t.Errorf("ResultLine = %q, want %q", got, want)
	}
}

// TestRunCountsFromSettledStats: pledges made just before a run, which the
// stats show only a moment later (a cache), are not counted as the run's.
func TestRunCountsFromSettledStats(t *testing.T) {
	t.Parallel()
	fp := &fakePortal{initial: 42, late: 3, lateFrom: time.Now().Add(700 * time.Millisecond)}
	srv := newFakePortal(t, fp)
	rep, err := Run(context.Background(), Config{
		Target: srv.URL, Campaign: "test-camp", Rate: 50, Duration: 500 * time.Millisecond, Seed: 7,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.StoredBefore != 45 || !rep.CountMatches {
		t.Errorf("stored %d -> %d, matches %t; want 45 before, and a match", rep.StoredBefore, rep.StoredAfter, rep.CountMatches)
	}
}
