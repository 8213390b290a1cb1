//go:build race

package admin_test

// Under the race detector, which slows SQLite down many times (200,000 rows
// take a minute), the constant-memory test exports 50,000 rows against a
// bound that shrinks with them: streaming grows the heap by about 3 MB,
// collecting the rows by about 19 MB, the whole file by about 12 MB.
const (
	exportRows      = 50_000
	maxExportGrowth = 10 << 20
)
