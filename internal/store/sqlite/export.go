package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// exportPage is how many pledges one read of an export holds. Short reads
// keep memory flat and never pin the WAL for long.
const exportPage = 5000

// MinuteCounts returns the campaign's pledges per minute from since on.
func (s *Store) MinuteCounts(ctx context.Context, campaignID int64, since time.Time) ([]pledge.MinuteCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT minute, n FROM minute_counts
		WHERE campaign_id = ? AND minute >= ? ORDER BY minute`, campaignID, since.Unix()/60*60)
	if err != nil {
		return nil, fmt.Errorf("read minute counts: %w", err)
	}
	defer rows.Close()
	var out []pledge.MinuteCount
	for rows.Next() {
		var m pledge.MinuteCount
		var unix int64
		if err := rows.Scan(&unix, &m.N); err != nil {
			return nil, fmt.Errorf("scan minute count: %w", err)
		}
		m.Minute = time.Unix(unix, 0).UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// ExportPledges calls fn for each pledge of the campaign in number order.
func (s *Store) ExportPledges(ctx context.Context, campaignID int64, fn func(pledge.Pledge) error) error {
	var after int64
	for {
		page, err := s.exportPage(ctx, campaignID, after)
		if err != nil {
			return err
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

func (s *Store) exportPage(ctx context.Context, campaignID, after int64) ([]pledge.Pledge, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT number, name, region, lang, phone_masked, email, created_at, invalidation_id IS NOT NULL, withdrawn_at
		FROM pledges WHERE campaign_id = ? AND number > ? ORDER BY number LIMIT ?`, campaignID, after, exportPage)
	if err != nil {
		return nil, fmt.Errorf("export pledges: %w", err)
	}
	defer rows.Close()
	page := make([]pledge.Pledge, 0, exportPage)
	for rows.Next() {
		p := pledge.Pledge{CampaignID: campaignID}
		var email sql.NullString
		var created int64
		var withdrawn sql.NullInt64
		if err := rows.Scan(&p.Number, &p.Name, &p.Region, &p.Lang, &p.PhoneMasked, &email, &created, &p.Invalidated, &withdrawn); err != nil {
			return nil, fmt.Errorf("scan pledge: %w", err)
		}
		p.Email = email.String
		p.CreatedAt = time.UnixMicro(created).UTC()
		if withdrawn.Valid {
			p.WithdrawnAt = time.UnixMicro(withdrawn.Int64).UTC()
		}
		page = append(page, p)
	}
	return page, rows.Err()
}
