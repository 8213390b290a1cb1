package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testRegionInUseAfterInvalidation: a region whose pledges are all
// invalidated still has them, so an edit may not remove it.
func testRegionInUseAfterInvalidation(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "in-use")
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "S1"), Submission(h, c.ID, 2, "N1")})
	if _, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "admin", nil); err != nil {
		t.Fatal(err)
	}
	if counts, _ := s.Counts(ctx, c.ID); counts.Regions["S1"] != 0 {
		t.Fatalf("S1 counts %d after invalidating its pledges", counts.Regions["S1"])
	}
	if err := s.UpdateCampaign(ctx, withoutRegion(c, "S1"), nil); !errors.Is(err, pledge.ErrRegionInUse) {
		t.Fatalf("removing S1, whose pledges are invalidated = %v, want ErrRegionInUse", err)
	}
}

// testRegionInUseWhilePending: a region whose only pledges wait for their
// address to be confirmed is in use too: confirming them later counts them
// there, so an edit may neither remove it nor make it a parent.
func testRegionInUseWhilePending(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "in-use-pending", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{PendingSubmission(h, c.ID, 1, "S1"), Submission(h, c.ID, 2, "N1")})
	if err := s.UpdateCampaign(ctx, withoutRegion(c, "S1"), nil); !errors.Is(err, pledge.ErrRegionInUse) {
		t.Fatalf("removing S1, which holds a pending pledge = %v, want ErrRegionInUse", err)
	}
	parent := *c
	parent.Regions = append(append([]pledge.Region(nil), c.Regions...), pledge.Region{Code: "S9", Parent: "S1", Name: pledge.Text{"en": "South Nine", "hi": "दक्षिण नौ"}})
	if err := s.UpdateCampaign(ctx, &parent, nil); !errors.Is(err, pledge.ErrRegionInUse) {
		t.Fatalf("making S1, which holds a pending pledge, a parent = %v, want ErrRegionInUse", err)
	}
}

// withoutRegion returns a copy of c without the region named code.
func withoutRegion(c *pledge.Campaign, code string) *pledge.Campaign {
	edit := *c
	edit.Regions = nil
	for _, r := range c.Regions {
		if r.Code != code {
			edit.Regions = append(edit.Regions, r)
		}
	}
	return &edit
}

// testRegionsInUse: RegionsInUse lists the regions an edit may neither
// remove nor make parents, the campaign's own only: those pledges are
// counted in, invalidated ones too, and those pending pledges wait in. An
// edit refused for them names them once, as CheckRegionsInUse does with
// that list.
func testRegionsInUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "in-use-list", pledge.EmailRequired)
	other := mustCampaign(t, s, "in-use-other")
	h := pledge.NewHasher([]byte("k"))
	used, err := s.RegionsInUse(ctx, c.ID)
	if err != nil || len(used) != 0 {
		t.Fatalf("RegionsInUse of a campaign without pledges = %v, %v; want none", used, err)
	}
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "S1"), PendingSubmission(h, c.ID, 2, "N2"),
		Submission(h, other.ID, 3, "N1")})
	if _, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "admin", nil); err != nil {
		t.Fatal(err)
	}
	used, err = s.RegionsInUse(ctx, c.ID)
	if err != nil || !slices.Equal(used, []string{"N2", "S1"}) {
		t.Fatalf("RegionsInUse = %v, %v; want [N2 S1]", used, err)
	}

	edit := withoutRegion(c, "S1")
	edit.Regions = append(edit.Regions, pledge.Region{Code: "N2A", Parent: "N2", Name: pledge.Text{"en": "a", "hi": "a"}})
	for i := range edit.Regions {
		if edit.Regions[i].Code == "N2" {
			edit.Regions[i].Parent = "" // N2 top-level, so N2A is two levels
		}
	}
	const want = "region S1 has pledges and cannot be removed; region N2 has pledges and cannot get sub-regions"
	checked := store.CheckRegionsInUse(edit, used)
	err = s.UpdateCampaign(ctx, edit, nil)
	for _, err := range []error{checked, err} {
		if !errors.Is(err, pledge.ErrRegionInUse) || err.Error() != want {
			t.Errorf("refusal = %v, want ErrRegionInUse saying %q", err, want)
		}
	}
}
