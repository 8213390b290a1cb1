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
}

// WatchDatabase exports whether the database answers (a ping of at most a
// second per scrape) and its connection pool's figures.
func (m *Metrics) WatchDatabase(db Database) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "database", Name: "up",
		Help: "1 if the database answered a ping at scrape time, else 0.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if db.Ping(ctx) != nil {
			return 0
		}
		return 1
	}), poolCollector{db: db, descs: poolDescs()})
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
