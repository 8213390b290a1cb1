package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// FilterActions returns up to limit entries matching f older than before
// (0: newest), newest first. Only the conditions f names are in the query,
// so that each is served by its index (actor, kind or campaign, then id).
func (s *Store) FilterActions(ctx context.Context, f store.ActionFilter, before int64, limit int) ([]pledge.Action, error) {
	q, args := actionsQuery(f, before, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	defer rows.Close()
	var out []pledge.Action
	for rows.Next() {
		var a pledge.Action
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Remote, &a.Kind, &a.Detail, &a.Campaign); err != nil {
			return nil, fmt.Errorf("scan action: %w", err)
		}
		a.At = time.UnixMicro(at).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return out, nil
}

// actionsQuery is the query of FilterActions, and its arguments.
func actionsQuery(f store.ActionFilter, before int64, limit int) (string, []any) {
	q := `SELECT id, at, actor, remote, kind, detail, campaign FROM admin_actions WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"kind", f.Kind}, {"campaign", f.Campaign}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if before > 0 {
		q += ` AND id < ?`
		args = append(args, before)
	}
	return q + ` ORDER BY id DESC LIMIT ?`, append(args, limit)
}

// ChangeUserPassword replaces username's password hash old with hash, if
// it is still old and the account enabled. See store.Store.
func (s *Store) ChangeUserPassword(ctx context.Context, username, old, hash string, act *pledge.Action) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?
			WHERE username = ? AND password_hash = ? AND disabled = 0`, hash, username, old)
		if err != nil {
			return fmt.Errorf("change password of %s: %w", username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE username = ?`, username).Scan(&one); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
				}
				return fmt.Errorf("change password of %s: %w", username, err)
			}
			return fmt.Errorf("change password of %s: %w", username, store.ErrAccountChanged)
		}
		return logAction(ctx, tx, act)
	})
}
