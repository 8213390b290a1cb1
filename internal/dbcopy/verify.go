package dbcopy

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
)

// check is one figure per campaign (and region, where key is one) that the
// source and the copy must agree on, read by a query both dialects take.
type check struct {
	what  string
	query string // returns campaign_id, key, n
}

// checks are the figures verify compares: the count rows, the valid
// pledges counted from the rows themselves, each campaign's total, and its
// last and highest certificate numbers.
var checks = []check{
	{"count row", `SELECT campaign_id, region, n FROM region_counts`},
	{"valid pledges", `SELECT campaign_id, region, CAST(count(*) AS bigint) FROM pledges
		WHERE invalidation_id IS NULL AND withdrawn_at IS NULL GROUP BY campaign_id, region`},
	{"total", `SELECT campaign_id, '', CAST(sum(n) AS bigint) FROM region_counts GROUP BY campaign_id`},
	{"last certificate number", `SELECT campaign_id, '', last_number FROM campaign_seq`},
	{"highest certificate number", `SELECT campaign_id, '', CAST(max(number) AS bigint) FROM pledges GROUP BY campaign_id`},
}

// figureKey names one figure of a check.
type figureKey struct {
	campaign int64
	key      string
}

// scanner is the part of *sql.Rows and pgx.Rows that verify reads.
type scanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readFigures reads a check's figures.
func readFigures(rows scanner) (map[figureKey]int64, error) {
	out := make(map[figureKey]int64)
	for rows.Next() {
		var k figureKey
		var n int64
		if err := rows.Scan(&k.campaign, &k.key, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// verify compares each check's figures in the copy, before it commits,
// with the source's; it returns how many campaigns it checked, or an error
// wrapping ErrVerify naming the first differences.
func verify(ctx context.Context, src *source, dst *target, log *slog.Logger) (int, error) {
	var diffs []string
	totals := map[int64]int64{}
	last := map[int64]int64{}
	for _, c := range checks {
		srows, err := src.tx.QueryContext(ctx, c.query)
		if err != nil {
			return 0, fmt.Errorf("verify %s: %w", c.what, err)
		}
		want, err := readFigures(srows)
		srows.Close()
		if err != nil {
			return 0, fmt.Errorf("verify %s: %w", c.what, err)
		}
		drows, err := dst.tx.Query(ctx, c.query)
		if err != nil {
			return 0, fmt.Errorf("verify %s: %w", c.what, err)
		}
		got, err := readFigures(drows)
		drows.Close()
		if err != nil {
			return 0, fmt.Errorf("verify %s: %w", c.what, err)
		}
		keys := slices.Collect(maps.Keys(want))
		for k := range got {
			if _, ok := want[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b figureKey) int {
			return cmp.Or(cmp.Compare(a.campaign, b.campaign), strings.Compare(a.key, b.key))
		})
		for _, k := range keys {
			if want[k] != got[k] {
				what := c.what
				if k.key != "" {
					what += " of " + k.key
				}
				diffs = append(diffs, fmt.Sprintf("campaign %d %s: %d in SQLite, %d in PostgreSQL", k.campaign, what, want[k], got[k]))
			}
			switch c.what {
			case "total":
				totals[k.campaign] = got[k]
			case "last certificate number":
				last[k.campaign] = got[k]
			}
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 5 {
			diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
		}
		return 0, fmt.Errorf("%w: %s; nothing was written", ErrVerify, strings.Join(diffs, "; "))
	}
	ids := slices.Sorted(maps.Keys(last))
	for _, id := range ids {
		log.Info("verified", "campaign_id", id, "total", totals[id], "last_number", last[id])
	}
	return len(ids), nil
}
