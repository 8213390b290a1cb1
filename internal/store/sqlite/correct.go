package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var invalidated bool
		var withdrawn sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT name, invalidation_id IS NOT NULL, withdrawn_at, name_corrections
			FROM pledges WHERE campaign_id = ? AND number = ?`, campaignID, number).Scan(&res.Old, &invalidated, &withdrawn, &res.Counted)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read pledge %d/%d: %w", campaignID, number, err)
		}
		if err := store.Correctable(campaignID, number, invalidated, withdrawn.Valid); err != nil {
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
		if _, err := tx.ExecContext(ctx, `UPDATE pledges SET name = ?, name_corrections = ? WHERE campaign_id = ? AND number = ?`,
			res.New, res.Counted, campaignID, number); err != nil {
			return fmt.Errorf("correct name of pledge %d/%d: %w", campaignID, number, err)
		}
		return logAction(ctx, tx, store.NameCorrectionAction(act, res))
	})
	if err != nil {
		return pledge.NameCorrection{}, err
	}
	return res, nil
}
