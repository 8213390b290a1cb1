package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testCampaignEditConflict: an edit made to a copy read before another edit
// was saved is refused whole, and of edits made to one version at once
// exactly one is saved.
func testCampaignEditConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "two-admins")
	if c.Version != 1 {
		t.Fatalf("CreateCampaign set Version %d, want 1", c.Version)
	}
	first, _ := s.Campaign(ctx, "two-admins")
	second, _ := s.Campaign(ctx, "two-admins")
	if first.Version != 1 {
		t.Fatalf("Campaign read Version %d, want 1", first.Version)
	}

	first.Goal = 10
	if err := s.UpdateCampaign(ctx, &first, nil); err != nil {
		t.Fatal(err)
	}
	if first.Version != 2 {
		t.Errorf("UpdateCampaign set Version %d, want 2", first.Version)
	}
	saved, _ := s.Campaign(ctx, "two-admins")
	if diff := cmp.Diff(first, saved); diff != "" {
		t.Errorf("after the first edit (-want +got):\n%s", diff)
	}

	second.Goal = 20
	second.Regions = second.Regions[:len(second.Regions)-1] // would advance RegionsRev
	err := s.UpdateCampaign(ctx, &second, nil)
	if !errors.Is(err, pledge.ErrEditConflict) {
		t.Fatalf("edit of a stale copy = %v, want ErrEditConflict", err)
	}
	if second.Version != 1 {
		t.Errorf("a refused edit changed the copy's Version to %d", second.Version)
	}
	if got, _ := s.Campaign(ctx, "two-admins"); !cmp.Equal(saved, got) {
		t.Errorf("a refused edit changed the campaign (-want +got):\n%s", cmp.Diff(saved, got))
	}

	// Made again on the campaign as it is now, it is saved.
	again := saved
	again.Goal = 20
	if err := s.UpdateCampaign(ctx, &again, nil); err != nil || again.Version != 3 {
		t.Fatalf("edit of the current version = %v, Version %d; want nil, 3", err, again.Version)
	}

	// Pausing is not an edit: a copy read before a pause may still be saved
	// (CampaignSetPaused checks that the pause survives).
	if err := s.SetPaused(ctx, c.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Campaign(ctx, "two-admins"); got.Version != 3 {
		t.Errorf("SetPaused changed Version to %d, want 3", got.Version)
	}

	const editors = 8
	base, _ := s.Campaign(ctx, "two-admins")
	var wg sync.WaitGroup
	errs := make([]error, editors)
	for i := range editors {
		wg.Go(func() {
			edit := base
			edit.Goal = int64(100 + i)
			errs[i] = s.UpdateCampaign(ctx, &edit, nil)
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("editors %d and %d both saved an edit of version %d", won, i, base.Version)
		case err == nil:
			won = i
		case !errors.Is(err, pledge.ErrEditConflict):
			t.Errorf("editor %d: %v, want nil or ErrEditConflict", i, err)
		}
	}
	got, _ := s.Campaign(ctx, "two-admins")
	if won < 0 || got.Goal != int64(100+won) || got.Version != base.Version+1 {
		t.Errorf("after %d concurrent edits: winner %d, Goal %d, Version %d; want one winner's goal and version %d",
			editors, won, got.Goal, got.Version, base.Version+1)
	}
}
