//go:build !race

package admin_test

// exportRows is how many pledges the constant-memory test exports, and
// maxExportGrowth how far the heap may grow meanwhile: a streaming export
// grows it by a few MB; one that collects the rows (75 MB at 200,000) or the
// whole file (49 MB) fails.
const (
	exportRows      = 200_000
	maxExportGrowth = 24 << 20
)
