package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// CreateCampaign stores a new campaign with its regions and sets c.ID,
// appending act to the audit log in the same transaction.
func (s *Store) CreateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	var closes *time.Time
	if !c.ClosesAt.IsZero() {
		closes = &c.ClosesAt
	}
	// JSON goes as text with a cast, which every query mode (and PgBouncer
	// in transaction mode) can send.
	langs, _ := json.Marshal(c.Languages)
	title, _ := json.Marshal(c.Title)
	text, _ := json.Marshal(c.Pledge)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO campaigns
			(slug, languages, title, pledge_text, email_mode, opens_at, closes_at, created_at, paused, goal, certificate_title, signatory,
			region_label)
			VALUES ($1, $2::jsonb, $3::jsonb, $4::jsonb, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb)
			ON CONFLICT (slug) DO NOTHING RETURNING id`,
			c.Slug, string(langs), string(title), string(text), string(c.Email), c.OpensAt, closes, c.CreatedAt, c.Paused, c.Goal,
			textJSON(c.CertificateTitle), textJSON(c.Signatory), textJSON(c.RegionLabel)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("campaign %s: %w", c.Slug, pledge.ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("insert campaign %s: %w", c.Slug, err)
		}
		codes, parents, names := make([]string, len(c.Regions)), make([]string, len(c.Regions)), make([]string, len(c.Regions))
		for i, r := range c.Regions {
			name, _ := json.Marshal(r.Name)
			codes[i], parents[i], names[i] = r.Code, r.Parent, string(name)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO regions (campaign_id, code, parent, name, position)
			SELECT $1, code, parent, name::jsonb, ord - 1
			FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r (code, parent, name, ord)`,
			id, codes, parents, names); err != nil {
			return fmt.Errorf("insert regions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_seq (campaign_id) VALUES ($1)`, id); err != nil {
			return fmt.Errorf("insert campaign sequence: %w", err)
		}
		c.ID, c.Version = id, 1
		return logAction(ctx, tx, act)
	})
}

// campaignColumns reads regions_rev with the campaign, before its regions
// are read: regions at least as new as the count keep a submission checked
// against them from passing a batch's comparison wrongly.
const campaignColumns = `id, slug, languages, title, pledge_text, email_mode, opens_at, closes_at, created_at, paused, goal,
	certificate_title, signatory, region_label, version, anonymised_at,
	(SELECT regions_rev FROM campaign_seq WHERE campaign_id = campaigns.id)`

// Campaigns lists every campaign with its regions, oldest first.
func (s *Store) Campaigns(ctx context.Context) ([]pledge.Campaign, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanCampaign)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	regions, err := regions(ctx, s.pool, 0)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Regions = regions[list[i].ID]
	}
	return list, nil
}

// Campaign returns the campaign with slug, or pledge.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, slug string) (pledge.Campaign, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE slug = $1`, slug)
	if err != nil {
		return pledge.Campaign{}, fmt.Errorf("read campaign: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCampaign)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("campaign %q: %w", slug, pledge.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read campaign: %w", err)
	}
	regions, err := regions(ctx, s.pool, c.ID)
	c.Regions = regions[c.ID]
	return c, err
}

// UpdateCampaign saves the editable fields of c (found by c.ID; the slug
// never changes) and its regions: new regions are added, existing ones
// renamed or moved, and regions left out removed, unless pledges are
// counted or pending in them (pledge.ErrRegionInUse). It locks the
// campaign's sequence row as every batch does, so no batch commits while it
// goes, and advances the campaign's RegionsRev when a region pledges could
// name goes: a batch then refuses submissions checked against the
// campaign as it was (pledge.ErrRegionsChanged). It sets c.RegionsRev. It
// refuses an edit made to another version than the stored one
// (pledge.ErrEditConflict) and advances c.Version. act goes to the audit
// log in the same transaction.
func (s *Store) UpdateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var closes *time.Time
	if !c.ClosesAt.IsZero() {
		closes = &c.ClosesAt
	}
	langs, _ := json.Marshal(c.Languages)
	title, _ := json.Marshal(c.Title)
	text, _ := json.Marshal(c.Pledge)
	var rev int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT regions_rev FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE`, c.ID).Scan(&rev)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("campaign %d: %w", c.ID, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("lock campaign %d: %w", c.ID, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET languages = $2::jsonb, title = $3::jsonb, pledge_text = $4::jsonb,
			email_mode = $5, opens_at = $6, closes_at = $7, goal = $8,
			certificate_title = $9::jsonb, signatory = $10::jsonb, region_label = $12::jsonb, version = version + 1
			WHERE id = $1 AND version = $11`,
			c.ID, string(langs), string(title), string(text), string(c.Email), c.OpensAt, closes, c.Goal,
			textJSON(c.CertificateTitle), textJSON(c.Signatory), c.Version, textJSON(c.RegionLabel))
		if err != nil {
			return fmt.Errorf("update campaign %d: %w", c.ID, err)
		}
		if tag.RowsAffected() == 0 {
			// The campaign exists (its sequence row is locked), so another
			// edit was saved since this one's copy was read.
			return fmt.Errorf("campaign %d: this edit was made to version %d: %w", c.ID, c.Version, pledge.ErrEditConflict)
		}
		used, err := regionsInUse(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if err := store.CheckRegionsInUse(c, used); err != nil {
			return err
		}
		before, err := regions(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if pledge.LeavesLost(before[c.ID], c.Regions) {
			rev++
			if _, err := tx.Exec(ctx, `UPDATE campaign_seq SET regions_rev = $2 WHERE campaign_id = $1`, c.ID, rev); err != nil {
				return fmt.Errorf("advance regions revision: %w", err)
			}
		}
		codes, parents, names := make([]string, len(c.Regions)), make([]string, len(c.Regions)), make([]string, len(c.Regions))
		for i, r := range c.Regions {
			name, _ := json.Marshal(r.Name)
			codes[i], parents[i], names[i] = r.Code, r.Parent, string(name)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM regions WHERE campaign_id = $1 AND NOT (code = ANY ($2::text[]))`, c.ID, codes); err != nil {
			return fmt.Errorf("remove regions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO regions (campaign_id, code, parent, name, position)
			SELECT $1, code, parent, name::jsonb, ord - 1
			FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r (code, parent, name, ord)
			ON CONFLICT (campaign_id, code) DO UPDATE SET parent = excluded.parent, name = excluded.name, position = excluded.position`,
			c.ID, codes, parents, names); err != nil {
			return fmt.Errorf("save regions: %w", err)
		}
		return logAction(ctx, tx, act)
	})
	if err == nil {
		c.RegionsRev = rev
		c.Version++
	}
	return err
}

// RegionsInUse lists the codes the campaign's pledges are counted in or
// pending in. See store.Store.
func (s *Store) RegionsInUse(ctx context.Context, campaignID int64) ([]string, error) {
	return regionsInUse(ctx, s.pool, campaignID)
}

// regionsInUse lists the codes the campaign's pledges are counted in or
// pending in, sorted. Every region that ever took a pledge has a count
// row, never deleted, even when its pledges are all invalidated (n = 0); a
// pending pledge will be counted in its region when confirmed.
func regionsInUse(ctx context.Context, q querier, campaignID int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT region FROM region_counts WHERE campaign_id = $1
		UNION SELECT region FROM pending_pledges WHERE campaign_id = $1 AND number = 0`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	used, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	slices.Sort(used)
	return used, nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// SetPaused pauses or resumes a campaign. See store.Store.
func (s *Store) SetPaused(ctx context.Context, campaignID int64, paused bool, act *pledge.Action) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET paused = $2 WHERE id = $1`, campaignID, paused)
		if err != nil {
			return fmt.Errorf("pause campaign %d: %w", campaignID, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
		}
		return logAction(ctx, tx, act)
	})
}

// regions returns the regions of one campaign, or of all when campaignID is 0.
func regions(ctx context.Context, q querier, campaignID int64) (map[int64][]pledge.Region, error) {
	rows, err := q.Query(ctx, `SELECT campaign_id, code, parent, name FROM regions
		WHERE $1 = 0 OR campaign_id = $1 ORDER BY campaign_id, position`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	out := make(map[int64][]pledge.Region)
	var id int64
	var r pledge.Region
	_, err = pgx.ForEachRow(rows, []any{&id, &r.Code, &r.Parent, &r.Name}, func() error {
		out[id] = append(out[id], r)
		r = pledge.Region{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return out, nil
}

func scanCampaign(row pgx.CollectableRow) (pledge.Campaign, error) {
	var c pledge.Campaign
	var email string
	var closes, anonymised *time.Time
	err := row.Scan(&c.ID, &c.Slug, &c.Languages, &c.Title, &c.Pledge, &email, &c.OpensAt, &closes, &c.CreatedAt, &c.Paused, &c.Goal,
		&c.CertificateTitle, &c.Signatory, &c.RegionLabel, &c.Version, &anonymised, &c.RegionsRev)
	if err != nil {
		return c, err
	}
	if len(c.CertificateTitle) == 0 {
		c.CertificateTitle = nil
	}
	if len(c.Signatory) == 0 {
		c.Signatory = nil
	}
	if len(c.RegionLabel) == 0 {
		c.RegionLabel = nil
	}
	c.Email = pledge.EmailMode(email)
	c.OpensAt = c.OpensAt.UTC()
	c.CreatedAt = c.CreatedAt.UTC()
	if closes != nil {
		c.ClosesAt = closes.UTC()
	}
	if anonymised != nil {
		c.AnonymisedAt = anonymised.UTC()
	}
	return c, nil
}

// textJSON encodes an optional per-language text; none is "{}".
func textJSON(t pledge.Text) string {
	if len(t) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}
