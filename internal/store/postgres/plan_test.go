package postgres

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// The tests below guard the de-duplication probes of CommitBatch against
// plans that read every pledge of the campaign. On a pledges partition that
// has never been analysed (a fresh campaign filling faster than autovacuum
// gets to it) the planner used to turn NOT EXISTS into an anti-join over a
// scan of all the campaign's pledges, and pgx's cached generic plan kept it:
// each batch then cost as much as the whole campaign. Each test fills one
// campaign through CommitBatch on a single connection (so the statement
// cache behaves as in production) with autovacuum off, and counts the pledge
// rows one more batch reads (pg_stat seq_tup_read + idx_tup_fetch over the
// partitions) at two campaign sizes: it must be bounded by the batch, not
// the campaign.
//
// The statements are first run planWarm times while the campaign is young,
// as when a campaign opens, in batches of planWarmSize. PostgreSQL builds
// the generic plan of a prepared statement at its sixth execution, and uses
// it from then on whenever it looks no dearer than the custom plans so far,
// as it does for batches of more than a few rows. Without statistics, a
// partition of about 150 pledges is where that plan goes wrong: each index
// is estimated to find one row for the campaign, so the smaller one wins,
// and the primary key (campaign_id, number) is smaller than the phone index
// (campaign_id, phone_hash). The probe then walks the campaign's entries in
// the primary key and filters them on phone_hash: each batch reads the whole
// campaign again (seen under load: one second per batch at 10,000 pledges).
// The warm-up reaches that size at the sixth batch, so the plan test fails
// if these statements are ever left to PostgreSQL's plan cache.
//
// They do not run in parallel: a schema created or dropped by another test
// resets every cached plan of the connection, which PostgreSQL would then
// plan again for the larger partition and so hide the regression.
const (
	planBatch    = 100 // submissions in a measured batch
	planDups     = 10  // resubmissions in each measured batch
	planSmall    = 1_000
	planLarge    = 10_000
	planWarm     = 8  // batches before filling (≥ 6: generic plans)
	planWarmSize = 30 // new submissions in each: 150 pledges after five
)

// TestBatchReadsIndependentOfCampaignSize guards the probe of the
// submissions numbered at once (insertFresh).
func TestBatchReadsIndependentOfCampaignSize(t *testing.T) {
	s := openOneConn(t)
	c := planCampaign(t, s, "plan", pledge.EmailNone)
	h := pledge.NewHasher([]byte("k"))
	checkBatchReads(t, s, planCase{
		fresh: func(i int) pledge.Submission {
			return storetest.Submission(h, c.ID, i, planLeaf(i))
		},
		again: func(_, old int) pledge.Submission {
			return storetest.Submission(h, c.ID, old, planLeaf(old))
		},
	})
}

// TestBatchReadsIndependentOfCampaignSizePending guards the two probes of
// double opt-in submissions (insertPendingSQL), which are stored as pending
// unless their number or their address has pledged. The campaign requires
// email, so its pledges carry address hashes; they are confirmed after each
// filling batch and their pending rows removed, as expiry does, so that
// only the probes of pledges turn the resubmissions away. Half of those
// come from a confirmed number (the phone probe finds them), half from a
// new number with a confirmed address (only the email probe does).
func TestBatchReadsIndependentOfCampaignSizePending(t *testing.T) {
	const newPhones = 1_000_000 // above the numbers fresh submissions use
	s := openOneConn(t)
	c := planCampaign(t, s, "plan-optin", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	checkBatchReads(t, s, planCase{
		fresh: func(i int) pledge.Submission {
			return storetest.PendingSubmission(h, c.ID, i, planLeaf(i))
		},
		again: func(k, old int) pledge.Submission {
			if k%2 == 0 {
				return storetest.PendingSubmission(h, c.ID, old, planLeaf(old))
			}
			sub := storetest.PendingSubmission(h, c.ID, newPhones+old, planLeaf(old))
			return storetest.WithEmail(h, sub, old)
		},
		settle: func() { confirmAll(t, s, c.ID) },
	})
}

// TestBatchReadsIndependentOfCampaignSizeOptionalEmail guards the address
// probe of insertFresh: where an address is optional, one given is one
// pledge per address. Half the resubmissions come from a stored number,
// half from a new number with a stored address.
func TestBatchReadsIndependentOfCampaignSizeOptionalEmail(t *testing.T) {
	const newPhones = 1_000_000 // above the numbers fresh submissions use
	s := openOneConn(t)
	c := planCampaign(t, s, "plan-optional", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	checkBatchReads(t, s, planCase{
		fresh: func(i int) pledge.Submission {
			return storetest.WithEmail(h, storetest.Submission(h, c.ID, i, planLeaf(i)), i)
		},
		again: func(k, old int) pledge.Submission {
			phone := old
			if k%2 == 1 {
				phone = newPhones + old
			}
			return storetest.WithEmail(h, storetest.Submission(h, c.ID, phone, planLeaf(old)), old)
		},
	})
}

// planCase is the kind of submission a plan test commits.
type planCase struct {
	// fresh returns the submission of the i-th distinct person.
	fresh func(i int) pledge.Submission
	// again returns the k-th resubmission of a measured batch, which the
	// store must turn away as a duplicate of person old's pledge.
	again func(k, old int) pledge.Submission
	// settle, if set, turns what the batches committed so far stored
	// into pledges.
	settle func()
}

// planCampaign creates a campaign named slug asking for email in mode.
func planCampaign(t *testing.T, s *Store, slug string, mode pledge.EmailMode) *pledge.Campaign {
	t.Helper()
	c := storetest.Campaign(slug)
	c.Email = mode
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// planLeaf is the region of the i-th person.
func planLeaf(i int) string { return storetest.Leaves[i%len(storetest.Leaves)] }

// checkBatchReads fills a campaign with pc's submissions to planSmall and
// then planLarge pledges and, at each size, measures the pledge rows read
// by one batch of planDups resubmissions and new submissions, as the intake
// sees them. It fails t unless the store stores exactly the new ones and
// each measure is at least planDups (a row for each duplicate found), at
// most planBatch, and no more than twice as large in the larger campaign.
func checkBatchReads(t *testing.T, s *Store, pc planCase) {
	t.Helper()
	ctx := context.Background()
	commit := func(subs []pledge.Submission, wantDups int) {
		t.Helper()
		res, err := s.CommitBatch(ctx, subs)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for i, r := range res {
			switch {
			case errors.Is(r.Err, pledge.ErrDuplicate):
				got++
			case r.Err != nil,
				subs[i].Pending && (r.Receipt.Pending == 0 || r.Receipt.Number != 0),
				!subs[i].Pending && r.Receipt.Number == 0:
				t.Fatalf("submission %d (pending %t): receipt %+v, error %v", i, subs[i].Pending, r.Receipt, r.Err)
			}
		}
		if got != wantDups {
			t.Fatalf("batch had %d duplicates, want %d", got, wantDups)
		}
	}
	settle := func() {
		if pc.settle != nil {
			pc.settle()
		}
	}
	n := 0 // people so far: 0..n-1 have pledged
	fill := func(size int) {
		t.Helper()
		for n < size {
			subs := make([]pledge.Submission, planBatch)
			for j := range subs {
				subs[j] = pc.fresh(n)
				n++
			}
			commit(subs, 0)
			settle()
		}
	}
	// measure commits a batch of new submissions and a few resubmissions
	// and returns the pledge rows it read.
	measure := func() int64 {
		t.Helper()
		subs := make([]pledge.Submission, 0, planBatch)
		for k := range planDups {
			subs = append(subs, pc.again(k, k*n/planDups))
		}
		for len(subs) < planBatch {
			subs = append(subs, pc.fresh(n))
			n++
		}
		before := pledgeReads(t, s)
		commit(subs, planDups)
		reads := pledgeReads(t, s) - before
		settle()
		return reads
	}

	// Warm up while the campaign is young: planWarmSize new submissions a
	// batch, every other one with a resubmission of an earlier one, so that
	// the probes also find a pledge.
	for w := range planWarm {
		subs := make([]pledge.Submission, 0, planWarmSize+1)
		for range planWarmSize {
			subs = append(subs, pc.fresh(n))
			n++
		}
		dups := 0
		if w%2 == 1 {
			subs = append(subs, pc.again(0, n-planWarmSize-1))
			dups = 1
		}
		commit(subs, dups)
		settle()
	}
	fill(planSmall)
	atSmall := measure()
	fill(planLarge)
	atLarge := measure()
	t.Logf("pledge rows read by a batch of %d (%d resubmitted): %d at %d pledges, %d at %d pledges",
		planBatch, planDups, atSmall, planSmall, atLarge, planLarge)
	for _, m := range []struct {
		size  int
		reads int64
	}{{planSmall, atSmall}, {planLarge, atLarge}} {
		if m.reads < planDups {
			t.Errorf("a batch with %d resubmissions read %d pledge rows at %d pledges: statistics not counted (track_counts off?)",
				planDups, m.reads, m.size)
		}
		if m.reads > planBatch {
			t.Errorf("a batch of %d into a campaign of %d pledges read %d pledge rows: a de-duplication probe scans the campaign",
				planBatch, m.size, m.reads)
		}
	}
	if atLarge > 2*atSmall {
		t.Errorf("a batch read %d pledge rows at %d pledges but %d at %d: its work grows with the campaign",
			atSmall, planSmall, atLarge, planLarge)
	}
}

// confirmAll confirms every pending pledge of a campaign, numbering them in
// order of arrival, and removes their pending rows, in one statement: the
// pledges rows are those Confirm makes, but Confirm is a transaction of its
// own for each pledge, too slow for filling a campaign. It neither counts
// the pledges nor mails, which the plan tests do not read.
func confirmAll(t *testing.T, s *Store, campaignID int64) {
	t.Helper()
	_, err := s.pool.Exec(context.Background(), `
WITH seq AS (
    SELECT last_number FROM campaign_seq WHERE campaign_id = $1 FOR UPDATE
), confirmed AS (
    DELETE FROM pending_pledges WHERE campaign_id = $1
    RETURNING id, campaign_id, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source
), moved AS (
    INSERT INTO pledges (campaign_id, number, name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source)
    SELECT campaign_id, last_number + row_number() OVER (ORDER BY id), name, phone_hash, phone_masked, email, email_hash, region, lang, created_at, source
    FROM confirmed, seq
    RETURNING 1
)
UPDATE campaign_seq SET last_number = last_number + (SELECT count(*) FROM moved) WHERE campaign_id = $1`, campaignID)
	if err != nil {
		t.Fatalf("confirm the pending pledges of campaign %d: %v", campaignID, err)
	}
}

// openOneConn returns a store of one connection (and the writer's one) on a
// schema of its own, so that the statement caches behave as in production
// and the statistics of each call can be flushed before they are read.
// Autovacuum is off for the pledges partitions, which are never analysed.
func openOneConn(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.New(t, nil)
	log := slog.New(slog.DiscardHandler)
	// River's migrations need more than one connection.
	m, err := Open(ctx, dsn, log, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	conn := m.pool
	defer m.Close()
	rows, err := conn.Query(ctx, `SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'pledges'::regclass`)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if _, err := conn.Exec(ctx, "ALTER TABLE "+p+" SET (autovacuum_enabled = false)"); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, dsn, log, Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pledgeReads returns the pledge rows read so far on the pledges partitions
// of s's schema (sequential scans and index fetches), after flushing the
// connection's pending statistics (PostgreSQL 15 or later). It fails the
// test if a partition has been analysed or vacuumed.
func pledgeReads(t *testing.T, s *Store) int64 {
	t.Helper()
	return statReads(t, s, "a pledges partition", `
SELECT coalesce(sum(st.seq_tup_read + coalesce(st.idx_tup_fetch, 0)), 0)::bigint, coalesce(bool_or(c.reltuples >= 0), false)
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_stat_user_tables st ON st.relid = i.inhrelid
WHERE i.inhparent = 'pledges'::regclass`)
}

// statReads flushes the pending statistics of both of s's connections
// (PostgreSQL 15 or later) and runs query, which returns the rows read so
// far and whether what it reads from has been analysed or vacuumed; it
// fails the test if it has.
func statReads(t *testing.T, s *Store, what, query string) int64 {
	t.Helper()
	ctx := context.Background()
	for _, p := range []*pgxpool.Pool{s.writer, s.pool} {
		if _, err := p.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatalf("flush statistics (PostgreSQL 15 or later): %v", err)
		}
	}
	var reads int64
	var analysed bool
	if err := s.pool.QueryRow(ctx, query).Scan(&reads, &analysed); err != nil {
		t.Fatalf("read the statistics of %s: %v", what, err)
	}
	if analysed {
		t.Fatalf("%s has been analysed or vacuumed: the test needs one that never was", what)
	}
	return reads
}

// Pending, Resend and Confirm look a pending pledge up by its ID. On a
// pending_pledges table that has never been analysed, the generic plan
// PostgreSQL caches for such a lookup while the campaign is young (a few
// pending pledges) used to be a scan of the (campaign_id, email_hash) index
// filtered on the ID, and pgx's statement cache kept it: each link followed
// then read every pending pledge of the campaign. Cached at a thousand
// pending pledges, the same generic plan would take the primary key, so
// the lookups must be planned while the table is small, as in production.
const (
	optinYoung = 10  // pending pledges when the lookups are first planned
	optinWarm  = 8   // calls of each lookup before measuring (≥ 6: generic plans)
	optinFill  = 500 // pending submissions committed at once when filling
	optinReads = 10  // most pending_pledges rows one call may read
)

// TestPendingReadsIndependentOfCampaignSize guards Pending, Resend and
// Confirm against plans that read the campaign's pending pledges. It plans
// their statements on one connection while the campaign has optinYoung
// pending pledges, with autovacuum off on pending_pledges, and counts the
// pending_pledges rows one call of each reads (sequential scans and index
// entries) with planSmall and then planLarge pending pledges: it must be
// small and no more than twice as large in the larger campaign.
//
// It does not run in parallel: a schema created or dropped by another test
// resets every cached plan of the connection, which PostgreSQL would then
// plan again for the larger table and so hide the regression.
func TestPendingReadsIndependentOfCampaignSize(t *testing.T) {
	ctx := context.Background()
	s := openOneConn(t)
	if _, err := s.pool.Exec(ctx, `ALTER TABLE pending_pledges SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	c := planCampaign(t, s, "plan-lookups", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	var ids []int64 // pending pledges, oldest first
	fill := func(size int) {
		t.Helper()
		for len(ids) < size {
			subs := make([]pledge.Submission, min(optinFill, size-len(ids)))
			for j := range subs {
				i := len(ids) + j
				subs[j] = storetest.PendingSubmission(h, c.ID, i, planLeaf(i))
			}
			res, err := s.CommitBatch(ctx, subs)
			if err != nil {
				t.Fatal(err)
			}
			for j, r := range res {
				if r.Err != nil || r.Receipt.Pending == 0 {
					t.Fatalf("pending submission %d: receipt %+v, error %v", len(ids)+j, r.Receipt, r.Err)
				}
				ids = append(ids, r.Receipt.Pending)
			}
		}
	}
	// next is the pending pledge the next calls use: each is confirmed.
	next := 0
	lookups := []struct {
		name string
		call func(id int64) error
	}{
		{"Pending", func(id int64) error {
			_, err := s.Pending(ctx, c.ID, id)
			return err
		}},
		{"Resend", func(id int64) error { return s.Resend(ctx, c.ID, id, 100) }},
		{"Confirm", func(id int64) error {
			r, err := s.Confirm(ctx, c.ID, id, time.Now())
			if err == nil && r.Number == 0 {
				err = errors.New("no pledge number")
			}
			return err
		}},
	}
	// measure calls each lookup on the next pending pledge and returns the
	// pending_pledges rows each call read.
	measure := func() []int64 {
		t.Helper()
		if next >= len(ids) {
			t.Fatal("no pending pledge left to confirm")
		}
		id := ids[next]
		next++
		reads := make([]int64, len(lookups))
		for k, l := range lookups {
			before := pendingReads(t, s)
			if err := l.call(id); err != nil {
				t.Fatalf("%s(%d): %v", l.name, id, err)
			}
			reads[k] = pendingReads(t, s) - before
		}
		return reads
	}

	fill(optinYoung)
	for range optinWarm {
		measure()
	}
	fill(planSmall)
	atSmall := measure()
	fill(planLarge)
	atLarge := measure()
	checkGenericPlans(t, s)
	for k, l := range lookups {
		t.Logf("pending_pledges rows read by %s: %d at %d pending pledges, %d at %d",
			l.name, atSmall[k], planSmall, atLarge[k], planLarge)
		for _, m := range []struct {
			size  int
			reads int64
		}{{planSmall, atSmall[k]}, {planLarge, atLarge[k]}} {
			if m.reads < 1 {
				t.Errorf("%s read %d pending_pledges rows at %d pending pledges: statistics not counted (track_counts off?)",
					l.name, m.reads, m.size)
			}
			if m.reads > optinReads {
				t.Errorf("%s of one pending pledge read %d pending_pledges rows in a campaign of %d: its lookup scans the campaign",
					l.name, m.reads, m.size)
			}
		}
		if atLarge[k] > 2*atSmall[k] {
			t.Errorf("%s read %d pending_pledges rows at %d pending pledges but %d at %d: its work grows with the campaign",
				l.name, atSmall[k], planSmall, atLarge[k], planLarge)
		}
	}
}

// checkGenericPlans fails t unless the statements of s's connection that
// look pending pledges up by ID have run on a generic plan, as they do in
// production once pgx has prepared them and run them a few times.
func checkGenericPlans(t *testing.T, s *Store) {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `
SELECT statement, generic_plans FROM pg_prepared_statements
WHERE statement LIKE '%FROM pending_pledges WHERE id = $1%' AND statement NOT LIKE '%pg_prepared_statements%'`)
	if err != nil {
		t.Fatal(err)
	}
	type plans struct {
		Statement string
		Generic   int64
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[plans])
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) == 0 {
		t.Fatal("no prepared statement looks pending pledges up by ID: the test no longer sees what it measures")
	}
	for _, p := range stmts {
		if p.Generic == 0 {
			t.Errorf("statement never ran on a generic plan (plan_cache_mode?): %s", p.Statement)
		}
	}
}

// pendingReads returns the pending_pledges rows read so far in s's schema
// (rows read by sequential scans and entries read from its indexes), after
// flushing the connection's pending statistics (PostgreSQL 15 or later). It
// fails the test if the table has been analysed or vacuumed.
func pendingReads(t *testing.T, s *Store) int64 {
	t.Helper()
	return statReads(t, s, "pending_pledges", `
SELECT st.seq_tup_read + (SELECT coalesce(sum(si.idx_tup_read), 0) FROM pg_stat_user_indexes si WHERE si.relid = c.oid)::bigint,
       c.reltuples >= 0
FROM pg_class c
JOIN pg_stat_user_tables st ON st.relid = c.oid
WHERE c.oid = 'pending_pledges'::regclass`)
}
