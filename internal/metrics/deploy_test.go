package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/metrics"
	"github.com/pledgeportal/pledge/internal/store"
)

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }
func (f fakeDB) JobBacklog(context.Context) ([]store.Backlog, error) {
	return []store.Backlog{{Queue: "mail", Jobs: 40, Oldest: 20 * time.Minute}}, f.err
}
func (f fakeDB) Stats() store.PoolStats {
	return store.PoolStats{Open: 3, InUse: 1, Idle: 2, Max: 8, WaitCount: 4, WaitDuration: time.Second}
}

type fakeLimits bool

func (f fakeLimits) Shared(context.Context) bool { return bool(f) }

// TestRateLimitsShared: the gauge follows whether the limits are shared.
func TestRateLimitsShared(t *testing.T) {
	for _, shared := range []bool{true, false} {
		m := metrics.New()
		m.WatchRateLimits(fakeLimits(shared))
		families, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		want, got := 0.0, -1.0
		if shared {
			want = 1
		}
		for _, f := range families {
			if f.GetName() == "pledge_rate_limits_shared" {
				got = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if got != want {
			t.Errorf("shared %v: pledge_rate_limits_shared = %v, want %v", shared, got, want)
		}
	}
}

// populated returns metrics with every collector registered and every
// labelled family holding a series, and the names of all families.
func populated(t *testing.T) map[string]bool {
	m := metrics.New()
	m.WatchIntake(fakeIntake{n: 1, c: 10})
	m.WatchDatabase(fakeDB{})
	m.WatchRateLimits(fakeLimits(true))
	m.ObserveHTTP("GET /{$}", "GET", 200, time.Millisecond)
	m.ObserveCertificate("full", "rendered", time.Millisecond)
	m.ObserveJob("mail_batch", "completed")
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	return names
}

var metricName = regexp.MustCompile(`\b(?:pledge|go|process)_[a-z0-9_]+`)

// exported maps a name used in a query to the family that exposes it.
func exported(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && !strings.HasSuffix(name, "_total") {
			return base
		}
	}
	return name
}

// TestDeployQueriesUseRealMetrics: every metric the Grafana dashboard and
// the alert rules query is one the portal exports.
func TestDeployQueriesUseRealMetrics(t *testing.T) {
	names := populated(t)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	b, err := os.ReadFile("../../deploy/grafana/pledge-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	rules, err := os.ReadFile("../../deploy/prometheus/rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	exprs = append(exprs, string(rules))
	seen := 0
	for _, e := range exprs {
		for _, n := range metricName.FindAllString(e, -1) {
			seen++
			if !names[exported(n)] {
				t.Errorf("%s is queried but not exported", n)
			}
		}
	}
	if seen < 20 {
		t.Errorf("only %d metric references found: is the pattern right?", seen)
	}
}

// TestBuildInfoExported: go_build_info tells which build each instance
// runs, during a rolling upgrade.
func TestBuildInfoExported(t *testing.T) {
	if !populated(t)["go_build_info"] {
		t.Error("go_build_info is not exported")
	}
}

// TestBuildInfoSeries: pledge_build_info has one series, 1, labelled with
// the build last set.
func TestBuildInfoSeries(t *testing.T) {
	m := metrics.New()
	m.SetBuildInfo("v1.3.0", "0123456789ab", "go1.26.7")
	m.SetBuildInfo("v1.4.0", "63e1b3e1f2a4c0ffee", "go1.26.8")
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() != "pledge_build_info" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got = append(got, fmt.Sprintf("%s %s %s = %v", labels["version"], labels["revision"], labels["goversion"], s.GetGauge().GetValue()))
		}
	}
	if want := "v1.4.0 63e1b3e1f2a4c0ffee go1.26.8 = 1"; len(got) != 1 || got[0] != want {
		t.Errorf("pledge_build_info series = %q, want [%q]", got, want)
	}
}
