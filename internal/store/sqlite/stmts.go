package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// pieceSizes are the row counts of the multi-row statements kept prepared.
// A batch is cut into pieces of these sizes, largest first, so a few
// statements serve every batch size and none is parsed on the hot path.
var pieceSizes = [...]int{256, 64, 16, 4, 1}

// pieces cuts n rows into counts drawn from pieceSizes.
func pieces(n int) []int {
	var out []int
	for _, size := range pieceSizes {
		for n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// stmtCache holds the writer's prepared multi-row statements. They are
// prepared when the store opens: the writer has a single connection, which a
// batch transaction holds, so nothing could be prepared on it mid-batch.
type stmtCache struct {
	m map[string]*sql.Stmt
}

func stmtKey(kind string, n int) string { return fmt.Sprintf("%s/%d", kind, n) }

func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) error {
	c.m = make(map[string]*sql.Stmt)
	for kind, q := range map[string]string{
		stmtLastNumber: `SELECT last_number, regions_rev FROM campaign_seq WHERE campaign_id = ?`,
		stmtAdvance:    `UPDATE campaign_seq SET last_number = ? WHERE campaign_id = ?`,
		stmtCount: `INSERT INTO region_counts (campaign_id, region, n) VALUES (?, ?, ?)
			ON CONFLICT (campaign_id, region) DO UPDATE SET n = n + excluded.n`,
		stmtMinute: `INSERT INTO minute_counts (campaign_id, minute, n) VALUES (?, ?, ?)
			ON CONFLICT (campaign_id, minute) DO UPDATE SET n = n + excluded.n`,
	} {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", kind, err)
		}
		c.m[stmtKey(kind, 1)] = st
	}
	for _, kind := range []string{stmtExisting, stmtExistingEmail, stmtInsert} {
		for _, n := range pieceSizes {
			st, err := db.PrepareContext(ctx, statementSQL(kind, n))
			if err != nil {
				return fmt.Errorf("prepare %s: %w", stmtKey(kind, n), err)
			}
			c.m[stmtKey(kind, n)] = st
		}
	}
	return nil
}

// get returns the statement of kind for n rows, bound to tx.
func (c *stmtCache) get(ctx context.Context, tx *sql.Tx, kind string, n int) *sql.Stmt {
	return tx.StmtContext(ctx, c.m[stmtKey(kind, n)])
}

func (c *stmtCache) close() {
	for _, st := range c.m {
		st.Close()
	}
}

const (
	stmtExisting      = "existing"
	stmtExistingEmail = "existing-email"
	stmtInsert        = "insert"
	stmtLastNumber    = "last-number"
	stmtAdvance       = "advance"
	stmtCount         = "count"
	stmtMinute        = "minute"
)

func statementSQL(kind string, n int) string {
	switch kind {
	case stmtExisting:
		return `SELECT phone_hash FROM pledges WHERE campaign_id = ? AND phone_hash IN (` +
			strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`
	case stmtExistingEmail:
		return `SELECT email_hash FROM pledges WHERE campaign_id = ? AND email_hash IN (` +
			strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`
	case stmtInsert:
		return `INSERT INTO pledges (campaign_id, number, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", n), ",")
	}
	panic("unknown statement " + kind)
}
