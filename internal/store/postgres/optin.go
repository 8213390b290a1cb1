package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// insertPendingSQL stores pending pledges whose number and address have
// not pledged, in one statement, returning the IDs of those stored. The
// caller holds the campaign's sequence row lock, which Confirm takes too,
// so no pledge row appears meanwhile; the unique indexes of pending_pledges
// cover the pending ones. OFFSET 0 keeps each NOT EXISTS an index probe
// (see insertFresh), and nothing is stored unless $11 is the campaign's
// regions revision.
const insertPendingSQL = `
INSERT INTO pending_pledges (campaign_id, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
SELECT $1, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source
FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $6::bytea[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[])
    WITH ORDINALITY AS u (name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source, ord)
WHERE NOT EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = $1 AND p.phone_hash = u.phone_hash OFFSET 0)
  AND NOT EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = $1 AND p.email_hash = u.email_hash OFFSET 0)
  AND $11 = (SELECT regions_rev FROM campaign_seq WHERE campaign_id = $1)
ORDER BY ord
ON CONFLICT DO NOTHING
RETURNING id, phone_hash`

// replacePendingSQL retires the pending pledges not yet confirmed that a
// new submission with the same number and another address replaces: the
// citizen who mistyped the address pledges again with the right one. A
// retired row (number -1) gives up its number (its phone hash becomes one
// no number has) but keeps its address until it expires, so an address
// still gets no more opt-in mails than before; its links stop working
// (Pending, Confirm and Resend read only rows with number >= 0). Only
// where the new one will be stored: its address is free and the number has
// not pledged (and the regions revision is the campaign's, as
// insertPendingSQL checks). Each probe is a scalar subquery on an index,
// whatever the plan.
const replacePendingSQL = `
UPDATE pending_pledges SET number = -1, phone_hash = sha256(phone_hash || int8send(id)) WHERE id = ANY (ARRAY(
    SELECT (SELECT p.id FROM pending_pledges p
            WHERE p.campaign_id = $1 AND p.phone_hash = u.phone_hash AND p.number = 0
              AND p.email_hash IS DISTINCT FROM u.email_hash)
    FROM unnest($2::bytea[], $3::bytea[]) AS u (phone_hash, email_hash)
    WHERE NOT EXISTS (SELECT 1 FROM pending_pledges q WHERE q.campaign_id = $1 AND q.email_hash = u.email_hash OFFSET 0)
      AND NOT EXISTS (SELECT 1 FROM pledges x WHERE x.campaign_id = $1 AND x.email_hash = u.email_hash OFFSET 0)
      AND NOT EXISTS (SELECT 1 FROM pledges x WHERE x.campaign_id = $1 AND x.phone_hash = u.phone_hash OFFSET 0)
      AND $4 = (SELECT regions_rev FROM campaign_seq WHERE campaign_id = $1)))`

// dropExpiredSQL removes the pending pledges not confirmed, made before $4,
// that hold the number or the address of a new submission: they can no
// longer be confirmed, and the periodic expiry may not have run yet. Each
// probe is a scalar subquery on a unique index, whatever the plan.
const dropExpiredSQL = `
DELETE FROM pending_pledges WHERE number <= 0 AND created_at < $4 AND id = ANY (ARRAY(
    SELECT (SELECT p.id FROM pending_pledges p WHERE p.campaign_id = $1 AND p.phone_hash = u.phone_hash)
    FROM unnest($2::bytea[]) AS u (phone_hash)
    UNION ALL
    SELECT (SELECT p.id FROM pending_pledges p WHERE p.campaign_id = $1 AND p.email_hash = u.email_hash)
    FROM unnest($3::bytea[]) AS u (email_hash)))`

// queuePending queues storing the pending submissions of group (one
// campaign), whose results are set as the batch's results are read, and
// returns the rest of group. It runs after w's sequence lock is queued.
func (w *campaignWrite) queuePending(b *pgx.Batch, subs []pledge.Submission, group []int, results []store.Result) []int {
	rest := group[:0:0]
	var pending []int
	for _, i := range group {
		if subs[i].Pending {
			pending = append(pending, i)
		} else {
			rest = append(rest, i)
		}
	}
	if len(pending) == 0 {
		return rest
	}
	n := len(pending)
	names, hashes, masked, emails := make([]string, n), make([][]byte, n), make([]string, n), make([]*string, n)
	emailHashes, regions, langs := make([][]byte, n), make([]string, n), make([]string, n)
	created, sources := make([]time.Time, n), make([][]byte, n)
	at := make(map[string]int, n)
	var expired time.Time // the earliest any submission gives: expired for all
	for j, i := range pending {
		sub := &subs[i]
		if e := sub.ExpiredBefore; !e.IsZero() && (expired.IsZero() || e.Before(expired)) {
			expired = e
		}
		names[j], hashes[j], masked[j] = sub.Name, sub.PhoneHash, sub.PhoneMasked
		if sub.Email != "" {
			emails[j] = &sub.Email
		}
		emailHashes[j], regions[j], langs[j], created[j] = sub.EmailHash, sub.Region, sub.Lang, sub.CreatedAt
		sources[j] = pledge.SourceBytes(sub.Source)
		at[string(sub.PhoneHash)] = i
	}
	id := subs[pending[0]].CampaignID
	if !expired.IsZero() {
		b.Queue(dropExpiredSQL, id, hashes, emailHashes, expired)
	}
	b.Queue(replacePendingSQL, id, hashes, emailHashes, w.rev)
	b.Queue(insertPendingSQL, id, names, hashes, masked, emails, emailHashes, regions, langs, created, sources, w.rev).Query(func(rows pgx.Rows) error {
		var pid int64
		var hash []byte
		if _, err := pgx.ForEachRow(rows, []any{&pid, &hash}, func() error {
			results[at[string(hash)]].Receipt = pledge.Receipt{CampaignID: id, Pending: pid}
			return nil
		}); err != nil {
			return fmt.Errorf("insert pending pledges: %w", err)
		}
		for _, i := range pending {
			switch {
			case results[i].Receipt.Pending != 0:
			case w.stale():
				results[i].Err = pledge.ErrRegionsChanged
			default:
				results[i].Err = pledge.ErrDuplicate
			}
		}
		return nil
	})
	return rest
}

// Pending, Confirm and Resend find a pending pledge by its primary key alone
// and compare the campaign on the row. With "AND campaign_id = $2" in the
// statement, a plan cached while the table was small (and never analysed)
// can take the (campaign_id, email_hash) index and filter on id instead,
// reading every pending pledge of the campaign for each link followed.

// Pending returns a pending pledge. See store.Store.
func (s *Store) Pending(ctx context.Context, campaignID, id int64) (pledge.Pending, error) {
	p := pledge.Pending{ID: id, CampaignID: campaignID}
	var campaign int64
	err := s.pool.QueryRow(ctx, `SELECT campaign_id, name, coalesce(email, ''), region, lang, created_at, sends, number
		FROM pending_pledges WHERE id = $1 AND number >= 0`, id).
		Scan(&campaign, &p.Name, &p.Email, &p.Region, &p.Lang, &p.CreatedAt, &p.Sends, &p.Number)
	if err == nil && campaign != campaignID {
		err = pgx.ErrNoRows
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read pending pledge: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// Confirm counts a pending pledge. See store.Store.
func (s *Store) Confirm(ctx context.Context, campaignID, id int64, now time.Time) (pledge.Receipt, error) {
	r := pledge.Receipt{CampaignID: campaignID}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var last int64
		if err := tx.QueryRow(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE`, campaignID).Scan(&last); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
			}
			return fmt.Errorf("lock campaign %d sequence: %w", campaignID, err)
		}
		var region string
		var email *string
		var campaign int64
		err := tx.QueryRow(ctx, `SELECT campaign_id, region, email, number FROM pending_pledges WHERE id = $1 AND number >= 0 FOR UPDATE`,
			id).Scan(&campaign, &region, &email, &r.Number)
		if err == nil && campaign != campaignID {
			err = pgx.ErrNoRows
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read pending pledge: %w", err)
		}
		if r.Number > 0 {
			return nil
		}
		r.Number = last + 1
		tag, err := tx.Exec(ctx, `INSERT INTO pledges
			(campaign_id, number, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
			SELECT campaign_id, $2, name, phone_hash, phone_masked, email, email_hash, region, lang, $3, source
			FROM pending_pledges WHERE id = $1
			ON CONFLICT DO NOTHING`, id, r.Number, now)
		if err != nil {
			return fmt.Errorf("confirm pledge: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("confirm pending pledge %d: %w", id, pledge.ErrDuplicate)
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE campaign_seq SET last_number = $2 WHERE campaign_id = $1`, campaignID, r.Number)
		b.Queue(`UPDATE pending_pledges SET number = $2, name = '', email = NULL WHERE id = $1`, id, r.Number)
		queueAddOne(b, campaignID, region, now, 1)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("confirm pending pledge: %w", err)
		}
		if email == nil {
			return nil
		}
		job := store.MailJobFor(ctx, pledge.ConfirmationMailArgs{CampaignID: campaignID, Number: r.Number})
		return store.Enqueue(ctx, s.jobs, tx, []river.InsertManyParams{job})
	})
	if err != nil {
		return pledge.Receipt{}, fmt.Errorf("confirm: %w", err)
	}
	return r, nil
}

// queueAddOne queues adding delta to the count row of region and to the
// minute of at.
func queueAddOne(b *pgx.Batch, campaignID int64, region string, at time.Time, delta int64) {
	b.Queue(addCounts, campaignID, []string{region}, []int64{delta})
	b.Queue(addMinutes, campaignID, []time.Time{at.UTC().Truncate(time.Minute)}, []int64{delta})
}

// Resend enqueues another opt-in mail. See store.Store.
func (s *Store) Resend(ctx context.Context, campaignID, id int64, limit int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var sends int
		var number, campaign int64
		err := tx.QueryRow(ctx, `SELECT campaign_id, sends, number FROM pending_pledges WHERE id = $1 AND number >= 0 FOR UPDATE`,
			id).Scan(&campaign, &sends, &number)
		if err == nil && campaign != campaignID {
			err = pgx.ErrNoRows
		}
		switch {
		case errors.Is(err, pgx.ErrNoRows) || err == nil && number > 0:
			return fmt.Errorf("pending pledge %d/%d: %w", campaignID, id, pledge.ErrNotFound)
		case err != nil:
			return fmt.Errorf("read pending pledge: %w", err)
		case sends >= limit:
			return fmt.Errorf("pending pledge %d: %w", id, pledge.ErrLimit)
		}
		if _, err := tx.Exec(ctx, `UPDATE pending_pledges SET sends = sends + 1 WHERE id = $1`, id); err != nil {
			return fmt.Errorf("count resend: %w", err)
		}
		job := store.MailJobFor(ctx, pledge.OptInMailArgs{CampaignID: campaignID, PendingID: id, Send: sends + 1})
		return store.Enqueue(ctx, s.jobs, tx, []river.InsertManyParams{job})
	})
	if err != nil {
		return fmt.Errorf("resend: %w", err)
	}
	return nil
}

// Withdraw marks a pledge withdrawn. See store.Store.
func (s *Store) Withdraw(ctx context.Context, campaignID, number int64, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The campaign's lock first, as every writer of its counts takes
		// it: a revert of an invalidation must not count this pledge while
		// it is being withdrawn.
		if err := lockCampaign(ctx, tx, campaignID); err != nil {
			return err
		}
		var region string
		var created time.Time
		var invalidated bool
		var withdrawn *time.Time
		err := tx.QueryRow(ctx, `SELECT region, created_at, invalidation_id IS NOT NULL, withdrawn_at
			FROM pledges WHERE campaign_id = $1 AND number = $2 FOR UPDATE`, campaignID, number).
			Scan(&region, &created, &invalidated, &withdrawn)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read pledge: %w", err)
		}
		if withdrawn != nil {
			return nil
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE pledges SET withdrawn_at = $3, email = NULL WHERE campaign_id = $1 AND number = $2`, campaignID, number, now)
		if !invalidated {
			queueAddOne(b, campaignID, region, created, -1)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("withdraw pledge: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("withdraw: %w", err)
	}
	return nil
}

// ExpirePending removes pending pledges made before cutoff. See store.Store.
func (s *Store) ExpirePending(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pending_pledges WHERE created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("expire pending pledges: %w", err)
	}
	return tag.RowsAffected(), nil
}
