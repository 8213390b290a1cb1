package jobs_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/jobs"
	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

var discard = slog.New(slog.DiscardHandler)

// backends runs f once per storage backend: SQLite always, PostgreSQL when
// PLEDGE_TEST_DATABASE_URL is set (and failing without it when
// PLEDGE_TEST_REQUIRE_SERVICES=1).
func backends(t *testing.T, f func(t *testing.T, open func(testing.TB) store.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite) })
	t.Run("postgres", func(t *testing.T) {
		pgtest.BaseURL(t) // skips, or fails when services are required
		f(t, openPostgres)
	})
}

func openSQLite(t testing.TB) store.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a store in a schema of its own.
func openPostgres(t testing.TB) store.Store {
	s, err := postgres.Open(context.Background(), pgtest.New(t, nil), discard, postgres.Options{MaxConns: 8, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// env is a store with River's client attached and running.
type env struct {
	store  store.Store
	links  *pledge.Links
	hasher *pledge.Hasher
	params jobs.Params
	client store.JobClient
}

// settings are what options change: the parameters, and River's config
// made from them.
type settings struct {
	params   jobs.Params
	periodic bool // run the periodic jobs (the expiry of pending pledges)
}

type option func(*settings)

func withRetry(d string) option {
	return func(s *settings) {
		v, err := time.ParseDuration(d)
		if err != nil {
			panic(err)
		}
		s.params.RetryBase = v
	}
}

func withTTL(d time.Duration) option { return func(s *settings) { s.params.PendingTTL = d } }

func withWorkers(n int) option { return func(s *settings) { s.params.Workers = n } }

// withoutPeriodic leaves out the periodic jobs, which a new client runs at
// once on start.
func withoutPeriodic() option { return func(s *settings) { s.periodic = false } }

const secret = "jobs test secret, long enough"

// newEnv attaches River to s with sender and starts it; it stops before s
// closes.
func newEnv(t testing.TB, s store.Store, sender mail.Sender, opts ...option) *env {
	p := jobs.Params{
		Store:       s,
		Sender:      sender,
		Links:       pledge.NewLinks([]byte(secret)),
		BaseURL:     "https://pledge.example.org",
		PendingTTL:  time.Hour,
		Workers:     4,
		RetryBase:   20 * time.Millisecond,
		RescueAfter: time.Minute,
		Log:         discard,
	}
	set := settings{params: p, periodic: true}
	for _, o := range opts {
		o(&set)
	}
	p = set.params
	cfg := jobs.Config(p)
	if !set.periodic {
		cfg.PeriodicJobs = nil
	}
	cfg.FetchCooldown = 10 * time.Millisecond
	cfg.FetchPollInterval = 50 * time.Millisecond
	jc, err := s.Jobs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{store: s, links: p.Links, hasher: pledge.NewHasher([]byte(secret)), params: p, client: jc}
	if p.Workers == 0 {
		return e
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.stop(t) })
	return e
}

// stop stops the workers, waiting for the jobs they are running.
func (e *env) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.client.Stop(ctx); err != nil {
		t.Errorf("stop jobs: %v", err)
	}
}

// waitDeferred waits until srv has answered 451 at least n times.
func waitDeferred(t testing.TB, srv *mailtest.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); srv.Deferred() < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the mail server deferred %d tries within 20s, want %d", srv.Deferred(), n)
		}
	}
}

// campaign creates an open campaign in English and Hindi with email mode.
func (e *env) campaign(t testing.TB, slug string, mode pledge.EmailMode) *pledge.Campaign {
	c := storetest.Campaign(slug)
	c.Email = mode
	c.Languages = []string{"en", "hi"}
	c.Title = pledge.Text{"en": "Vote Bilaspur", "hi": "मतदान बिलासपुर"}
	c.Pledge = pledge.Text{"en": "I will vote.", "hi": "मैं मतदान करूँगा।"}
	if err := e.store.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// submit commits one pledge number i with an email address (and, for a
// campaign that requires email, as pending).
func (e *env) submit(t testing.TB, c *pledge.Campaign, i int, email, lang string) pledge.Receipt {
	t.Helper()
	sub := storetest.Submission(e.hasher, c.ID, i, storetest.Leaves[i%3])
	sub.Email, sub.Lang = email, lang
	if c.Email == pledge.EmailRequired {
		sub.Pending, sub.EmailHash = true, e.hasher.Email(email)
	}
	res, err := e.store.CommitBatch(context.Background(), []pledge.Submission{sub})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	return res[0].Receipt
}
