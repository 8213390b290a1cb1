package postgres

import (
	"bytes"
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store"
)

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
		for _, t := range []struct{ table, id string }{
			{"pledges", "number"},
			{"pending_pledges", "id"},
		} {
			// Every stored address, once, keyed here: the key is not SQL's
			// to make (lower() folds by the database's locale, which may
			// know ASCII letters only).
			rows, err := tx.Query(ctx, `SELECT campaign_id, `+t.id+`, email, email_hash FROM `+t.table+`
				WHERE email_hash IS NOT NULL AND email IS NOT NULL`)
			if err != nil {
				return fmt.Errorf("read addresses to rekey: %w", err)
			}
			type row struct {
				campaign, id int64
				email        string
				old          []byte
			}
			todo, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var x row
				err := r.Scan(&x.campaign, &x.id, &x.email, &x.old)
				return x, err
			})
			if err != nil {
				return fmt.Errorf("read addresses to rekey: %w", err)
			}
			for _, r := range todo {
				k := key(r.email)
				if bytes.Equal(k, r.old) {
					continue // keyed so already
				}
				tag, err := tx.Exec(ctx, `UPDATE `+t.table+` SET email_hash = $1
					WHERE campaign_id = $2 AND `+t.id+` = $3
					  AND NOT EXISTS (SELECT 1 FROM `+t.table+` WHERE campaign_id = $2 AND email_hash = $1)`,
					k, r.campaign, r.id)
				if err != nil {
					return fmt.Errorf("rekey address: %w", err)
				}
				total += tag.RowsAffected()
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rekey addresses: %w", err)
	}
	return total, nil
}
