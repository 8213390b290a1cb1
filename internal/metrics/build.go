package metrics

import "github.com/prometheus/client_golang/prometheus"

// newBuildInfo is pledge_build_info: one series, always 1, whose labels
// name the build the process runs (SetBuildInfo).
func newBuildInfo() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1, labelled with the build this process runs: module version, VCS revision and Go version (as pledge version prints them).",
	}, []string{"version", "revision", "goversion"})
}

// SetBuildInfo labels pledge_build_info with the build this process runs:
// its module version, VCS revision ("" if not recorded) and Go version.
// Set again, it replaces the series.
func (m *Metrics) SetBuildInfo(version, revision, goVersion string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, revision, goVersion).Set(1)
}
