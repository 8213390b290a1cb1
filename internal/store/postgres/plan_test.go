package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
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
const (
	planBatch = 100 // submissions in a measured batch
	planDups  = 10  // resubmissions in each measured batch
	planSmall = 1_000
	planLarge = 10_000
)

// TestBatchReadsIndependentOfCampaignSize guards the probe of the
// submissions numbered at once (insertFresh).
func TestBatchReadsIndependentOfCampaignSize(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	if err := s.CreateCampaign(context.Background(), c); err != nil {
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
// pledges rows are those Confirm makes, but Confirm, a transaction of its
// own for each pledge, would take many seconds to fill a campaign, and more
// as it grows: its cached plans for pending_pledges, made while that table
// was small and never analysed, scan the campaign's pending rows. It
// neither counts the pledges nor mails, which the plan tests do not read.
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

// openOneConn returns a store of one connection on a schema of its own, so
// that all batches share one pgx statement cache and the statistics of each
// batch are flushed by the backend that reads them. Autovacuum is off for
// the pledges partitions, which are never analysed.
func openOneConn(t *testing.T) *Store {
	t.Helper()
	base := os.Getenv("PLEDGE_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_DATABASE_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_DATABASE_URL not set")
	}
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	log := slog.New(slog.DiscardHandler)
	// River's migrations need more than one connection.
	m, err := Open(ctx, u.String(), log, Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	rows, err := conn.Query(ctx, `SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = $1::regclass`, schema+".pledges")
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
	s, err := Open(ctx, u.String(), log, Options{MaxConns: 1})
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
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
		t.Fatalf("flush statistics (PostgreSQL 15 or later): %v", err)
	}
	var reads int64
	var analysed bool
	err := s.pool.QueryRow(ctx, `
SELECT coalesce(sum(st.seq_tup_read + coalesce(st.idx_tup_fetch, 0)), 0)::bigint, coalesce(bool_or(c.reltuples >= 0), false)
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_stat_user_tables st ON st.relid = i.inhrelid
WHERE i.inhparent = 'pledges'::regclass`).Scan(&reads, &analysed)
	if err != nil {
		t.Fatalf("read pledges statistics: %v", err)
	}
	if analysed {
		t.Fatal("a pledges partition has been analysed or vacuumed: the test needs one that never was")
	}
	return reads
}
