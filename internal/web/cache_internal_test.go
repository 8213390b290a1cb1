package web

import (
	"context"
	"errors"
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
	if err := db.CreateCampaign(ctx, storetest.Campaign("vote")); err != nil {
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
	if err := cs.Store.UpdateCampaign(ctx, &c); err != nil {
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
