package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// lockCampaign locks the campaign's sequence row, as a batch does, so no
// batch of the campaign commits while its counts are being adjusted.
func lockCampaign(ctx context.Context, tx pgx.Tx, campaignID int64) error {
	var last int64
	err := tx.QueryRow(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE`, campaignID).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("lock campaign %d sequence: %w", campaignID, err)
	}
	return nil
}

// shiftCounts adds sign times the pledges of invalidation id (those not
// withdrawn: a withdrawn pledge is never counted) to the campaign's region
// and minute count rows.
func shiftCounts(ctx context.Context, tx pgx.Tx, campaignID, id, sign int64) error {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO region_counts (campaign_id, region, n)
		SELECT $1, region, $3 * count(*) FROM pledges WHERE campaign_id = $1 AND invalidation_id = $2 AND withdrawn_at IS NULL GROUP BY region ORDER BY region
		ON CONFLICT (campaign_id, region) DO UPDATE SET n = region_counts.n + excluded.n`, campaignID, id, sign)
	b.Queue(`INSERT INTO minute_counts (campaign_id, minute, n)
		SELECT $1, date_trunc('minute', created_at), $3 * count(*) FROM pledges WHERE campaign_id = $1 AND invalidation_id = $2 AND withdrawn_at IS NULL GROUP BY 2 ORDER BY 2
		ON CONFLICT (campaign_id, minute) DO UPDATE SET n = minute_counts.n + excluded.n`, campaignID, id, sign)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("adjust counts: %w", err)
	}
	return nil
}

// invalidationWhere is the condition, and its arguments, that chooses the
// campaign's pledges f sets aside: counted ones (neither set aside nor
// withdrawn) that match every criterion f names. Its parameters are
// numbered from skip+1, after those the statement has before them.
func invalidationWhere(campaignID int64, f pledge.InvalidationFilter, skip int) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v ...any) {
		for _, x := range v {
			cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", skip+len(args)+1), 1)
			args = append(args, x)
		}
		where = append(where, cond)
	}
	add("campaign_id = ?", campaignID)
	add("invalidation_id IS NULL")
	add("withdrawn_at IS NULL")
	if !f.From.IsZero() {
		add("created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("created_at < ?", f.To)
	}
	if f.Region != "" {
		add("region = ?", f.Region)
	}
	if f.Prefix.IsValid() {
		lo, hi := f.SourceRange()
		add("source BETWEEN ? AND ?", lo, hi)
	}
	return strings.Join(where, " AND "), args
}

// CountInvalidation counts the pledges Invalidate with f would set aside.
// See store.Store.
func (s *Store) CountInvalidation(ctx context.Context, campaignID int64, f pledge.InvalidationFilter) (int64, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	where, args := invalidationWhere(campaignID, f, 0)
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pledges WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count pledges to invalidate: %w", err)
	}
	return n, nil
}

// Invalidate sets aside the campaign's valid pledges matching f. See
// store.Store.
func (s *Store) Invalidate(ctx context.Context, campaignID int64, f pledge.InvalidationFilter, reason, actor string, act *pledge.Action) (pledge.Invalidation, error) {
	inv := pledge.Invalidation{CampaignID: campaignID, Filter: f.String(), Reason: reason, Actor: actor,
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := f.Check(); err != nil {
		return inv, err
	}
	where, args := invalidationWhere(campaignID, f, 1)
	args = append([]any{int64(0)}, args...) // $1: the invalidation's ID, once recorded
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCampaign(ctx, tx, campaignID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO invalidations (campaign_id, reason, actor, created_at, filter, rows)
			VALUES ($1, $2, $3, $4, $5, 0) RETURNING id`, campaignID, reason, actor, inv.CreatedAt, inv.Filter).Scan(&inv.ID); err != nil {
			return fmt.Errorf("record invalidation: %w", err)
		}
		args[0] = inv.ID
		tag, err := tx.Exec(ctx, `UPDATE pledges SET invalidation_id = $1 WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("invalidate pledges: %w", err)
		}
		inv.Rows = tag.RowsAffected()
		if err := shiftCounts(ctx, tx, campaignID, inv.ID, -1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE invalidations SET rows = $1 WHERE id = $2`, inv.Rows, inv.ID); err != nil {
			return fmt.Errorf("record invalidation: %w", err)
		}
		return logAction(ctx, tx, store.InvalidationAction(act, inv))
	})
	if err != nil {
		return inv, fmt.Errorf("invalidate: %w", err)
	}
	return inv, nil
}

// RevertInvalidation restores the pledges of invalidation id. See
// store.Store.
func (s *Store) RevertInvalidation(ctx context.Context, campaignID, id int64, act *pledge.Action) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockCampaign(ctx, tx, campaignID); err != nil {
			return err
		}
		var reverted *time.Time
		err := tx.QueryRow(ctx, `SELECT reverted_at FROM invalidations WHERE id = $1 AND campaign_id = $2 FOR UPDATE`, id, campaignID).Scan(&reverted)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("invalidation %d of campaign %d: %w", id, campaignID, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read invalidation: %w", err)
		}
		if reverted != nil {
			return fmt.Errorf("invalidation %d: %w", id, pledge.ErrReverted)
		}
		if err := shiftCounts(ctx, tx, campaignID, id, 1); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE pledges SET invalidation_id = NULL WHERE campaign_id = $1 AND invalidation_id = $2`, campaignID, id); err != nil {
			return fmt.Errorf("revert invalidation: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE invalidations SET reverted_at = $1 WHERE id = $2`, time.Now().UTC(), id); err != nil {
			return fmt.Errorf("revert invalidation: %w", err)
		}
		return logAction(ctx, tx, act)
	})
	if err != nil {
		return fmt.Errorf("revert: %w", err)
	}
	return nil
}

// Invalidations lists a campaign's invalidations, newest first.
func (s *Store) Invalidations(ctx context.Context, campaignID int64) ([]pledge.Invalidation, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, reason, actor, created_at, filter, reverted_at, rows
		FROM invalidations WHERE campaign_id = $1 ORDER BY id DESC`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("read invalidations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pledge.Invalidation, error) {
		inv := pledge.Invalidation{CampaignID: campaignID}
		var reverted *time.Time
		err := row.Scan(&inv.ID, &inv.Reason, &inv.Actor, &inv.CreatedAt, &inv.Filter, &reverted, &inv.Rows)
		inv.CreatedAt = inv.CreatedAt.UTC()
		if reverted != nil {
			inv.RevertedAt = reverted.UTC()
		}
		return inv, err
	})
	if err != nil {
		return nil, fmt.Errorf("read invalidations: %w", err)
	}
	return out, nil
}

// Anonymise removes contact and network data of a closed campaign. See
// store.Store.
func (s *Store) Anonymise(ctx context.Context, campaignID int64, act *pledge.Action) (pledge.Anonymisation, error) {
	var res pledge.Anonymisation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The lock first: an edit that reopens the campaign takes it too,
		// so the closing time read below is the one that holds. A
		// confirmation (allowed after closing) takes it as well: none can
		// slip a pledge with its address past this one.
		if err := lockCampaign(ctx, tx, campaignID); err != nil {
			return err
		}
		var closes *time.Time
		err := tx.QueryRow(ctx, `SELECT closes_at FROM campaigns WHERE id = $1`, campaignID).Scan(&closes)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read campaign: %w", err)
		}
		now := time.Now()
		if closes == nil || closes.After(now) {
			return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrStillOpen)
		}
		tag, err := tx.Exec(ctx, `UPDATE pledges SET email = NULL, email_hash = NULL, source = NULL
			WHERE campaign_id = $1 AND (email IS NOT NULL OR email_hash IS NOT NULL OR source IS NOT NULL)`, campaignID)
		if err != nil {
			return fmt.Errorf("anonymise: %w", err)
		}
		res.Pledges = tag.RowsAffected()
		// Unconfirmed (0) and replaced (-1) pending pledges hold names and
		// addresses, and are counted; confirmed ones hold only their number.
		tag, err = tx.Exec(ctx, `DELETE FROM pending_pledges WHERE campaign_id = $1 AND number <= 0`, campaignID)
		if err != nil {
			return fmt.Errorf("pending pledges: %w", err)
		}
		res.Pending = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM pending_pledges WHERE campaign_id = $1`, campaignID); err != nil {
			return fmt.Errorf("confirmed pending pledges: %w", err)
		}
		// A new version: an edit form opened before this would not know
		// the campaign may no longer reopen.
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET anonymised_at = $2, version = version + 1
			WHERE id = $1`, campaignID, now); err != nil {
			return fmt.Errorf("mark campaign anonymised: %w", err)
		}
		return logAction(ctx, tx, store.AnonymiseAction(act, res))
	})
	if err != nil {
		return pledge.Anonymisation{}, fmt.Errorf("anonymise: %w", err)
	}
	return res, nil
}
