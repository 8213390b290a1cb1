package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pledgeportal/pledge/internal/metrics"
	"github.com/pledgeportal/pledge/internal/metrics/metricstest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

type fakeIntake struct{ n, c int }

func (f fakeIntake) Len() int        { return f.n }
func (f fakeIntake) Cap() int        { return f.c }
func (f fakeIntake) InProgress() int { return 5 }
func (f fakeIntake) Shed() int64     { return 7 }

// scrape fetches /metrics over HTTP and parses it.
func scrape(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	return metricstest.Scrape(t, srv.Client(), srv.URL)
}

func TestMetricsMoveAndLint(t *testing.T) {
	m := metrics.New()
	m.WatchIntake(fakeIntake{n: 3, c: 100})
	before := scrape(t, m)

	m.ObserveHTTP("POST /api/v1/campaigns/{slug}/pledges", http.MethodPost, 201, 2*time.Millisecond)
	m.ObserveHTTP("", "BREW", 404, time.Millisecond)
	batch := make([]pledge.Submission, 4)
	m.ObserveBatch(batch, []store.Result{
		{Receipt: pledge.Receipt{Number: 1}}, {Receipt: pledge.Receipt{Number: 2}},
		{Err: pledge.ErrDuplicate}, {Receipt: pledge.Receipt{Pending: 9}},
	}, 3*time.Millisecond, nil)
	m.ObserveBatch(batch[:1], []store.Result{{Err: pledge.ErrRegionsChanged}}, time.Millisecond, nil)
	m.ObserveBatch(batch[:2], nil, time.Millisecond, errors.New("disk full"))
	m.Rejected()
	m.ObserveCertificate("full", "rendered", 40*time.Millisecond)
	m.ObserveJob("confirmation_mail", "completed")

	after := scrape(t, m)
	for key, want := range map[string]float64{
		"pledge_http_requests_total{code=201,method=POST,route=POST /api/v1/campaigns/{slug}/pledges}": 1,
		"pledge_http_requests_total{code=404,method=other,route=unmatched}":                            1,
		"pledge_pledges_total{result=accepted}":                                                        2,
		"pledge_pledges_total{result=duplicate}":                                                       1,
		"pledge_pledges_total{result=regions_changed}":                                                 1,
		"pledge_pledges_total{result=pending}":                                                         1,
		"pledge_pledges_total{result=failed}":                                                          2,
		"pledge_pledges_total{result=rejected}":                                                        1,
		"pledge_intake_commit_errors_total{}":                                                          1,
		"pledge_intake_batch_size{}":                                                                   3,
		"pledge_intake_queue_depth{}":                                                                  3,
		"pledge_intake_queue_capacity{}":                                                               100,
		"pledge_intake_shed_total{}":                                                                   7,
		"pledge_intake_in_progress{}":                                                                  5,
		"pledge_certificate_requests_total{result=rendered,size=full}":                                 1,
		"pledge_certificate_render_duration_seconds{}":                                                 1,
		"pledge_jobs_finished_total{kind=confirmation_mail,outcome=completed}":                         1,
	} {
		gauge := strings.HasPrefix(key, "pledge_intake_q") || key == "pledge_intake_shed_total{}" || key == "pledge_intake_in_progress{}"
		if got := after[key] - before[key]; got != want && !gauge {
			t.Errorf("%s moved by %v, want %v", key, got, want)
		} else if gauge {
			if after[key] != want {
				t.Errorf("%s = %v, want %v", key, after[key], want)
			}
		}
	}
	if _, ok := after["go_goroutines{}"]; !ok {
		t.Error("no Go runtime metrics")
	}
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
