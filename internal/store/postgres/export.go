package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// exportPage is how many pledges one read of an export holds.
const exportPage = 5000

// MinuteCounts returns the campaign's pledges per minute from since on.
func (s *Store) MinuteCounts(ctx context.Context, campaignID int64, since time.Time) ([]pledge.MinuteCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT minute, n FROM minute_counts
		WHERE campaign_id = $1 AND minute >= date_trunc('minute', $2::timestamptz) ORDER BY minute`, campaignID, since)
	if err != nil {
		return nil, fmt.Errorf("read minute counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pledge.MinuteCount, error) {
		var m pledge.MinuteCount
		err := row.Scan(&m.Minute, &m.N)
		m.Minute = m.Minute.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("read minute counts: %w", err)
	}
	return out, nil
}

// ExportPledges calls fn for each pledge of the campaign in number order,
// a page of rows at a time.
func (s *Store) ExportPledges(ctx context.Context, campaignID int64, fn func(pledge.Pledge) error) error {
	var after int64
	for {
		rows, err := s.pool.Query(ctx, `SELECT number, name, region, lang, phone_masked, coalesce(email, ''), created_at, invalidation_id IS NOT NULL, withdrawn_at
			FROM pledges WHERE campaign_id = $1 AND number > $2 ORDER BY number LIMIT $3`, campaignID, after, exportPage)
		if err != nil {
			return fmt.Errorf("export pledges: %w", err)
		}
		page, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (pledge.Pledge, error) {
			p := pledge.Pledge{CampaignID: campaignID}
			var withdrawn *time.Time
			err := row.Scan(&p.Number, &p.Name, &p.Region, &p.Lang, &p.PhoneMasked, &p.Email, &p.CreatedAt, &p.Invalidated, &withdrawn)
			p.CreatedAt = p.CreatedAt.UTC()
			if withdrawn != nil {
				p.WithdrawnAt = withdrawn.UTC()
			}
			return p, err
		})
		if err != nil {
			return fmt.Errorf("export pledges: %w", err)
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		after = page[len(page)-1].Number
	}
}
