package sqlite

import (
	"bytes"
	"context"
	"fmt"

	"github.com/pledgeportal/pledge/internal/store"
)

// RekeyAddresses gives addresses the key key makes of them, once. See
// store.Store. The writer's transaction takes the write lock at its start,
// so an instance starting meanwhile waits, then finds it done.
func (s *Store) RekeyAddresses(ctx context.Context, key func(addr string) []byte) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin rekeying addresses: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, x'01') ON CONFLICT (key) DO NOTHING`,
		store.AddressKeysSetting)
	if err != nil {
		return 0, fmt.Errorf("mark addresses rekeyed: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, fmt.Errorf("mark addresses rekeyed: %w", err)
	} else if n == 0 {
		return 0, nil // done before
	}
	var total int64
	for _, t := range []struct{ table, id string }{
		{"pledges", "number"},
		{"pending_pledges", "id"},
	} {
		// Every stored address, once, keyed here: the key is not SQL's to
		// make (SQLite's lower() folds ASCII letters only, Ünal@…).
		rows, err := tx.QueryContext(ctx, `SELECT campaign_id, `+t.id+`, email, email_hash FROM `+t.table+`
			WHERE email_hash IS NOT NULL AND email IS NOT NULL`)
		if err != nil {
			return 0, fmt.Errorf("read addresses to rekey: %w", err)
		}
		type row struct {
			campaign, id int64
			email        string
			key          []byte
		}
		var todo []row
		for rows.Next() {
			var r row
			var old []byte
			if err := rows.Scan(&r.campaign, &r.id, &r.email, &old); err != nil {
				rows.Close()
				return 0, fmt.Errorf("read addresses to rekey: %w", err)
			}
			if r.key = key(r.email); !bytes.Equal(r.key, old) {
				todo = append(todo, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("read addresses to rekey: %w", err)
		}
		for _, r := range todo {
			res, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET email_hash = ?1
				WHERE campaign_id = ?2 AND `+t.id+` = ?3
				  AND NOT EXISTS (SELECT 1 FROM `+t.table+` WHERE campaign_id = ?2 AND email_hash = ?1)`,
				r.key, r.campaign, r.id)
			if err != nil {
				return 0, fmt.Errorf("rekey address: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return 0, fmt.Errorf("rekey address: %w", err)
			}
			total += n
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit rekeyed addresses: %w", err)
	}
	return total, nil
}
