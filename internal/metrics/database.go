package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeportal/pledge/internal/store"
)

// Database is what the metrics read from the store when scraped.
type Database interface {
	Ping(ctx context.Context) error
	Stats() store.PoolStats
	JobBacklog(ctx context.Context) ([]store.Backlog, error)
}

// WatchDatabase exports whether the database answers (a ping of at most a
// second per scrape) and its connection pool's figures.
func (m *Metrics) WatchDatabase(db Database) {
	m.reg.MustRegister(askedGauge("database", "up", "1 if the database answered a ping at scrape time, else 0.",
		func(ctx context.Context) bool { return db.Ping(ctx) == nil }),
		poolCollector{db: db, descs: poolDescs()}, backlogCollector{db: db, descs: backlogDescs()})
}

// askedGauge is a gauge of 1 when ask, given at most a second at each
// scrape, reports true, else 0.
func askedGauge(subsystem, name, help string, ask func(ctx context.Context) bool) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if ask(ctx) {
				return 1
			}
			return 0
		})
}

// backlogCollector reads the job queues' backlog when scraped (at most a
// second). Every instance reports the same, database-wide figures.
type backlogCollector struct {
	db    Database
	descs [2]*prometheus.Desc // jobs, oldest
}

func backlogDescs() [2]*prometheus.Desc {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "jobs", name), help, []string{"queue"}, nil)
	}
	return [2]*prometheus.Desc{
		d("due", "Background jobs due and not taken by any worker yet, in the whole database (not per instance)."),
		d("oldest_due_seconds", "How long the job due longest has waited for a worker; 0 when none waits."),
	}
}

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	list, err := c.db.JobBacklog(ctx)
	if err != nil {
		return // the database is away: pledge_database_up says so
	}
	seen := false
	for _, b := range list {
		seen = seen || b.Queue == store.QueueMail
		ch <- prometheus.MustNewConstMetric(c.descs[0], prometheus.GaugeValue, float64(b.Jobs), b.Queue)
		ch <- prometheus.MustNewConstMetric(c.descs[1], prometheus.GaugeValue, b.Oldest.Seconds(), b.Queue)
	}
	if !seen { // the mail queue is always there, so that alerts see a zero
		ch <- prometheus.MustNewConstMetric(c.descs[0], prometheus.GaugeValue, 0, store.QueueMail)
		ch <- prometheus.MustNewConstMetric(c.descs[1], prometheus.GaugeValue, 0, store.QueueMail)
	}
}

type poolCollector struct {
	db    Database
	descs map[string]*prometheus.Desc
}

func poolDescs() map[string]*prometheus.Desc {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "db", name), help, nil, nil)
	}
	return map[string]*prometheus.Desc{
		"open":    d("connections_open", "Open database connections."),
		"inuse":   d("connections_in_use", "Database connections in use."),
		"idle":    d("connections_idle", "Idle database connections."),
		"max":     d("connections_max", "Most database connections the pool opens."),
		"waits":   d("connection_waits_total", "Times a connection had to be waited for."),
		"waitsec": d("connection_wait_seconds_total", "Time spent waiting for connections."),
	}
}

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Stats()
	g := func(k string, v float64) { ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.GaugeValue, v) }
	g("open", float64(s.Open))
	g("inuse", float64(s.InUse))
	g("idle", float64(s.Idle))
	g("max", float64(s.Max))
	ch <- prometheus.MustNewConstMetric(c.descs["waits"], prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.descs["waitsec"], prometheus.CounterValue, s.WaitDuration.Seconds())
}

// RateLimits is what the metrics read from the rate limits when scraped.
type RateLimits interface {
	Shared(ctx context.Context) bool
}

// WatchRateLimits exports whether the rate limits are shared through Redis
// (asked at most for a second per scrape). Call it only when a Redis is
// set: 0 then means each instance limits alone.
func (m *Metrics) WatchRateLimits(l RateLimits) {
	m.reg.MustRegister(askedGauge("rate_limits", "shared",
		"1 if the rate limits are shared between instances through Redis, 0 while each instance counts alone (Redis unreachable).",
		l.Shared))
}
