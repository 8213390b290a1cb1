package dbcopy_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/dbcopy"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// discard is a logger that drops everything.
var discard = slog.New(slog.DiscardHandler)

// fixture is what fill stored in a SQLite database.
type fixture struct {
	path   string
	secret []byte
	h      *pledge.Hasher
	alpha  *pledge.Campaign // no email: pledges, an invalidation, a withdrawal
	optin  *pledge.Campaign // email required: a confirmed and a pending pledge
	// pendingID is the pending pledge left waiting; expiredID, a higher
	// one expiry removed (its ID must never be given again).
	pendingID, expiredID int64
}

// openSQLite opens the SQLite store at path.
func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, discard)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fill makes a SQLite database through the store, as the portal would
// have: campaigns with nested regions, counted pledges, an invalidation, a
// withdrawn pledge, a pending pledge, an admin and audit entries, a
// session. It leaves the store closed, as the portal stopped.
func fill(t *testing.T) fixture {
	t.Helper()
	ctx := t.Context()
	f := fixture{path: filepath.Join(t.TempDir(), "pledge.db")}
	s := openSQLite(t, f.path)
	defer s.Close()
	var err error
	if f.secret, err = s.Secret(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSecret(ctx, store.SecretFingerprint(f.secret)); err != nil {
		t.Fatal(err)
	}
	f.h = pledge.NewHasher(f.secret)

	f.alpha = storetest.Campaign("alpha")
	f.alpha.Goal = 1000
	f.alpha.ClosesAt = time.Date(2031, 5, 1, 12, 0, 0, 0, time.UTC)
	act := &pledge.Action{Actor: "officer", Remote: "192.0.2.1", Kind: "campaign-create", Detail: "alpha"}
	if err := s.CreateCampaign(ctx, f.alpha, act); err != nil {
		t.Fatal(err)
	}
	var subs []pledge.Submission
	for i := range 12 {
		sub := storetest.Submission(f.h, f.alpha.ID, i, storetest.Leaves[i%3])
		sub.CreatedAt = time.Date(2024, 3, 1, 10, i, 7, 123456000, time.UTC)
		sub.Source = netip.MustParseAddr("198.51.100.9")
		if i%4 == 0 {
			sub.Source = netip.MustParseAddr("100.64.0.7")
		}
		subs = append(subs, sub)
	}
	mustCommit(t, s, subs)
	if _, err := s.Invalidate(ctx, f.alpha.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("100.64.0.0/24")},
		"bot", "officer", &pledge.Action{Actor: "officer", Remote: "192.0.2.1", Kind: "invalidate", Detail: "alpha"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, f.alpha.ID, 2, time.Date(2024, 3, 2, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}

	f.optin = storetest.Campaign("optin")
	f.optin.Email = pledge.EmailRequired
	if err := s.CreateCampaign(ctx, f.optin, nil); err != nil {
		t.Fatal(err)
	}
	confirmed := mustCommit(t, s, []pledge.Submission{storetest.PendingSubmission(f.h, f.optin.ID, 100, "N2")})[0].Receipt.Pending
	if _, err := s.Confirm(ctx, f.optin.ID, confirmed, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.pendingID = mustCommit(t, s, []pledge.Submission{storetest.PendingSubmission(f.h, f.optin.ID, 101, "S1")})[0].Receipt.Pending
	old := storetest.PendingSubmission(f.h, f.optin.ID, 102, "S1")
	old.CreatedAt = time.Now().Add(-30 * 24 * time.Hour)
	f.expiredID = mustCommit(t, s, []pledge.Submission{old})[0].Receipt.Pending
	if n, err := s.ExpirePending(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("ExpirePending = %d, %v; want 1", n, err)
	}

	u := &pledge.User{Username: "officer", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA",
		Role: pledge.RoleAdmin, CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)}
	if err := s.CreateUser(ctx, u, &pledge.Action{Actor: "cli", Remote: "local", Kind: "user-add", Detail: "officer"}); err != nil {
		t.Fatal(err)
	}
	if err := s.LogAction(ctx, &pledge.Action{Actor: "officer", Remote: "192.0.2.1", Kind: "login"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionCommit(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// River's periodic expiry job is enqueued again at start: it must not
	// stop a copy.
	enqueue(t, s, river.InsertManyParams{Args: pledge.ExpirePendingArgs{}})
	return f
}

// enqueue inserts jobs into s's queue, through an insert-only client.
func enqueue(t *testing.T, s store.Store, jobs ...river.InsertManyParams) {
	t.Helper()
	if _, err := s.Jobs(&river.Config{Logger: discard}); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueJobs(t.Context(), jobs); err != nil {
		t.Fatal(err)
	}
}

// mustCommit commits subs, none of which may be refused.
func mustCommit(t *testing.T, s store.Store, subs []pledge.Submission) []store.Result {
	t.Helper()
	res, err := s.CommitBatch(t.Context(), subs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("submission %d: %v", i, r.Err)
		}
	}
	return res
}

// database is the URL of a PostgreSQL database of this package's own,
// made by TestMain, or "" to use PLEDGE_TEST_DATABASE_URL's. A copy
// refuses while a portal ("pledge serve" and the like) is connected to
// its target's database, which the process tests of other packages are,
// on the test database, whatever schema they use.
var database string

// TestMain makes the package's own database, if the test database is
// there and its role may, and drops it at the end.
func TestMain(m *testing.M) {
	base := os.Getenv("PLEDGE_TEST_DATABASE_URL")
	var name string
	if base != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, err := pgx.Connect(ctx, base)
		if err == nil {
			var b [6]byte
			_, _ = rand.Read(b[:])
			name = "test_dbcopy_" + hex.EncodeToString(b[:])
			if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
				fmt.Fprintf(os.Stderr, "create database %s (the copies use the test database): %v\n", name, err)
				name = ""
			} else if u, err := url.Parse(base); err == nil {
				u.Path = "/" + name
				database = u.String()
			}
			conn.Close(ctx)
		}
		cancel()
	}
	code := m.Run()
	if name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if conn, err := pgx.Connect(ctx, base); err == nil {
			if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
			}
			conn.Close(ctx)
		}
		cancel()
	}
	os.Exit(code)
}

// schema returns the URL of a new, empty PostgreSQL schema of t's own.
func schema(t *testing.T) string {
	t.Helper()
	if database == "" {
		return pgtest.New(t, nil)
	}
	pgtest.BaseURL(t)
	return pgtest.URL(t, database, pgtest.Schema(t, database), nil)
}

// target returns the URL of a new PostgreSQL schema of t's own, migrated
// by this build.
func target(t *testing.T) string {
	t.Helper()
	url := schema(t)
	s, err := postgres.Open(t.Context(), url, discard, postgres.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return url
}

// openPostgres opens the store at url as serve would, without migrating.
func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, discard, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// copyDB copies the SQLite database from into the PostgreSQL one to.
func copyDB(ctx context.Context, from, to string, drop bool) (dbcopy.Report, error) {
	return dbcopy.Copy(ctx, dbcopy.Options{From: from, To: to, DropUnsentMail: drop, Log: discard})
}

// tableRows returns how many rows each table of the schema at url has.
func tableRows(t *testing.T, url string) map[string]int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	out := make(map[string]int64)
	for _, name := range []string{"settings", "campaigns", "regions", "campaign_seq", "region_counts", "minute_counts",
		"invalidations", "pledges", "pending_pledges", "users", "admin_actions", "sessions"} {
		var n int64
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}
