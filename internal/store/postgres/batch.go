package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// lockSeq takes a campaign's sequence row lock, which orders everything
// that numbers its pledges across instances (batches, confirmations,
// invalidations) and every edit of its regions, and reads the regions'
// revision.
const lockSeq = `SELECT last_number, regions_rev FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE`

// advanceSeq moves a campaign's sequence past the pledges a batch numbered.
const advanceSeq = `UPDATE campaign_seq SET last_number = $2 WHERE campaign_id = $1`

// insertFresh inserts the submissions of one campaign whose phone hash,
// and email hash where one is given, is not stored yet, numbering them on from the campaign's last number in
// arrival order (row_number counts the rows WHERE keeps), in one statement.
// The caller holds the campaign's sequence row lock, so no other
// transaction inserts into this campaign meanwhile and ON CONFLICT never
// fires; it is the backstop, and a gap in the returned numbers fails the
// batch.
//
// OFFSET 0 keeps NOT EXISTS a per-row probe of the unique index. Without it
// the planner may turn it into a hash anti-join that reads every pledge of
// the campaign, and it does just when it matters: a campaign filling up
// faster than autovacuum analyses the table is planned as if it were small,
// and each batch then costs as much as the whole campaign. For the same
// reason it is planned for each batch (see writerConfig).
//
// Nothing is inserted unless $10 is the campaign's regions revision: the
// submissions were checked against regions that are still there.
const insertFresh = `
INSERT INTO pledges (campaign_id, number, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
SELECT $1, (SELECT last_number FROM campaign_seq WHERE campaign_id = $1) + row_number() OVER (ORDER BY ord),
       name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source
FROM unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $11::bytea[], $6::text[], $7::text[], $8::timestamptz[], $9::bytea[])
    WITH ORDINALITY AS u (name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source, ord)
WHERE NOT EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = $1 AND p.phone_hash = u.phone_hash OFFSET 0)
  AND (u.email_hash IS NULL
       OR NOT EXISTS (SELECT 1 FROM pledges p WHERE p.campaign_id = $1 AND p.email_hash = u.email_hash OFFSET 0))
  AND $10 = (SELECT regions_rev FROM campaign_seq WHERE campaign_id = $1)
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

// CommitBatch stores subs in one transaction. See store.Store.
//
// The transaction takes two round trips, each a pipeline of statements:
// the first opens it, locks the campaigns' sequence rows and inserts; the
// second advances the sequences, adds to the count rows and commits. So a
// campaign's sequence row stays locked for one round trip to this
// instance, and a batch from another instance waits for no more. A batch
// that sends mail holds it longer: it enqueues its jobs, which need the
// pledges' numbers, after the second round trip and then commits.
func (s *Store) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	results := make([]store.Result, len(subs))
	fresh, repeats := store.DedupeBatch(subs, results)
	groups := store.ByCampaign(subs, fresh)
	// Lock sequence rows in one order everywhere, so two instances' batches
	// spanning the same campaigns cannot deadlock.
	slices.SortFunc(groups, func(a, b []int) int {
		return int(subs[a[0]].CampaignID - subs[b[0]].CampaignID)
	})
	mail := false
	for _, i := range fresh {
		mail = mail || subs[i].Email != ""
	}
	err := s.commitGroups(ctx, subs, groups, results, mail && s.jobs != nil)
	var doubt *inDoubt
	if errors.As(err, &doubt) {
		return nil, &store.InDoubtError{
			Err: fmt.Errorf("commit batch: %w", err),
			Resolve: func(ctx context.Context) ([]store.Result, error) {
				if err := s.resolve(ctx, doubt); err != nil {
					return nil, fmt.Errorf("commit batch: %w", err)
				}
				s.log.Warn("batch committed, though its connection failed before the answer", "size", len(subs), "err", doubt.err)
				repeats.Follow(results)
				return results, nil
			},
		}
	}
	if err != nil {
		for i := range results {
			results[i] = store.Result{}
		}
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	repeats.Follow(results)
	return results, nil
}

// commitGroups stores each group (the fresh submissions of one campaign)
// in one transaction, setting results, and enqueues the batch's mail jobs
// if mail.
func (s *Store) commitGroups(ctx context.Context, subs []pledge.Submission, groups [][]int, results []store.Result, mail bool) error {
	if len(groups) == 0 {
		return nil
	}
	conn, err := s.writer.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var xid int64 // the transaction's ID, read in its first round trip
	if !mail {
		err = storeGroups(ctx, conn.Conn(), subs, groups, results, true, &xid)
	} else {
		err = storeGroupsWithJobs(ctx, conn.Conn(), s.jobs, subs, groups, results, &xid)
	}
	if err == nil {
		return nil
	}
	// The next batch starts on a fresh connection: no transaction left
	// open (closing rolls it back) and statements prepared afresh, should a
	// schema change be what failed.
	closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = conn.Conn().Close(closing)
	if errors.Is(err, errCommitUnanswered) && xid != 0 {
		return &inDoubt{xid: xid, err: err}
	}
	return err
}

// inDoubt is commitGroups' error when transaction xid's COMMIT went
// unanswered: whether it committed is for resolve to find out.
type inDoubt struct {
	xid int64
	err error
}

func (u *inDoubt) Error() string { return u.err.Error() }
func (u *inDoubt) Unwrap() error { return u.err }

// resolve returns nil if the transaction of u committed, and
// an error if it did not or if that is still unknown when ctx ends. It
// asks at least once, for a moment, should ctx have ended already (the
// commit's time may be what ran out).
func (s *Store) resolve(ctx context.Context, u *inDoubt) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 500*time.Millisecond)
		defer cancel()
	}
	ok, err := s.committed(ctx, u.xid)
	switch {
	case err != nil:
		return fmt.Errorf("%w (and whether it committed is unknown: %w)", u.err, err)
	case !ok:
		return u.err
	}
	return nil
}

// errCommitUnanswered marks a failure after COMMIT was sent that the
// server did not answer as an error of its own: the transaction may have
// committed or not.
var errCommitUnanswered = errors.New("no answer to COMMIT")

// unanswered marks err, from a round trip that carried COMMIT, as
// errCommitUnanswered unless the server answered it with an error, which
// aborted the transaction. A FATAL one (the server ending the connection,
// as when an administrator terminates it) may come after the commit.
func unanswered(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Severity == "ERROR" {
		return err
	}
	return fmt.Errorf("%w: %w", errCommitUnanswered, err)
}

// storeGroupsWithJobs stores the groups and enqueues the batch's mail jobs
// in one transaction on conn, setting xid to its ID.
func storeGroupsWithJobs(ctx context.Context, conn *pgx.Conn, jobs *river.Client[pgx.Tx], subs []pledge.Submission, groups [][]int,
	results []store.Result, xid *int64) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) // nothing to roll back after Commit
	if err := storeGroups(ctx, tx, subs, groups, results, false, xid); err != nil {
		return err
	}
	if err := store.Enqueue(ctx, jobs, tx, store.BatchJobs(subs, results)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", unanswered(err))
	}
	return nil
}

// committed finds out whether transaction xid, whose COMMIT went
// unanswered, did commit: PostgreSQL keeps every transaction's outcome,
// and says "in progress" until the server process running it, which may
// still commit, has finished with it.
func (s *Store) committed(ctx context.Context, xid int64) (bool, error) {
	for {
		var status *string
		err := s.pool.QueryRow(ctx, `SELECT txid_status($1)`, xid).Scan(&status)
		switch {
		case err != nil:
		case status == nil:
			return false, fmt.Errorf("transaction %d: its outcome is no longer kept", xid)
		case *status == "committed":
			return true, nil
		case *status == "aborted":
			return false, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("transaction %d still in progress", xid)
			}
			return false, fmt.Errorf("%w: %w", err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// batchSender is a connection or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// storeGroups runs the statements of commitGroups in two pipelines. With
// own, the first begins the transaction and the second commits it;
// otherwise db is a transaction already. The first reads the
// transaction's ID into xid, for when its COMMIT goes unanswered.
func storeGroups(ctx context.Context, db batchSender, subs []pledge.Submission, groups [][]int, results []store.Result, own bool,
	xid *int64) error {
	writes := make([]campaignWrite, len(groups))
	first := &pgx.Batch{}
	if own {
		first.Queue("BEGIN")
	}
	first.Queue(`SELECT txid_current()`).QueryRow(func(row pgx.Row) error { return row.Scan(xid) })
	for k, group := range groups {
		writes[k].queueInsert(first, subs, group, results)
	}
	if err := db.SendBatch(ctx, first).Close(); err != nil {
		return err
	}
	second := &pgx.Batch{}
	for k := range writes {
		if err := writes[k].queueCounts(second, subs, results); err != nil {
			return err
		}
	}
	if own {
		second.Queue("COMMIT")
	}
	if second.Len() == 0 {
		return nil
	}
	if err := db.SendBatch(ctx, second).Close(); err != nil {
		if own {
			return fmt.Errorf("advance sequence and counts, and commit: %w", unanswered(err))
		}
		return fmt.Errorf("advance sequence and counts: %w", err)
	}
	return nil
}

// campaignWrite is one campaign's part of a batch.
type campaignWrite struct {
	id       int64
	group    []int // fresh submissions not pending, as indexes into subs
	rev      int64 // the regions revision they were checked against
	last     int64 // the campaign's last number before the batch
	stored   int64 // the campaign's regions revision, read with last
	inserted int64
}

// stale reports whether the campaign's regions changed since the
// submissions were checked; then the inserts stored nothing.
func (w *campaignWrite) stale() bool { return w.stored != w.rev }

// queueInsert queues locking the campaign's sequence row, storing the
// pending submissions of group and numbering and inserting the others. The
// results are set as the batch's results are read.
func (w *campaignWrite) queueInsert(b *pgx.Batch, subs []pledge.Submission, group []int, results []store.Result) {
	w.id = subs[group[0]].CampaignID
	w.rev = store.RegionsRev(subs, group)
	group = store.KeepRegionsRev(subs, group, w.rev, results)
	b.Queue(lockSeq, w.id).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&w.last, &w.stored); err != nil {
			return fmt.Errorf("lock campaign %d sequence: %w", w.id, err)
		}
		return nil
	})
	w.group = w.queuePending(b, subs, group, results)
	n := len(w.group)
	if n == 0 {
		return
	}
	names, hashes, masked := make([]string, n), make([][]byte, n), make([]string, n)
	emails, emailHashes := make([]*string, n), make([][]byte, n)
	regions, langs := make([]string, n), make([]string, n)
	created, sources := make([]time.Time, n), make([][]byte, n)
	at := make(map[string]int, n) // phone hash -> index in subs
	for j, i := range w.group {
		sub := &subs[i]
		names[j], hashes[j], masked[j] = sub.Name, sub.PhoneHash, sub.PhoneMasked
		if sub.Email != "" {
			emails[j] = &sub.Email
		}
		if len(sub.EmailHash) > 0 { // nil is NULL, which the unique index leaves out
			emailHashes[j] = sub.EmailHash
		}
		regions[j], langs[j], created[j] = sub.Region, sub.Lang, sub.CreatedAt
		sources[j] = pledge.SourceBytes(sub.Source)
		at[string(sub.PhoneHash)] = i
	}
	b.Queue(insertFresh, w.id, names, hashes, masked, emails, regions, langs, created, sources, w.rev, emailHashes).Query(func(rows pgx.Rows) error {
		var number int64
		var hash []byte
		_, err := pgx.ForEachRow(rows, []any{&number, &hash}, func() error {
			results[at[string(hash)]].Receipt = pledge.Receipt{CampaignID: w.id, Number: number}
			w.inserted++
			return nil
		})
		if err != nil {
			return fmt.Errorf("insert pledges: %w", err)
		}
		return nil
	})
}

// queueCounts checks the numbers the insert gave and queues advancing the
// sequence past them and adding them to the count rows.
func (w *campaignWrite) queueCounts(b *pgx.Batch, subs []pledge.Submission, results []store.Result) error {
	if w.stale() {
		if w.inserted > 0 {
			return fmt.Errorf("campaign %d: %d pledges stored against regions revision %d, not %d", w.id, w.inserted, w.rev, w.stored)
		}
		for _, i := range w.group {
			results[i].Err = pledge.ErrRegionsChanged
		}
		return nil
	}
	counts := make(map[string]int64)
	minutes := make(map[time.Time]int64)
	for _, i := range w.group {
		switch n := results[i].Receipt.Number; {
		case n == 0:
			results[i].Err = pledge.ErrDuplicate
			continue
		case n <= w.last || n > w.last+w.inserted:
			return fmt.Errorf("campaign %d: number %d outside %d..%d: a concurrent insert slipped past the sequence lock",
				w.id, n, w.last+1, w.last+w.inserted)
		}
		counts[subs[i].Region]++
		minutes[subs[i].CreatedAt.UTC().Truncate(time.Minute)]++
	}
	if w.inserted == 0 {
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
	starts := make([]time.Time, 0, len(minutes))
	for m := range minutes {
		starts = append(starts, m)
	}
	slices.SortFunc(starts, time.Time.Compare)
	perMinute := make([]int64, len(starts))
	for k, m := range starts {
		perMinute[k] = minutes[m]
	}
	b.Queue(advanceSeq, w.id, w.last+w.inserted)
	b.Queue(addCounts, w.id, codes, adds)
	b.Queue(addMinutes, w.id, starts, perMinute)
	return nil
}
