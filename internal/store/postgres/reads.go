package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Uncounted returns how many of a campaign's pledges wait for their e-mail
// confirmation and how many were withdrawn.
func (s *Store) Uncounted(ctx context.Context, campaignID int64) (pledge.Uncounted, error) {
	var u pledge.Uncounted
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM pending_pledges WHERE campaign_id = $1 AND number = 0),
		(SELECT count(*) FROM pledges WHERE campaign_id = $1 AND withdrawn_at IS NOT NULL)`, campaignID).Scan(&u.Pending, &u.Withdrawn)
	if err != nil {
		return u, fmt.Errorf("read uncounted pledges: %w", err)
	}
	return u, nil
}

// Counts returns a campaign's count rows.
func (s *Store) Counts(ctx context.Context, campaignID int64) (pledge.Counts, error) {
	rows, err := s.pool.Query(ctx, `SELECT region, n FROM region_counts WHERE campaign_id = $1`, campaignID)
	if err != nil {
		return pledge.Counts{}, fmt.Errorf("read counts: %w", err)
	}
	c := pledge.Counts{Regions: make(map[string]int64)}
	var region string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&region, &n}, func() error {
		c.Regions[region] = n
		c.Total += n
		return nil
	})
	if err != nil {
		return pledge.Counts{}, fmt.Errorf("read counts: %w", err)
	}
	return c, nil
}

// NumberByPhone returns the number of the pledge made with a mobile
// number. See store.Store.
func (s *Store) NumberByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT number FROM pledges WHERE campaign_id = $1 AND phone_hash = $2`, campaignID, phoneHash).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx, `SELECT id FROM pending_pledges WHERE campaign_id = $1 AND phone_hash = $2 AND number >= 0`,
		campaignID, phoneHash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.pool.QueryRow(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = $1`, campaignID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
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
	var withdrawn *time.Time
	err := s.pool.QueryRow(ctx, `SELECT name, region, lang, phone_masked, coalesce(email, ''), created_at, invalidation_id IS NOT NULL, withdrawn_at, name_corrections
		FROM pledges WHERE campaign_id = $1 AND number = $2`, campaignID, number).
		Scan(&p.Name, &p.Region, &p.Lang, &p.PhoneMasked, &p.Email, &p.CreatedAt, &p.Invalidated, &withdrawn, &p.NameCorrections)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("pledge %d/%d: %w", campaignID, number, pledge.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("read pledge: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	if withdrawn != nil {
		p.WithdrawnAt = withdrawn.UTC()
	}
	return p, nil
}

// Audit checks a campaign's rows, counts and numbers against each other.
func (s *Store) Audit(ctx context.Context, campaignID int64) (pledge.Audit, error) {
	var a pledge.Audit
	var mismatched int64
	err := s.pool.QueryRow(ctx, `
		WITH stored AS (SELECT region, count(*) AS n FROM pledges WHERE campaign_id = $1 AND invalidation_id IS NULL AND withdrawn_at IS NULL GROUP BY region),
		     counted AS (SELECT region, n FROM region_counts WHERE campaign_id = $1)
		SELECT (SELECT count(*) FROM pledges WHERE campaign_id = $1),
		       (SELECT count(*) FROM pledges WHERE campaign_id = $1 AND invalidation_id IS NULL AND withdrawn_at IS NULL),
		       (SELECT coalesce(min(number), 0) FROM pledges WHERE campaign_id = $1),
		       (SELECT coalesce(max(number), 0) FROM pledges WHERE campaign_id = $1),
		       (SELECT count(DISTINCT number) FROM pledges WHERE campaign_id = $1),
		       (SELECT count(DISTINCT phone_hash) FROM pledges WHERE campaign_id = $1),
		       (SELECT last_number FROM campaign_seq WHERE campaign_id = $1),
		       (SELECT coalesce(sum(n), 0) FROM counted),
		       (SELECT count(*) FROM stored FULL JOIN counted USING (region)
		         WHERE coalesce(stored.n, 0) <> coalesce(counted.n, 0))`, campaignID).
		Scan(&a.Rows, &a.Valid, &a.MinNumber, &a.MaxNumber, &a.DistinctNums, &a.DistinctPhone, &a.LastNumber, &a.Counted, &mismatched)
	if err != nil {
		return a, fmt.Errorf("audit: %w", err)
	}
	a.RegionsAgree = mismatched == 0
	return a, nil
}
