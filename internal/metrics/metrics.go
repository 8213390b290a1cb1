// Package metrics holds the portal's Prometheus collectors, namespace
// "pledge", in a registry of their own. Labels are bounded: route patterns
// (never raw paths), methods, status codes and fixed outcome names — never
// anything a client chose.
package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

const namespace = "pledge"

// Metrics are the collectors. The zero value is not usable; call New.
type Metrics struct {
	reg            *prometheus.Registry
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	batchSize      prometheus.Histogram
	commitDuration prometheus.Histogram
	commitErrors   prometheus.Counter
	pledges        *prometheus.CounterVec
	renders        *prometheus.CounterVec
	renderDuration prometheus.Histogram
	jobs           *prometheus.CounterVec
	buildInfo      *prometheus.GaugeVec
}

// New registers the collectors, with Go's runtime, build and process
// collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route pattern and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "intake", Name: "batch_size",
		Help:    "Pledges per group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096},
	})
	m.commitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "intake", Name: "commit_duration_seconds",
		Help:    "Time to commit one batch.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.commitErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "intake", Name: "commit_errors_total",
		Help: "Batches whose commit failed (their pledges were answered 503; nothing stored, unless the database was lost at the commit and could not be asked in time).",
	})
	m.pledges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "pledges_total",
		Help: "Submissions by outcome: accepted (counted), pending (awaiting email confirmation), duplicate, regions_changed (checked against regions an edit took away; checked again and counted under its new outcome), rejected (invalid or campaign closed), failed (commit error). Those shed with 503 (queue full, or waited too long) are pledge_intake_shed_total.",
	}, []string{"result"})
	for _, r := range []string{"accepted", "pending", "duplicate", "regions_changed", "rejected", "failed"} {
		m.pledges.WithLabelValues(r)
	}
	m.renders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "certificate", Name: "requests_total",
		Help: "Certificate images asked for, by size and outcome: rendered, cached, busy (503), error.",
	}, []string{"size", "result"})
	m.renderDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "certificate", Name: "render_duration_seconds",
		Help:    "Time to render and encode one certificate image, waiting for a turn included.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "jobs", Name: "finished_total",
		Help: "Background jobs worked, by kind and outcome: completed, failed (will retry), discarded (out of attempts), cancelled, snoozed.",
	}, []string{"kind", "outcome"})
	m.buildInfo = newBuildInfo()
	f(m.httpRequests)
	f(m.httpDuration)
	f(m.batchSize)
	f(m.commitDuration)
	f(m.commitErrors)
	f(m.pledges)
	f(m.renders)
	f(m.renderDuration)
	f(m.jobs)
	f(m.buildInfo)
	f(collectors.NewGoCollector())
	f(collectors.NewBuildInfoCollector()) // go_build_info{version}: which build each instance runs
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: namespace}))
	return m
}

// Registry is where the collectors are registered, for tests and for
// collectors added by the caller.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text (or OpenMetrics) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// ObserveHTTP counts one answered request. route is the mux pattern that
// matched ("" for none: it is counted as "unmatched").
func (m *Metrics) ObserveHTTP(route, method string, code int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodPatch:
	default:
		method = "other"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// ObserveBatch is an intake.Observer: it records a batch's size, commit
// time and outcomes.
func (m *Metrics) ObserveBatch(batch []pledge.Submission, results []store.Result, took time.Duration, err error) {
	m.batchSize.Observe(float64(len(batch)))
	m.commitDuration.Observe(took.Seconds())
	if err != nil {
		m.commitErrors.Inc()
		m.pledges.WithLabelValues("failed").Add(float64(len(batch)))
		return
	}
	var accepted, pending, dup, stale float64
	for _, r := range results {
		switch {
		case errors.Is(r.Err, pledge.ErrRegionsChanged):
			stale++ // checked again and submitted anew, or refused as invalid
		case r.Err != nil:
			dup++
		case r.Receipt.Pending > 0:
			pending++
		default:
			accepted++
		}
	}
	m.pledges.WithLabelValues("accepted").Add(accepted)
	m.pledges.WithLabelValues("pending").Add(pending)
	m.pledges.WithLabelValues("duplicate").Add(dup)
	m.pledges.WithLabelValues("regions_changed").Add(stale)
}

// Rejected counts a submission refused before intake (invalid, or the
// campaign not open).
func (m *Metrics) Rejected() { m.pledges.WithLabelValues("rejected").Inc() }

// ObserveCertificate counts one certificate image request.
func (m *Metrics) ObserveCertificate(size, result string, took time.Duration) {
	m.renders.WithLabelValues(size, result).Inc()
	if result == "rendered" {
		m.renderDuration.Observe(took.Seconds())
	}
}

// ObserveJob counts one worked job.
func (m *Metrics) ObserveJob(kind, outcome string) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
}

// Intake is what the metrics read from the intake when scraped.
type Intake interface {
	Len() int
	Cap() int
	InProgress() int
	Shed() int64
}

// WatchIntake exports the intake's queue depth and capacity, the
// submissions in progress, and the shed count.
func (m *Metrics) WatchIntake(in Intake) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "intake", Name: "queue_depth",
			Help: "Submissions waiting for a commit.",
		}, func() float64 { return float64(in.Len()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "intake", Name: "queue_capacity",
			Help: "Submissions that may wait before new ones are shed with 503.",
		}, func() float64 { return float64(in.Cap()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "intake", Name: "in_progress",
			Help: "Submissions admitted and not yet answered: being checked, waiting for a commit or in one. Past the queue capacity plus one batch, new ones are shed with 503 at once.",
		}, func() float64 { return float64(in.InProgress()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "intake", Name: "shed_total",
			Help: "Submissions refused with 503: at once because as many as may be were in progress or the queue was full, or because no batch took them within the longest wait (10 s); none is stored.",
		}, func() float64 { return float64(in.Shed()) }),
	)
}

// WatchJobs counts the job runs events reports until it is closed.
func (m *Metrics) WatchJobs(events <-chan store.JobEvent) {
	go func() {
		for e := range events {
			m.ObserveJob(e.Kind, e.Outcome)
		}
	}()
}
