package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// CorrectName corrects the name of a pledge. See store.Store.
func (s *Store) CorrectName(ctx context.Context, campaignID, number int64, typed string, limit int, act *pledge.Action) (pledge.NameCorrection, error) {
	name, err := pledge.NormaliseName(typed)
	if err != nil {
		return pledge.NameCorrection{}, err
	}
	var res pledge.NameCorrection
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The row's lock: an invalidation or a withdrawal meanwhile waits
		// for this correction, or this one reads what they did. The count
		// rows are not touched, so the campaign's lock is not needed.
		var invalidated bool
		var withdrawn *time.Time
		err := tx.QueryRow(ctx, `SELECT name, invalidation_id IS NOT NULL, withdrawn_at, name_corrections
			FROM pledges WHERE campaign_id = $1 AND number = $2 FOR UPDATE`, campaignID, number).
			Scan(&res.Old, &invalidated, &withdrawn, &res.Counted)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read pledge %d/%d: %w", campaignID, number, err)
		}
		if err := store.Correctable(campaignID, number, invalidated, withdrawn != nil); err != nil {
			return err
		}
		res.New = name
		if !res.Changed() {
			return nil
		}
		if limit > 0 {
			if res.Counted >= limit {
				return fmt.Errorf("pledge %d/%d: name corrected %d times: %w", campaignID, number, res.Counted, pledge.ErrLimit)
			}
			res.Counted++
		}
		if _, err := tx.Exec(ctx, `UPDATE pledges SET name = $3, name_corrections = $4 WHERE campaign_id = $1 AND number = $2`,
			campaignID, number, res.New, res.Counted); err != nil {
			return fmt.Errorf("correct name of pledge %d/%d: %w", campaignID, number, err)
		}
		return logAction(ctx, tx, store.NameCorrectionAction(act, res))
	})
	if err != nil {
		return pledge.NameCorrection{}, fmt.Errorf("correct name: %w", err)
	}
	return res, nil
}
