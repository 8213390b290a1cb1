package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// CreateCampaign stores a new campaign with its regions and sets c.ID,
// appending act to the audit log in the same transaction.
func (s *Store) CreateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error {
	if err := c.Validate(); err != nil {
		return err
	}
	langs, _ := json.Marshal(c.Languages)
	title, _ := json.Marshal(c.Title)
	text, _ := json.Marshal(c.Pledge)
	certTitle, signatory := textJSON(c.CertificateTitle), textJSON(c.Signatory)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin create campaign: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO campaigns
		(slug, languages, title, pledge_text, email_mode, opens_at, closes_at, created_at, paused, goal, certificate_title, signatory,
		region_label)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO NOTHING`,
		c.Slug, langs, title, text, string(c.Email), c.OpensAt.UnixMicro(), nullTime(c.ClosesAt), c.CreatedAt.UnixMicro(), c.Paused, c.Goal,
		certTitle, signatory, textJSON(c.RegionLabel))
	if err != nil {
		return fmt.Errorf("insert campaign %s: %w", c.Slug, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("campaign %s: %w", c.Slug, pledge.ErrDuplicate)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("campaign id: %w", err)
	}
	for i, r := range c.Regions {
		name, _ := json.Marshal(r.Name)
		if _, err := tx.ExecContext(ctx, `INSERT INTO regions (campaign_id, code, parent, name, position)
			VALUES (?, ?, ?, ?, ?)`, id, r.Code, r.Parent, name, i); err != nil {
			return fmt.Errorf("insert region %s: %w", r.Code, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_seq (campaign_id) VALUES (?)`, id); err != nil {
		return fmt.Errorf("insert campaign sequence: %w", err)
	}
	if err := logAction(ctx, tx, act); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit campaign %s: %w", c.Slug, err)
	}
	c.ID, c.Version = id, 1
	return nil
}

// campaignColumns reads regions_rev with the campaign, before its regions
// are read (see the PostgreSQL store).
const campaignColumns = `id, slug, languages, title, pledge_text, email_mode, opens_at, closes_at, created_at, paused, goal,
	certificate_title, signatory, region_label, version, anonymised_at,
	(SELECT regions_rev FROM campaign_seq WHERE campaign_id = campaigns.id)`

// Campaigns lists every campaign with its regions, oldest first.
func (s *Store) Campaigns(ctx context.Context) ([]pledge.Campaign, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	defer rows.Close()
	var out []pledge.Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	for i := range out {
		if out[i].Regions, err = regions(ctx, s.r, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Campaign returns the campaign with slug, or pledge.ErrNotFound.
func (s *Store) Campaign(ctx context.Context, slug string) (pledge.Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE slug = ?`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return pledge.Campaign{}, fmt.Errorf("campaign %q: %w", slug, pledge.ErrNotFound)
	}
	if err != nil {
		return pledge.Campaign{}, err
	}
	c.Regions, err = regions(ctx, s.r, c.ID)
	return c, err
}

// UpdateCampaign saves the editable fields of c (found by c.ID; the slug
// never changes) and its regions: new regions are added, existing ones
// renamed or moved, and regions left out removed, unless pledges are
// counted or pending in them (pledge.ErrRegionInUse). The single writer
// connection orders it against batches. It advances the campaign's
// RegionsRev when a region pledges could name goes: a batch then refuses
// submissions checked against the campaign as it was
// (pledge.ErrRegionsChanged). It sets c.RegionsRev. It refuses an edit
// made to another version than the stored one (pledge.ErrEditConflict)
// and advances c.Version. act goes to the audit log in the same
// transaction.
func (s *Store) UpdateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error {
	if err := c.Validate(); err != nil {
		return err
	}
	langs, _ := json.Marshal(c.Languages)
	title, _ := json.Marshal(c.Title)
	text, _ := json.Marshal(c.Pledge)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin update campaign: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE campaigns SET languages = ?, title = ?, pledge_text = ?, email_mode = ?,
		opens_at = ?, closes_at = ?, goal = ?, certificate_title = ?, signatory = ?, region_label = ?, version = version + 1
		WHERE id = ? AND version = ?`,
		langs, title, text, string(c.Email), c.OpensAt.UnixMicro(), nullTime(c.ClosesAt), c.Goal,
		textJSON(c.CertificateTitle), textJSON(c.Signatory), textJSON(c.RegionLabel), c.ID, c.Version)
	if err != nil {
		return fmt.Errorf("update campaign %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM campaigns WHERE id = ?`, c.ID).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("campaign %d: %w", c.ID, pledge.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("campaign %d: %w", c.ID, err)
		}
		return fmt.Errorf("campaign %d: version %d saved, this edit was made to %d: %w", c.ID, version, c.Version, pledge.ErrEditConflict)
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
	_, rev, err := s.sequence(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if pledge.LeavesLost(before, c.Regions) {
		rev++
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_seq SET regions_rev = ? WHERE campaign_id = ?`, rev, c.ID); err != nil {
			return fmt.Errorf("advance regions revision: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM regions WHERE campaign_id = ?`, c.ID); err != nil {
		return fmt.Errorf("replace regions: %w", err)
	}
	for i, r := range c.Regions {
		name, _ := json.Marshal(r.Name)
		if _, err := tx.ExecContext(ctx, `INSERT INTO regions (campaign_id, code, parent, name, position)
			VALUES (?, ?, ?, ?, ?)`, c.ID, r.Code, r.Parent, name, i); err != nil {
			return fmt.Errorf("insert region %s: %w", r.Code, err)
		}
	}
	if err := logAction(ctx, tx, act); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit campaign %d: %w", c.ID, err)
	}
	c.RegionsRev = rev
	c.Version++
	return nil
}

// SetPaused pauses or resumes a campaign. See store.Store.
func (s *Store) SetPaused(ctx context.Context, campaignID int64, paused bool, act *pledge.Action) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE campaigns SET paused = ? WHERE id = ?`, paused, campaignID)
		if err != nil {
			return fmt.Errorf("pause campaign %d: %w", campaignID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("campaign %d: %w", campaignID, pledge.ErrNotFound)
		}
		return logAction(ctx, tx, act)
	})
}

// RegionsInUse lists the codes the campaign's pledges are counted in or
// pending in. See store.Store.
func (s *Store) RegionsInUse(ctx context.Context, campaignID int64) ([]string, error) {
	return regionsInUse(ctx, s.r, campaignID)
}

// regionsInUse lists the codes the campaign's pledges are counted in or
// pending in, sorted. A count row exists for every region that ever took a
// pledge, and is never deleted: its pledges may all be invalidated (n = 0),
// but they still name the region. A pending pledge will be counted in its
// region when confirmed.
func regionsInUse(ctx context.Context, q querier, campaignID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT region FROM region_counts WHERE campaign_id = ?
		UNION SELECT region FROM pending_pledges WHERE campaign_id = ? AND number = 0`, campaignID, campaignID)
	if err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	defer rows.Close()
	var used []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, fmt.Errorf("regions in use: %w", err)
		}
		used = append(used, code)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("regions in use: %w", err)
	}
	slices.Sort(used)
	return used, nil
}

// querier is the reader pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// regions returns the regions of one campaign, in order.
func regions(ctx context.Context, q querier, campaignID int64) ([]pledge.Region, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, parent, name FROM regions WHERE campaign_id = ? ORDER BY position`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	defer rows.Close()
	var out []pledge.Region
	for rows.Next() {
		var r pledge.Region
		var name []byte
		if err := rows.Scan(&r.Code, &r.Parent, &name); err != nil {
			return nil, fmt.Errorf("scan region: %w", err)
		}
		if err := json.Unmarshal(name, &r.Name); err != nil {
			return nil, fmt.Errorf("region %s name: %w", r.Code, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(...any) error }

func scanCampaign(row scanner) (pledge.Campaign, error) {
	var c pledge.Campaign
	var langs, title, text, certTitle, signatory, regionLabel []byte
	var email string
	var opens, created int64
	var closes, anonymised sql.NullInt64
	if err := row.Scan(&c.ID, &c.Slug, &langs, &title, &text, &email, &opens, &closes, &created, &c.Paused, &c.Goal,
		&certTitle, &signatory, &regionLabel, &c.Version, &anonymised, &c.RegionsRev); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
		return c, fmt.Errorf("scan campaign: %w", err)
	}
	for _, f := range []struct {
		b []byte
		v any
	}{
		{langs, &c.Languages}, {title, &c.Title}, {text, &c.Pledge},
		{certTitle, &c.CertificateTitle}, {signatory, &c.Signatory}, {regionLabel, &c.RegionLabel},
	} {
		if err := json.Unmarshal(f.b, f.v); err != nil {
			return c, fmt.Errorf("campaign %s: %w", c.Slug, err)
		}
	}
	c.CertificateTitle, c.Signatory = nilIfEmpty(c.CertificateTitle), nilIfEmpty(c.Signatory)
	c.RegionLabel = nilIfEmpty(c.RegionLabel)
	c.Email = pledge.EmailMode(email)
	c.OpensAt = time.UnixMicro(opens).UTC()
	if closes.Valid {
		c.ClosesAt = time.UnixMicro(closes.Int64).UTC()
	}
	if anonymised.Valid {
		c.AnonymisedAt = time.UnixMicro(anonymised.Int64).UTC()
	}
	c.CreatedAt = time.UnixMicro(created).UTC()
	return c, nil
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// textJSON encodes an optional per-language text; none is "{}".
func textJSON(t pledge.Text) string {
	if len(t) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

// nilIfEmpty reads "{}" back as no text at all.
func nilIfEmpty(t pledge.Text) pledge.Text {
	if len(t) == 0 {
		return nil
	}
	return t
}
