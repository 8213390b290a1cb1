package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// insertPendingSQL stores one pending pledge unless its number or address
// has pledged (the unique indexes of pending_pledges cover the pending ones).
const insertPendingSQL = `INSERT INTO pending_pledges
    (campaign_id, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
WHERE NOT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = ?1 AND phone_hash = ?3)
  AND NOT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = ?1 AND email_hash = ?6)
ON CONFLICT DO NOTHING
RETURNING id`

// replacePendingSQL retires the pending pledge not yet confirmed that a
// new submission with the same number and another address replaces (see
// the PostgreSQL store): it gives up its number, keeps its address until
// it expires, and its links stop working. Only where the new one will be
// stored: its address is free and the number has not pledged.
const replacePendingSQL = `UPDATE pending_pledges SET number = -1, phone_hash = randomblob(32)
WHERE campaign_id = ?1 AND phone_hash = ?2 AND number = 0 AND email_hash IS NOT ?3
  AND NOT EXISTS (SELECT 1 FROM pending_pledges WHERE campaign_id = ?1 AND email_hash = ?3)
  AND NOT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = ?1 AND email_hash = ?3)
  AND NOT EXISTS (SELECT 1 FROM pledges WHERE campaign_id = ?1 AND phone_hash = ?2)`

// dropExpiredSQL removes the pending pledges not confirmed, made before
// ?4, that hold the number or the address of a new submission: they can no
// longer be confirmed, and the periodic expiry may not have run yet.
const dropExpiredSQL = `DELETE FROM pending_pledges
WHERE campaign_id = ?1 AND (phone_hash = ?2 OR email_hash = ?3) AND number <= 0 AND created_at < ?4`

// insertPending stores the pending submissions of group (one campaign),
// setting their results, and returns the rest of group.
func (s *Store) insertPending(ctx context.Context, tx *sql.Tx, subs []pledge.Submission, group []int, results []store.Result) ([]int, error) {
	var st, replace, drop *sql.Stmt
	rest := group[:0:0]
	for _, i := range group {
		sub := &subs[i]
		if !sub.Pending {
			rest = append(rest, i)
			continue
		}
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, insertPendingSQL); err != nil {
				return nil, fmt.Errorf("prepare pending insert: %w", err)
			}
			defer st.Close()
			if replace, err = tx.PrepareContext(ctx, replacePendingSQL); err != nil {
				return nil, fmt.Errorf("prepare pending replacement: %w", err)
			}
			defer replace.Close()
			if drop, err = tx.PrepareContext(ctx, dropExpiredSQL); err != nil {
				return nil, fmt.Errorf("prepare pending expiry: %w", err)
			}
			defer drop.Close()
		}
		if !sub.ExpiredBefore.IsZero() {
			if _, err := drop.ExecContext(ctx, sub.CampaignID, sub.PhoneHash, sub.EmailHash, sub.ExpiredBefore.UnixMicro()); err != nil {
				return nil, fmt.Errorf("drop expired pending pledges: %w", err)
			}
		}
		if _, err := replace.ExecContext(ctx, sub.CampaignID, sub.PhoneHash, sub.EmailHash); err != nil {
			return nil, fmt.Errorf("replace pending pledge: %w", err)
		}
		var id int64
		err := st.QueryRowContext(ctx, sub.CampaignID, sub.Name, sub.PhoneHash, sub.PhoneMasked, nullString(sub.Email),
			sub.EmailHash, sub.Region, sub.Lang, sub.CreatedAt.UnixMicro(), pledge.SourceBytes(sub.Source)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			results[i].Err = pledge.ErrDuplicate
		case err != nil:
			return nil, fmt.Errorf("insert pending pledge: %w", err)
		default:
			results[i].Receipt = pledge.Receipt{CampaignID: sub.CampaignID, Pending: id}
		}
	}
	return rest, nil
}

// Pending returns a pending pledge. See store.Store.
func (s *Store) Pending(ctx context.Context, campaignID, id int64) (pledge.Pending, error) {
	p := pledge.Pending{ID: id, CampaignID: campaignID}
	var email sql.NullString
	var created int64
	err := s.r.QueryRowContext(ctx, `SELECT name, email, region, lang, created_at, sends, number
		FROM pending_pledges WHERE id = ? AND campaign_id = ? AND number >= 0`, id, campaignID).
		Scan(&p.Name, &email, &p.Region, &p.Lang, &created, &p.Sends, &p.Number)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read pending pledge: %w", err)
	}
	p.Email = email.String
	p.CreatedAt = time.UnixMicro(created).UTC()
	return p, nil
}

// Confirm counts a pending pledge. See store.Store.
func (s *Store) Confirm(ctx context.Context, campaignID, id int64, now time.Time) (pledge.Receipt, error) {
	r := pledge.Receipt{CampaignID: campaignID}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("begin confirm: %w", err)
	}
	defer tx.Rollback()
	var name, masked, region, lang string
	var phone, emailHash, source []byte
	var email sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT name, phone_hash, phone_masked, email, email_hash, region, lang, source, number
		FROM pending_pledges WHERE id = ? AND campaign_id = ? AND number >= 0`, id, campaignID).
		Scan(&name, &phone, &masked, &email, &emailHash, &region, &lang, &source, &r.Number)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read pending pledge: %w", err)
	}
	if r.Number > 0 {
		return r, nil
	}
	last, err := s.lastNumber(ctx, tx, campaignID)
	if err != nil {
		return r, err
	}
	r.Number = last + 1
	res, err := tx.ExecContext(ctx, `INSERT INTO pledges
		(campaign_id, number, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		campaignID, r.Number, name, phone, masked, email, emailHash, region, lang, now.UnixMicro(), source)
	if err != nil {
		return r, fmt.Errorf("confirm pledge: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return r, fmt.Errorf("confirm pledge: %w", err)
	} else if n == 0 {
		return pledge.Receipt{}, fmt.Errorf("confirm pending pledge %d: %w", id, pledge.ErrDuplicate)
	}
	if err := s.addOne(ctx, tx, campaignID, region, now, 1); err != nil {
		return r, err
	}
	if _, err := s.stmts.get(ctx, tx, stmtAdvance, 1).ExecContext(ctx, r.Number, campaignID); err != nil {
		return r, fmt.Errorf("advance sequence: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE pending_pledges SET number = ?, name = '', email = NULL WHERE id = ?`, r.Number, id); err != nil {
		return r, fmt.Errorf("confirm pending pledge: %w", err)
	}
	if email.String != "" {
		job := store.MailJobFor(ctx, pledge.ConfirmationMailArgs{CampaignID: campaignID, Number: r.Number})
		if err := store.Enqueue(ctx, s.jobs, tx, []river.InsertManyParams{job}); err != nil {
			return r, err
		}
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("commit confirm: %w", err)
	}
	return r, nil
}

// addOne adds delta to the count row of region and to the minute of at.
func (s *Store) addOne(ctx context.Context, tx *sql.Tx, campaignID int64, region string, at time.Time, delta int64) error {
	if _, err := s.stmts.get(ctx, tx, stmtCount, 1).ExecContext(ctx, campaignID, region, delta); err != nil {
		return fmt.Errorf("update count row: %w", err)
	}
	if _, err := s.stmts.get(ctx, tx, stmtMinute, 1).ExecContext(ctx, campaignID, at.Unix()/60*60, delta); err != nil {
		return fmt.Errorf("update minute count: %w", err)
	}
	return nil
}

// Resend enqueues another opt-in mail. See store.Store.
func (s *Store) Resend(ctx context.Context, campaignID, id int64, limit int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin resend: %w", err)
	}
	defer tx.Rollback()
	var sends int
	var number int64
	err = tx.QueryRowContext(ctx, `SELECT sends, number FROM pending_pledges WHERE id = ? AND campaign_id = ? AND number >= 0`, id, campaignID).
		Scan(&sends, &number)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && number > 0:
		return fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
	case err != nil:
		return fmt.Errorf("read pending pledge: %w", err)
	case sends >= limit:
		return fmt.Errorf("resend pending pledge %d: %w", id, pledge.ErrLimit)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE pending_pledges SET sends = sends + 1 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("count resend: %w", err)
	}
	job := store.MailJobFor(ctx, pledge.OptInMailArgs{CampaignID: campaignID, PendingID: id, Send: sends + 1})
	if err := store.Enqueue(ctx, s.jobs, tx, []river.InsertManyParams{job}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit resend: %w", err)
	}
	return nil
}

// Withdraw marks a pledge withdrawn. See store.Store.
func (s *Store) Withdraw(ctx context.Context, campaignID, number int64, now time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin withdrawal: %w", err)
	}
	defer tx.Rollback()
	var region string
	var created int64
	var invalidated bool
	var withdrawn sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT region, created_at, invalidation_id IS NOT NULL, withdrawn_at
		FROM pledges WHERE campaign_id = ? AND number = ?`, campaignID, number).Scan(&region, &created, &invalidated, &withdrawn)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("read pledge: %w", err)
	}
	if withdrawn.Valid {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE pledges SET withdrawn_at = ?, email = NULL WHERE campaign_id = ? AND number = ?`,
		now.UnixMicro(), campaignID, number); err != nil {
		return fmt.Errorf("withdraw pledge: %w", err)
	}
	if !invalidated {
		if err := s.addOne(ctx, tx, campaignID, region, time.UnixMicro(created), -1); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit withdrawal: %w", err)
	}
	return nil
}

// ExpirePending removes pending pledges made before cutoff. See store.Store.
func (s *Store) ExpirePending(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM pending_pledges WHERE created_at < ?`, cutoff.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("expire pending pledges: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("expire pending pledges: %w", err)
	}
	return n, nil
}
