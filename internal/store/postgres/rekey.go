package postgres

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store"
)

// rekeyChunk is how many addresses RekeyAddresses reads at a time, and
// rekeys with one statement: a campaign of hundreds of thousands takes
// some hundred round trips, not one for each address changed.
var rekeyChunk = 5000

// rekeyTable is a table whose addresses RekeyAddresses keys, read in the
// order of an index (keyset pages) so that each page costs its rows only.
type rekeyTable struct {
	table, id string
	// byCampaign: rows are ordered by (campaign_id, id), the primary key;
	// otherwise by id alone, which is unique in the table.
	byCampaign bool
}

var rekeyTables = []rekeyTable{
	{table: "pledges", id: "number", byCampaign: true},
	{table: "pending_pledges", id: "id"},
}

// RekeyAddresses gives addresses the key key makes of them, once. See
// store.Store. The first instance to insert the setting rekeys in that
// transaction; another starting meanwhile waits on the row, then finds it
// done.
func (s *Store) RekeyAddresses(ctx context.Context, key func(addr string) []byte) (int64, error) {
	var total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, '\x01') ON CONFLICT (key) DO NOTHING`,
			store.AddressKeysSetting)
		if err != nil {
			return fmt.Errorf("mark addresses rekeyed: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // done before
		}
		for _, t := range rekeyTables {
			n, err := t.rekey(ctx, tx, key)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rekey addresses: %w", err)
	}
	return total, nil
}

// rekey keys t's addresses, a page of rekeyChunk rows at a time: it reads
// the page, makes the keys (the key is not SQL's to make: lower() folds by
// the database's locale, which may know ASCII letters only), then gives
// the changed rows of the page their keys in one statement. The page is
// read in full before the update, as a connection runs one query at a
// time; the next page starts after the page's last row.
//
// The update gives a key to a row only where no row of the table and
// campaign holds it. That check sees the table as the statement found it:
// the rows of earlier pages rekeyed, those of this page not. So of the
// page's rows that want one key, only the first (the lowest id) is offered
// it; the others keep their old keys, as they would rekeyed one by one.
func (t rekeyTable) rekey(ctx context.Context, tx pgx.Tx, key func(addr string) []byte) (int64, error) {
	read := `SELECT campaign_id, ` + t.id + `, email, email_hash FROM ` + t.table + `
		WHERE ` + t.id + ` > $1 AND email_hash IS NOT NULL AND email IS NOT NULL
		ORDER BY ` + t.id + ` LIMIT $2`
	if t.byCampaign {
		read = `SELECT campaign_id, ` + t.id + `, email, email_hash FROM ` + t.table + `
		WHERE (campaign_id, ` + t.id + `) > ($3, $1) AND email_hash IS NOT NULL AND email IS NOT NULL
		ORDER BY campaign_id, ` + t.id + ` LIMIT $2`
	}
	update := `UPDATE ` + t.table + ` t SET email_hash = u.k
		FROM (SELECT DISTINCT ON (c, k) c, id, k
		      FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u (c, id, k)
		      ORDER BY c, k, id) u
		WHERE t.campaign_id = u.c AND t.` + t.id + ` = u.id
		  AND NOT EXISTS (SELECT 1 FROM ` + t.table + ` x WHERE x.campaign_id = u.c AND x.email_hash = u.k)`

	var total int64
	lastCampaign, lastID := int64(math.MinInt64), int64(math.MinInt64)
	campaigns := make([]int64, 0, rekeyChunk)
	ids := make([]int64, 0, rekeyChunk)
	keys := make([][]byte, 0, rekeyChunk)
	for {
		args := []any{lastID, rekeyChunk}
		if t.byCampaign {
			args = append(args, lastCampaign)
		}
		rows, err := tx.Query(ctx, read, args...)
		if err != nil {
			return 0, fmt.Errorf("read addresses to rekey: %w", err)
		}
		campaigns, ids, keys = campaigns[:0], ids[:0], keys[:0]
		n := 0
		var (
			campaign, id int64
			email        string
			old          []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&campaign, &id, &email, &old}, func() error {
			n++
			lastCampaign, lastID = campaign, id
			if k := key(email); !bytes.Equal(k, old) {
				campaigns, ids, keys = append(campaigns, campaign), append(ids, id), append(keys, k)
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("read addresses to rekey: %w", err)
		}
		if len(ids) > 0 {
			tag, err := tx.Exec(ctx, update, campaigns, ids, keys)
			if err != nil {
				return 0, fmt.Errorf("rekey addresses: %w", err)
			}
			total += tag.RowsAffected()
		}
		if n < rekeyChunk {
			return total, nil
		}
	}
}
