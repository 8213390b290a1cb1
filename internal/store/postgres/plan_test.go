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

// TestBatchReadsIndependentOfCampaignSize guards the de-duplication probe of
// CommitBatch (insertFresh) against plans that read every pledge of the
// campaign. On a pledges partition that has never been analysed (a fresh
// campaign filling faster than autovacuum gets to it) the planner used to
// turn NOT EXISTS into an anti-join over a scan of all the campaign's
// pledges, and pgx's cached generic plan kept it: each batch then cost as
// much as the whole campaign. The test fills one campaign through
// CommitBatch on a single connection (so the statement cache behaves as in
// production) with autovacuum off, and counts the pledge rows one more
// batch reads (pg_stat seq_tup_read + idx_tup_fetch over the partitions) at
// two campaign sizes: it must be bounded by the batch, not the campaign.
func TestBatchReadsIndependentOfCampaignSize(t *testing.T) {
	t.Parallel()
	const (
		batchSize = 100
		dups      = 10 // resubmitted numbers in each measured batch
		small     = 1_000
		large     = 10_000
	)
	ctx := context.Background()
	s := openOneConn(t)
	c := storetest.Campaign("plan")
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	h := pledge.NewHasher([]byte("k"))
	n := 0 // numbers used so far: 0..n-1 have pledged
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
			case r.Err != nil || r.Receipt.Number == 0:
				t.Fatalf("submission %d: receipt %+v, error %v", i, r.Receipt, r.Err)
			}
		}
		if got != wantDups {
			t.Fatalf("batch had %d duplicates, want %d", got, wantDups)
		}
	}
	fill := func(size int) {
		for n < size {
			subs := make([]pledge.Submission, batchSize)
			for j := range subs {
				subs[j] = storetest.Submission(h, c.ID, n, storetest.Leaves[n%len(storetest.Leaves)])
				n++
			}
			commit(subs, 0)
		}
	}
	// measure commits a batch of new numbers and a few resubmissions, as
	// the intake sees them, and returns the pledge rows it read.
	measure := func() int64 {
		subs := make([]pledge.Submission, 0, batchSize)
		for j := range dups {
			old := j * n / dups
			subs = append(subs, storetest.Submission(h, c.ID, old, storetest.Leaves[old%len(storetest.Leaves)]))
		}
		for len(subs) < batchSize {
			subs = append(subs, storetest.Submission(h, c.ID, n, storetest.Leaves[n%len(storetest.Leaves)]))
			n++
		}
		before := pledgeReads(t, s)
		commit(subs, dups)
		return pledgeReads(t, s) - before
	}

	fill(small)
	atSmall := measure()
	fill(large)
	atLarge := measure()
	t.Logf("pledge rows read by a batch of %d (%d resubmitted): %d at %d pledges, %d at %d pledges",
		batchSize, dups, atSmall, small, atLarge, large)
	for _, m := range []struct {
		size  int
		reads int64
	}{{small, atSmall}, {large, atLarge}} {
		if m.reads < dups {
			t.Errorf("a batch with %d resubmissions read %d pledge rows at %d pledges: statistics not counted (track_counts off?)",
				dups, m.reads, m.size)
		}
		if m.reads > batchSize {
			t.Errorf("a batch of %d into a campaign of %d pledges read %d pledge rows: the de-duplication probe scans the campaign",
				batchSize, m.size, m.reads)
		}
	}
	if atLarge > 2*atSmall {
		t.Errorf("a batch read %d pledge rows at %d pledges but %d at %d: its work grows with the campaign",
			atSmall, small, atLarge, large)
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
