package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Uncounted returns how many of a campaign's pledges wait for their e-mail
// confirmation and how many were withdrawn.
func (s *Store) Uncounted(ctx context.Context, campaignID int64) (pledge.Uncounted, error) {
	var u pledge.Uncounted
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM pending_pledges WHERE campaign_id = ?1 AND number = 0),
		(SELECT count(*) FROM pledges WHERE campaign_id = ?1 AND withdrawn_at IS NOT NULL)`, campaignID).Scan(&u.Pending, &u.Withdrawn)
	if err != nil {
		return u, fmt.Errorf("read uncounted pledges: %w", err)
	}
	return u, nil
}

// Counts returns a campaign's count rows.
func (s *Store) Counts(ctx context.Context, campaignID int64) (pledge.Counts, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT region, n FROM region_counts WHERE campaign_id = ?`, campaignID)
	if err != nil {
		return pledge.Counts{}, fmt.Errorf("read counts: %w", err)
	}
	defer rows.Close()
	c := pledge.Counts{Regions: make(map[string]int64)}
	for rows.Next() {
		var region string
		var n int64
		if err := rows.Scan(&region, &n); err != nil {
			return pledge.Counts{}, fmt.Errorf("scan count: %w", err)
		}
		c.Regions[region] = n
		c.Total += n
	}
	if err := rows.Err(); err != nil {
		return pledge.Counts{}, fmt.Errorf("read counts: %w", err)
	}
	return c, nil
}

// NumberByPhone returns the number of the pledge made with a mobile
// number. See store.Store.
func (s *Store) NumberByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT number FROM pledges WHERE campaign_id = ? AND phone_hash = ?`, campaignID, phoneHash).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("pledge by phone in campaign %d: %w", campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read pledge by phone: %w", err)
	}
	return n, nil
}

// PendingByPhone returns the ID of the campaign's pending pledge made with
// the number of phoneHash. See store.Store.
func (s *Store) PendingByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM pending_pledges WHERE campaign_id = ? AND phone_hash = ? AND number >= 0`,
		campaignID, phoneHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("pending pledge by phone in campaign %d: %w", campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read pending pledge by phone: %w", err)
	}
	return id, nil
}

// LastNumber returns the campaign's last certificate number. See
// store.Store.
func (s *Store) LastNumber(ctx context.Context, campaignID int64) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = ?`, campaignID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read last number: %w", err)
	}
	return n, nil
}

// Pledge returns the pledge with certificate number in a campaign, or
// pledge.ErrNotFound.
func (s *Store) Pledge(ctx context.Context, campaignID, number int64) (pledge.Pledge, error) {
	p := pledge.Pledge{CampaignID: campaignID, Number: number}
	var created int64
	var withdrawn sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT name, region, lang, phone_masked, coalesce(email, ''), created_at, invalidation_id IS NOT NULL, withdrawn_at, name_corrections
		FROM pledges WHERE campaign_id = ? AND number = ?`, campaignID, number).
		Scan(&p.Name, &p.Region, &p.Lang, &p.PhoneMasked, &p.Email, &created, &p.Invalidated, &withdrawn, &p.NameCorrections)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read pledge: %w", err)
	}
	p.CreatedAt = time.UnixMicro(created).UTC()
	if withdrawn.Valid {
		p.WithdrawnAt = time.UnixMicro(withdrawn.Int64).UTC()
	}
	return p, nil
}

// Audit checks a campaign's rows, counts and numbers against each other.
func (s *Store) Audit(ctx context.Context, campaignID int64) (pledge.Audit, error) {
	var a pledge.Audit
	err := s.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE invalidation_id IS NULL AND withdrawn_at IS NULL),
		coalesce(min(number), 0), coalesce(max(number), 0),
		count(DISTINCT number), count(DISTINCT phone_hash) FROM pledges WHERE campaign_id = ?`, campaignID).
		Scan(&a.Rows, &a.Valid, &a.MinNumber, &a.MaxNumber, &a.DistinctNums, &a.DistinctPhone)
	if err != nil {
		return a, fmt.Errorf("audit pledges: %w", err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = ?`, campaignID).
		Scan(&a.LastNumber); err != nil {
		return a, fmt.Errorf("audit sequence: %w", err)
	}
	var mismatched int64
	err = s.r.QueryRowContext(ctx, `
		WITH stored AS (SELECT region, count(*) AS n FROM pledges WHERE campaign_id = ?1 AND invalidation_id IS NULL AND withdrawn_at IS NULL GROUP BY region),
		     counted AS (SELECT region, n FROM region_counts WHERE campaign_id = ?1)
		SELECT coalesce((SELECT sum(n) FROM counted), 0),
		       (SELECT count(*) FROM stored LEFT JOIN counted USING (region) WHERE counted.n IS NOT stored.n) +
		       (SELECT count(*) FROM counted LEFT JOIN stored USING (region) WHERE counted.n <> 0 AND stored.n IS NULL)`,
		campaignID).Scan(&a.Counted, &mismatched)
	if err != nil {
		return a, fmt.Errorf("audit counts: %w", err)
	}
	a.RegionsAgree = mismatched == 0
	return a, nil
}
