package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

type regionKey struct {
	campaign int64
	region   string
}

// CommitBatch stores subs in one IMMEDIATE transaction. See store.Store.
func (s *Store) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	results := make([]store.Result, len(subs))
	fresh := store.DedupeBatch(subs, results)

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()

	last := make(map[int64]int64)
	counts := make(map[regionKey]int64)
	insert, err := tx.PrepareContext(ctx, `INSERT INTO pledges
		(campaign_id, number, token, name, phone_hash, phone_masked, email, region, lang, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (campaign_id, phone_hash) DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("prepare insert: %w", err)
	}
	defer insert.Close()
	for _, i := range fresh {
		sub := &subs[i]
		n, ok := last[sub.CampaignID]
		if !ok {
			if err := tx.QueryRowContext(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = ?`,
				sub.CampaignID).Scan(&n); err != nil {
				return nil, fmt.Errorf("campaign %d sequence: %w", sub.CampaignID, err)
			}
		}
		res, err := insert.ExecContext(ctx, sub.CampaignID, n+1, sub.Token, sub.Name, sub.PhoneHash,
			sub.PhoneMasked, nullString(sub.Email), sub.Region, sub.Lang, sub.CreatedAt.UnixMicro())
		if err != nil {
			return nil, fmt.Errorf("insert pledge: %w", err)
		}
		if affected, _ := res.RowsAffected(); affected == 0 {
			results[i].Err = pledge.ErrDuplicate
			last[sub.CampaignID] = n
			continue
		}
		n++
		last[sub.CampaignID] = n
		counts[regionKey{sub.CampaignID, sub.Region}]++
		results[i].Receipt = pledge.Receipt{Number: n, Token: sub.Token}
	}
	for id, n := range last {
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_seq SET last_number = ? WHERE campaign_id = ?`, n, id); err != nil {
			return nil, fmt.Errorf("advance sequence: %w", err)
		}
	}
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO region_counts (campaign_id, region, n) VALUES (?, ?, ?)
			ON CONFLICT (campaign_id, region) DO UPDATE SET n = n + excluded.n`, k.campaign, k.region, n); err != nil {
			return nil, fmt.Errorf("update count row: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	return results, nil
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
