package storetest

import (
	"context"
	"errors"
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
