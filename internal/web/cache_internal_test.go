package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// countingStore counts campaign reloads and holds each one until release
// is closed, so that every caller arrives while the first is still reading.
type countingStore struct {
	store.Store
	loads   atomic.Int64
	release chan struct{}
}

// newCountingStore opens a SQLite store with the open campaign "vote".
func newCountingStore(t *testing.T) *countingStore {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "pledge.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateCampaign(ctx, storetest.Campaign("vote"), nil); err != nil {
		t.Fatal(err)
	}
	return &countingStore{Store: db, release: make(chan struct{})}
}

func (s *countingStore) Campaigns(ctx context.Context) ([]pledge.Campaign, error) {
	s.loads.Add(1)
	select {
	case <-s.release:
		return s.Store.Campaigns(ctx)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestCampaignCacheReloadsOnceForConcurrentMisses: requests that find the
// cache expired at the same moment share one read of the campaigns, and all
// of them get the campaign.
func TestCampaignCacheReloadsOnceForConcurrentMisses(t *testing.T) {
	ctx := context.Background()
	cs := newCountingStore(t)
	cc := newCampaignCache(cs, time.Second, time.Now)

	const callers = 50
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			c, err := cc.get(ctx, "vote")
			if err == nil && c.Slug != "vote" {
				err = errors.New("got campaign " + c.Slug)
			}
			errs <- err
		})
	}
	// Let every caller reach the cache before the one read finishes.
	for deadline := time.Now().Add(5 * time.Second); cs.loads.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(cs.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("get: %v", err)
		}
	}
	if n := cs.loads.Load(); n != 1 {
		t.Errorf("%d callers missing together read the campaigns %d times; want 1", callers, n)
	}
}

// TestCampaignCacheWaiterGivesUpWithItsContext: a request whose context ends
// while it waits for a stuck reload returns then with that error, not when
// the reload gives up.
func TestCampaignCacheWaiterGivesUpWithItsContext(t *testing.T) {
	ctx := context.Background()
	cs := newCountingStore(t)
	cc := newCampaignCache(cs, time.Second, time.Now)

	waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := cc.get(waitCtx, "vote")
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took >= refreshTimeout/2 {
		t.Errorf("get with a context that ends during a stuck reload = %v after %v; want DeadlineExceeded after about 50ms", err, took)
	}
	// Let the reload finish before the database closes.
	close(cs.release)
	if err := cc.refresh(ctx); err != nil {
		t.Errorf("refresh after release: %v", err)
	}
}

// earlyStore reads the campaigns as soon as it is asked, then holds the
// answer until release is closed: a reload that read before an edit and
// answers after it.
type earlyStore struct{ *countingStore }

func (s earlyStore) Campaigns(ctx context.Context) ([]pledge.Campaign, error) {
	s.loads.Add(1)
	list, err := s.Store.Campaigns(ctx)
	<-s.release
	return list, err
}

// TestCampaignCacheNewerWaitsOutAnEarlierReload: after the store refused
// a pledge for a regions edit, newer gets the campaign as read after the
// edit, even when a reload that read before it is still under way.
func TestCampaignCacheNewerWaitsOutAnEarlierReload(t *testing.T) {
	ctx := context.Background()
	cs := earlyStore{newCountingStore(t)}
	cc := newCampaignCache(cs, time.Second, time.Now)
	early := make(chan error, 1)
	go func() { early <- cc.refresh(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); cs.loads.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}

	c, err := cs.Store.Campaign(ctx, "vote")
	if err != nil {
		t.Fatal(err)
	}
	before := c.RegionsRev
	c.Regions = c.Regions[:len(c.Regions)-1] // S1 removed
	if err := cs.Store.UpdateCampaign(ctx, &c, nil); err != nil {
		t.Fatal(err)
	}
	got := make(chan *pledge.Campaign, 1)
	go func() {
		c, err := cc.newer(ctx, "vote")
		if err != nil {
			t.Errorf("newer: %v", err)
		}
		got <- c
	}()
	time.Sleep(50 * time.Millisecond) // newer joins the early reload
	close(cs.release)
	if err := <-early; err != nil {
		t.Fatal(err)
	}
	if c := <-got; c == nil || c.RegionsRev == before {
		t.Errorf("newer gave the campaign as read before the edit (RegionsRev %d)", before)
	}
}

// countsStore counts reads of the count rows; each waits while block is
// set, and fails while fail is.
type countsStore struct {
	store.Store
	calls atomic.Int64
	block atomic.Pointer[chan struct{}]
	fail  atomic.Bool
}

func (s *countsStore) Counts(ctx context.Context, id int64) (pledge.Counts, error) {
	s.calls.Add(1)
	if ch := s.block.Load(); ch != nil {
		<-*ch
	}
	if s.fail.Load() {
		return pledge.Counts{}, errors.New("connection refused")
	}
	return s.Store.Counts(ctx, id)
}

// clock is a settable time for the caches.
type clock struct{ t atomic.Int64 }

// newClock starts at the present.
func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newCountsFixture(t *testing.T) (*countsStore, *countCache, *clock, *pledge.Campaign) {
	t.Helper()
	cs := &countsStore{Store: newCountingStore(t).Store}
	c, err := cs.Campaign(context.Background(), "vote")
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	return cs, newCountCache(cs, time.Second, clk.now), clk, &c
}

// TestCountCacheServesOldCountsWhileReading: while one request reads the
// count rows, others get the counts they replace at once instead of
// queueing behind it.
func TestCountCacheServesOldCountsWhileReading(t *testing.T) {
	ctx := context.Background()
	cs, cc, clk, c := newCountsFixture(t)
	first, err := cc.get(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Second)
	release := make(chan struct{})
	cs.block.Store(&release)
	go func() { _, _ = cc.get(ctx, c) }()
	for deadline := time.Now().Add(5 * time.Second); cs.calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	done := make(chan *snapshot)
	go func() {
		s, _ := cc.get(ctx, c)
		done <- s
	}()
	select {
	case s := <-done:
		if s != first {
			t.Error("got other counts than the ones being replaced")
		}
	case <-time.After(5 * time.Second):
		t.Error("a request waited for another's read of the counts")
	}
	close(release)
}

// TestCountCacheBacksOffWhenTheDatabaseFails: a failed read serves the old
// counts, and the database is not asked again until they are another ttl
// old.
func TestCountCacheBacksOffWhenTheDatabaseFails(t *testing.T) {
	ctx := context.Background()
	cs, cc, clk, c := newCountsFixture(t)
	first, err := cc.get(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	cs.fail.Store(true)
	clk.advance(2 * time.Second)
	for i := range 3 {
		if s, err := cc.get(ctx, c); err != nil || s != first {
			t.Fatalf("get %d while the database fails = %v, %v; want the old counts", i+1, s, err)
		}
	}
	if n := cs.calls.Load(); n != 2 {
		t.Errorf("%d reads of the counts, want 2: one that worked, one that failed", n)
	}
	clk.advance(2 * time.Second)
	_, _ = cc.get(ctx, c)
	if n := cs.calls.Load(); n != 3 {
		t.Errorf("%d reads after another second, want 3", n)
	}
}

// TestCampaignCacheBacksOffWhenTheDatabaseFails: after a failed reload the
// campaigns held serve another ttl without asking the database.
func TestCampaignCacheBacksOffWhenTheDatabaseFails(t *testing.T) {
	ctx := context.Background()
	cs := newCountingStore(t)
	close(cs.release)
	clk := newClock()
	cc := newCampaignCache(cs, time.Second, clk.now)
	if _, err := cc.get(ctx, "vote"); err != nil {
		t.Fatal(err)
	}
	if err := cs.Store.Close(); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Second)
	for i := range 3 {
		if c, err := cc.get(ctx, "vote"); err != nil || c.Slug != "vote" {
			t.Fatalf("get %d with the database closed = %v, %v; want the campaign held", i+1, c, err)
		}
	}
	if n := cs.loads.Load(); n != 2 {
		t.Errorf("%d reloads, want 2: one that worked, one that failed", n)
	}
}

// TestCampaignCacheMadeUpSlugs: requests for slugs that do not exist read
// the campaigns at most once a second, however many come.
func TestCampaignCacheMadeUpSlugs(t *testing.T) {
	ctx := context.Background()
	cs := newCountingStore(t)
	close(cs.release)
	clk := newClock()
	cc := newCampaignCache(cs, 5*time.Second, clk.now)
	for i := range 100 {
		if _, err := cc.get(ctx, fmt.Sprintf("no-such-%d", i)); !errors.Is(err, pledge.ErrNotFound) {
			t.Fatalf("get of a made-up slug = %v, want ErrNotFound", err)
		}
	}
	if n := cs.loads.Load(); n != 1 {
		t.Errorf("100 made-up slugs read the campaigns %d times, want 1", n)
	}
	clk.advance(time.Second)
	if c, err := cc.get(ctx, "vote"); err != nil || c.Slug != "vote" {
		t.Errorf("get(vote) = %v, %v", c, err)
	}
}
