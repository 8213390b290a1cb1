package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Invalidate sets aside the campaign's valid pledges matching f. See
// store.Store. The writer transaction holds SQLite's write lock throughout,
// so no batch can commit between the update and the count changes.
func (s *Store) Invalidate(ctx context.Context, campaignID int64, f pledge.InvalidationFilter, reason, actor string, act *pledge.Action) (pledge.Invalidation, error) {
	inv := pledge.Invalidation{CampaignID: campaignID, Filter: f.String(), Reason: reason, Actor: actor,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := f.Check(); err != nil {
		return inv, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return inv, fmt.Errorf("begin invalidation: %w", err)
	}
	defer tx.Rollback()
	if _, err := s.lastNumber(ctx, tx, campaignID); errors.Is(err, sql.ErrNoRows) {
		return inv, fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
	} else if err != nil {
		return inv, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO invalidations (campaign_id, reason, actor, created_at, filter, rows)
		VALUES (?, ?, ?, ?, ?, 0) RETURNING id`, campaignID, reason, actor, inv.CreatedAt.UnixMicro(), inv.Filter).Scan(&inv.ID); err != nil {
		return inv, fmt.Errorf("record invalidation: %w", err)
	}
	where, args := invalidationWhere(campaignID, f)
	res, err := tx.ExecContext(ctx, `UPDATE pledges SET invalidation_id = ? WHERE `+where, append([]any{inv.ID}, args...)...)
	if err != nil {
		return inv, fmt.Errorf("invalidate pledges: %w", err)
	}
	if inv.Rows, err = res.RowsAffected(); err != nil {
		return inv, fmt.Errorf("invalidate pledges: %w", err)
	}
	if err := s.shiftCounts(ctx, tx, campaignID, inv.ID, -1); err != nil {
		return inv, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invalidations SET rows = ? WHERE id = ?`, inv.Rows, inv.ID); err != nil {
		return inv, fmt.Errorf("record invalidation: %w", err)
	}
	if err := logAction(ctx, tx, store.InvalidationAction(act, inv)); err != nil {
		return inv, err
	}
	if err := tx.Commit(); err != nil {
		return inv, fmt.Errorf("commit invalidation: %w", err)
	}
	return inv, nil
}

// invalidationWhere is the condition, and its arguments, that chooses the
// campaign's pledges f sets aside: counted ones (neither set aside nor
// withdrawn) that match every criterion f names.
func invalidationWhere(campaignID int64, f pledge.InvalidationFilter) (string, []any) {
	where := []string{"campaign_id = ?", "invalidation_id IS NULL", "withdrawn_at IS NULL"}
	args := []any{campaignID}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, f.To.UnixMicro())
	}
	if f.Region != "" {
		where, args = append(where, "region = ?"), append(args, f.Region)
	}
	if f.Prefix.IsValid() {
		lo, hi := f.SourceRange()
		where, args = append(where, "source BETWEEN ? AND ?"), append(args, lo, hi)
	}
	return strings.Join(where, " AND "), args
}

// CountInvalidation counts the pledges Invalidate with f would set aside.
// See store.Store.
func (s *Store) CountInvalidation(ctx context.Context, campaignID int64, f pledge.InvalidationFilter) (int64, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	where, args := invalidationWhere(campaignID, f)
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM pledges WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pledges to invalidate: %w", err)
	}
	return n, nil
}

// shiftCounts adds sign times the pledges of invalidation id (those not
// withdrawn: a withdrawn pledge is never counted) to the campaign's region
// and minute count rows.
func (s *Store) shiftCounts(ctx context.Context, tx *sql.Tx, campaignID, id int64, sign int64) error {
	for _, step := range []struct{ kind, query string }{
		{stmtCount, `SELECT region, count(*) FROM pledges WHERE campaign_id = ? AND invalidation_id = ? AND withdrawn_at IS NULL GROUP BY region`},
		{stmtMinute, `SELECT (created_at / 60000000) * 60, count(*) FROM pledges WHERE campaign_id = ? AND invalidation_id = ? AND withdrawn_at IS NULL GROUP BY 1`},
	} {
		rows, err := tx.QueryContext(ctx, step.query, campaignID, id)
		if err != nil {
			return fmt.Errorf("count invalidated pledges: %w", err)
		}
		var keys []any
		var ns []int64
		for rows.Next() {
			var k any
			var n int64
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return fmt.Errorf("count invalidated pledges: %w", err)
			}
			keys, ns = append(keys, k), append(ns, n)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count invalidated pledges: %w", err)
		}
		rows.Close()
		for i, k := range keys {
			if _, err := s.stmts.get(ctx, tx, step.kind, 1).ExecContext(ctx, campaignID, k, sign*ns[i]); err != nil {
				return fmt.Errorf("adjust counts: %w", err)
			}
		}
	}
	return nil
}

// RevertInvalidation restores the pledges of invalidation id. See
// store.Store.
func (s *Store) RevertInvalidation(ctx context.Context, campaignID, id int64, act *pledge.Action) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin revert: %w", err)
	}
	defer tx.Rollback()
	var reverted sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT reverted_at FROM invalidations WHERE id = ? AND campaign_id = ?`, id, campaignID).Scan(&reverted)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("invalidation %d of campaign %d: %w", id, campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read invalidation: %w", err)
	}
	if reverted.Valid {
		return fmt.Errorf("invalidation %d: %w", id, pledge.ErrReverted)
	}
	if err := s.shiftCounts(ctx, tx, campaignID, id, 1); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE pledges SET invalidation_id = NULL WHERE campaign_id = ? AND invalidation_id = ?`, campaignID, id); err != nil {
		return fmt.Errorf("revert invalidation: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invalidations SET reverted_at = ? WHERE id = ?`, time.Now().UnixMicro(), id); err != nil {
		return fmt.Errorf("revert invalidation: %w", err)
	}
	if err := logAction(ctx, tx, act); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit revert: %w", err)
	}
	return nil
}

// Invalidations lists a campaign's invalidations, newest first.
func (s *Store) Invalidations(ctx context.Context, campaignID int64) ([]pledge.Invalidation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, reason, actor, created_at, filter, reverted_at, rows
		FROM invalidations WHERE campaign_id = ? ORDER BY id DESC`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("read invalidations: %w", err)
	}
	defer rows.Close()
	var out []pledge.Invalidation
	for rows.Next() {
		inv := pledge.Invalidation{CampaignID: campaignID}
		var created int64
		var reverted sql.NullInt64
		if err := rows.Scan(&inv.ID, &inv.Reason, &inv.Actor, &created, &inv.Filter, &reverted, &inv.Rows); err != nil {
			return nil, fmt.Errorf("scan invalidation: %w", err)
		}
		inv.CreatedAt = time.UnixMicro(created).UTC()
		if reverted.Valid {
			inv.RevertedAt = time.UnixMicro(reverted.Int64).UTC()
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// Anonymise removes contact and network data of a closed campaign. See
// store.Store.
func (s *Store) Anonymise(ctx context.Context, campaignID int64, act *pledge.Action) (pledge.Anonymisation, error) {
	var none pledge.Anonymisation
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return none, fmt.Errorf("begin anonymise: %w", err)
	}
	defer tx.Rollback()
	var closes sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT closes_at FROM campaigns WHERE id = ?`, campaignID).Scan(&closes)
	if errors.Is(err, sql.ErrNoRows) {
		return none, fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return none, fmt.Errorf("read campaign: %w", err)
	}
	now := time.Now().UnixMicro()
	if !closes.Valid || closes.Int64 > now {
		return none, fmt.Errorf("anonymise campaign %d: %w", campaignID, pledge.ErrStillOpen)
	}
	var res pledge.Anonymisation
	if res.Pledges, err = execCount(ctx, tx, `UPDATE pledges SET email = NULL, email_hash = NULL, source = NULL
		WHERE campaign_id = ? AND (email IS NOT NULL OR email_hash IS NOT NULL OR source IS NOT NULL)`, campaignID); err != nil {
		return none, fmt.Errorf("anonymise: %w", err)
	}
	// Unconfirmed (0) and replaced (-1) pending pledges hold names and
	// addresses, and are counted; confirmed ones hold only their number.
	if res.Pending, err = execCount(ctx, tx, `DELETE FROM pending_pledges WHERE campaign_id = ? AND number <= 0`, campaignID); err != nil {
		return none, fmt.Errorf("anonymise pending pledges: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_pledges WHERE campaign_id = ?`, campaignID); err != nil {
		return none, fmt.Errorf("anonymise confirmed pending pledges: %w", err)
	}
	// A new version: an edit form opened before this would not know the
	// campaign may no longer reopen.
	if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET anonymised_at = ?, version = version + 1
		WHERE id = ?`, now, campaignID); err != nil {
		return none, fmt.Errorf("mark campaign anonymised: %w", err)
	}
	if err := logAction(ctx, tx, store.AnonymiseAction(act, res)); err != nil {
		return none, err
	}
	if err := tx.Commit(); err != nil {
		return none, fmt.Errorf("commit anonymise: %w", err)
	}
	return res, nil
}

// execCount runs a statement in tx and returns the rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
