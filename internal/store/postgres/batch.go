package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// insertFresh inserts the submissions of one campaign whose phone hash is
// not stored yet, numbering them from $2+1 in arrival order, in one
// statement. The caller holds the campaign's sequence row lock, so no other
// transaction inserts into this campaign meanwhile and ON CONFLICT never
// fires; it is the backstop, and a gap in the returned numbers fails the batch.
//
// OFFSET 0 keeps NOT EXISTS a per-row probe of the unique index. Without it
// the planner may turn it into a hash anti-join that reads every pledge of
// the campaign, and it does just when it matters: a campaign filling up
// faster than autovacuum analyses the table is planned as if it were small,
// and each batch then costs as much as the whole campaign. For the same
// reason it is planned for each batch (see replanned).
const insertFresh = `
WITH input AS (
    SELECT * FROM unnest($3::text[], $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[])
        WITH ORDINALITY AS u (name, phone_hash, phone_masked, email, region, lang, created_at, source, ord)
), fresh AS (
    SELECT u.*, row_number() OVER (ORDER BY u.ord) AS rn
    FROM input u
    WHERE NOT EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = $1 AND p.phone_hash = u.phone_hash OFFSET 0)
)
INSERT INTO pledges (campaign_id, number, name, phone_hash, phone_masked, email, region, lang, created_at, source)
SELECT $1, $2 + rn, name, phone_hash, phone_masked, email, region, lang, created_at, source FROM fresh ORDER BY rn
ON CONFLICT DO NOTHING
RETURNING number, phone_hash`

const addMinutes = `
INSERT INTO minute_counts (campaign_id, minute, n)
SELECT $1, m, n FROM unnest($2::timestamptz[], $3::bigint[]) AS t (m, n)
ON CONFLICT (campaign_id, minute) DO UPDATE SET n = minute_counts.n + excluded.n`

const addCounts = `
INSERT INTO region_counts (campaign_id, region, n)
SELECT $1, r, n FROM unnest($2::text[], $3::bigint[]) AS t (r, n)
ON CONFLICT (campaign_id, region) DO UPDATE SET n = region_counts.n + excluded.n`

// replanned returns the exec mode for a statement whose plan must follow the
// table's size: the connection's default, unless that caches plans. A cached
// generic plan made while a campaign's partition was small would stay in use
// long after it has grown, since nothing analyses the table meanwhile: made
// at about 150 pledges, it probes by the primary key's campaign_id alone and
// reads the whole campaign for each row (see plan_test.go).
func replanned(tx pgx.Tx) pgx.QueryExecMode {
	if m := tx.Conn().Config().DefaultQueryExecMode; m != pgx.QueryExecModeCacheStatement {
		return m
	}
	return pgx.QueryExecModeCacheDescribe
}

// CommitBatch stores subs in one transaction. See store.Store.
func (s *Store) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	results := make([]store.Result, len(subs))
	fresh := store.DedupeBatch(subs, results)
	groups := store.ByCampaign(subs, fresh)
	// Lock sequence rows in one order everywhere, so two instances' batches
	// spanning the same campaigns cannot deadlock.
	slices.SortFunc(groups, func(a, b []int) int {
		return int(subs[a[0]].CampaignID - subs[b[0]].CampaignID)
	})
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, group := range groups {
			if err := commitCampaign(ctx, tx, subs, group, results); err != nil {
				return err
			}
		}
		return store.Enqueue(ctx, s.jobs, tx, store.BatchJobs(subs, results))
	})
	if err != nil {
		for i := range results {
			results[i] = store.Result{}
		}
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	return results, nil
}

// commitCampaign stores one campaign's part of a batch: lock its sequence
// row, insert the new pledges, advance the sequence, add to the count rows.
func commitCampaign(ctx context.Context, tx pgx.Tx, subs []pledge.Submission, group []int, results []store.Result) error {
	id := subs[group[0]].CampaignID
	var last int64
	if err := tx.QueryRow(ctx, `SELECT last_number FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE`, id).Scan(&last); err != nil {
		return fmt.Errorf("lock campaign %d sequence: %w", id, err)
	}
	group, err := insertPending(ctx, tx, subs, group, results)
	if err != nil {
		return err
	}
	if len(group) == 0 {
		return nil
	}
	n := len(group)
	names, hashes, masked := make([]string, n), make([][]byte, n), make([]string, n)
	emails, regions, langs := make([]*string, n), make([]string, n), make([]string, n)
	created, sources := make([]time.Time, n), make([][]byte, n)
	at := make(map[string]int, n) // phone hash -> index in subs
	for j, i := range group {
		sub := &subs[i]
		names[j], hashes[j], masked[j] = sub.Name, sub.PhoneHash, sub.PhoneMasked
		if sub.Email != "" {
			emails[j] = &sub.Email
		}
		regions[j], langs[j], created[j] = sub.Region, sub.Lang, sub.CreatedAt
		sources[j] = pledge.SourceBytes(sub.Source)
		at[string(sub.PhoneHash)] = i
	}
	rows, err := tx.Query(ctx, insertFresh, replanned(tx), id, last, names, hashes, masked, emails, regions, langs, created, sources)
	if err != nil {
		return fmt.Errorf("insert pledges: %w", err)
	}
	inserted := 0
	counts := make(map[string]int64)
	minutes := make(map[time.Time]int64)
	var number int64
	var hash []byte
	_, err = pgx.ForEachRow(rows, []any{&number, &hash}, func() error {
		i := at[string(hash)]
		results[i].Receipt = pledge.Receipt{CampaignID: id, Number: number}
		counts[subs[i].Region]++
		minutes[subs[i].CreatedAt.UTC().Truncate(time.Minute)]++
		inserted++
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert pledges: %w", err)
	}
	for _, i := range group {
		if results[i].Receipt.Number == 0 {
			results[i].Err = pledge.ErrDuplicate
		} else if results[i].Receipt.Number > last+int64(inserted) {
			return fmt.Errorf("campaign %d: numbers past %d with %d rows inserted: a concurrent insert slipped past the sequence lock", id, last, inserted)
		}
	}
	if inserted == 0 {
		return nil
	}
	codes := make([]string, 0, len(counts))
	for r := range counts {
		codes = append(codes, r)
	}
	slices.Sort(codes)
	adds := make([]int64, len(codes))
	for k, r := range codes {
		adds[k] = counts[r]
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE campaign_seq SET last_number = $2 WHERE campaign_id = $1`, id, last+int64(inserted))
	b.Queue(addCounts, id, codes, adds)
	starts := make([]time.Time, 0, len(minutes))
	for m := range minutes {
		starts = append(starts, m)
	}
	slices.SortFunc(starts, time.Time.Compare)
	perMinute := make([]int64, len(starts))
	for k, m := range starts {
		perMinute[k] = minutes[m]
	}
	b.Queue(addMinutes, id, starts, perMinute)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("advance sequence and counts: %w", err)
	}
	return nil
}
