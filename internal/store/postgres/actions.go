package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// FilterActions returns up to limit entries matching f older than before
// (0: newest), newest first. Only the conditions f names are in the query
// (not one condition per field that holds when the field is empty, which
// a generic plan cannot serve from an index), so that each is served by
// its index: actor, kind or campaign, then id.
func (s *Store) FilterActions(ctx context.Context, f store.ActionFilter, before int64, limit int) ([]pledge.Action, error) {
	q, args := actionsQuery(f, before, limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pledge.Action, error) {
		var a pledge.Action
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Remote, &a.Kind, &a.Detail, &a.Campaign)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	return out, nil
}

// actionsQuery is the query of FilterActions, and its arguments.
func actionsQuery(f store.ActionFilter, before int64, limit int) (string, []any) {
	q := `SELECT id, at, actor, remote, kind, detail, campaign FROM admin_actions WHERE true`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"kind", f.Kind}, {"campaign", f.Campaign}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ` + arg(c.v)
		}
	}
	if before > 0 {
		q += ` AND id < ` + arg(before)
	}
	return q + ` ORDER BY id DESC LIMIT ` + arg(limit), args
}

// ChangeUserPassword replaces username's password hash old with hash, if
// it is still old and the account enabled. See store.Store.
func (s *Store) ChangeUserPassword(ctx context.Context, username, old, hash string, act *pledge.Action) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $3
			WHERE username = $1 AND password_hash = $2 AND NOT disabled`, username, old, hash)
		if err != nil {
			return fmt.Errorf("change password of %s: %w", username, err)
		}
		if tag.RowsAffected() == 0 {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE username = $1`, username).Scan(&one); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
				}
				return fmt.Errorf("change password of %s: %w", username, err)
			}
			return fmt.Errorf("change password of %s: %w", username, store.ErrAccountChanged)
		}
		return logAction(ctx, tx, act)
	})
}
