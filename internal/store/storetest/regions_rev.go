package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// regionsRev reads the campaign's RegionsRev, by slug and in the list,
// failing unless both agree.
func regionsRev(t *testing.T, s store.Store, c *pledge.Campaign) int64 {
	t.Helper()
	ctx := context.Background()
	got, err := s.Campaign(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.Campaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.ID == c.ID && l.RegionsRev != got.RegionsRev {
			t.Fatalf("RegionsRev %d in the list, %d by slug", l.RegionsRev, got.RegionsRev)
		}
	}
	return got.RegionsRev
}

// testRegionsRevEdits: an edit that takes away a region a pledge could
// name (removes it, or gives it a sub-region) advances RegionsRev; other
// edits leave it.
func testRegionsRevEdits(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "rev-edits")
	rev := regionsRev(t, s, c)
	update := func(name string, edit *pledge.Campaign, advances bool) {
		t.Helper()
		if err := s.UpdateCampaign(ctx, edit, nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := regionsRev(t, s, c)
		if edit.RegionsRev != got {
			t.Errorf("%s: UpdateCampaign set RegionsRev %d, the store has %d", name, edit.RegionsRev, got)
		}
		if advances && got <= rev || !advances && got != rev {
			t.Errorf("%s: RegionsRev %d -> %d, want it to advance: %v", name, rev, got, advances)
		}
		rev = got
		*c = *edit
	}
	retitled := *c
	retitled.Title = pledge.Text{"en": "Renamed", "hi": "नया नाम"}
	update("new title", &retitled, false)
	added := *c
	added.Regions = append(append([]pledge.Region(nil), c.Regions...), pledge.Region{Code: "S2", Name: pledge.Text{"en": "South Two"}})
	update("leaf added", &added, false)
	renamed := *c
	renamed.Regions = append([]pledge.Region(nil), c.Regions...)
	renamed.Regions[1].Name = pledge.Text{"en": "North 1"}
	update("leaf renamed", &renamed, false)
	update("leaf removed", withoutRegion(c, "S2"), true)
	parent := *c
	parent.Regions = append(append([]pledge.Region(nil), c.Regions...), pledge.Region{Code: "S1A", Parent: "S1", Name: pledge.Text{"en": "South One A"}})
	update("leaf made a parent", &parent, true)
}

// testRegionsRevBatch: a submission checked against the regions before an
// edit took one away is refused with pledge.ErrRegionsChanged and stores
// nothing, pending or not, whatever its region; one checked against the
// regions after is stored and numbered as if the refused were not there.
func testRegionsRevBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "rev-batch", pledge.EmailOptional)
	before := regionsRev(t, s, c)
	if err := s.UpdateCampaign(ctx, withoutRegion(c, "S1"), nil); err != nil {
		t.Fatal(err)
	}
	after := regionsRev(t, s, c)
	h := pledge.NewHasher([]byte("k"))
	at := func(sub pledge.Submission, rev int64) pledge.Submission {
		sub.RegionsRev = rev
		return sub
	}
	stale := []pledge.Submission{
		at(Submission(h, c.ID, 1, "S1"), before), // the removed region, from a stale cache
		at(WithEmail(h, Submission(h, c.ID, 2, "N1"), 2), before),
	}
	// A batch of stale submissions alone, then beside a fresh one.
	for i, r := range mustCommit(t, s, stale) {
		if !errors.Is(r.Err, pledge.ErrRegionsChanged) {
			t.Errorf("stale alone, submission %d: err %v, want ErrRegionsChanged", i+1, r.Err)
		}
	}
	// The same number twice from a stale cache (a double tap): neither is
	// stored, so neither is "already pledged".
	for i, r := range mustCommit(t, s, []pledge.Submission{stale[1], stale[1]}) {
		if !errors.Is(r.Err, pledge.ErrRegionsChanged) {
			t.Errorf("stale double tap, copy %d: err %v, want ErrRegionsChanged", i+1, r.Err)
		}
	}
	res := mustCommit(t, s, append(stale, at(Submission(h, c.ID, 3, "N1"), after)))
	for i, want := range []error{pledge.ErrRegionsChanged, pledge.ErrRegionsChanged, nil} {
		if !errors.Is(res[i].Err, want) {
			t.Errorf("submission %d: err %v, want %v", i+1, res[i].Err, want)
		}
	}
	if res[2].Receipt.Number != 1 {
		t.Errorf("fresh submission numbered %d, want 1", res[2].Receipt.Number)
	}
	counts, err := s.Counts(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Total != 1 || counts.Regions["S1"] != 0 || counts.Regions["N1"] != 1 {
		t.Errorf("counts %+v, want 1 in N1 only", counts)
	}
	MustAudit(t, s, c.ID)
	// Refused, not taken: checked again, the second number is stored.
	res = mustCommit(t, s, []pledge.Submission{at(Submission(h, c.ID, 2, "N1"), after)})
	if res[0].Err != nil || res[0].Receipt.Number != 2 {
		t.Errorf("number 2 again: %+v, want stored as 2", res[0])
	}

	pc := mustCampaignMode(t, s, "rev-pending", pledge.EmailRequired)
	before = regionsRev(t, s, pc)
	if err := s.UpdateCampaign(ctx, withoutRegion(pc, "S1"), nil); err != nil {
		t.Fatal(err)
	}
	after = regionsRev(t, s, pc)
	res = mustCommit(t, s, []pledge.Submission{at(PendingSubmission(h, pc.ID, 1, "N1"), before)})
	if !errors.Is(res[0].Err, pledge.ErrRegionsChanged) || res[0].Receipt.Pending != 0 {
		t.Errorf("stale pending submission: %+v, want ErrRegionsChanged", res[0])
	}
	res = mustCommit(t, s, []pledge.Submission{at(PendingSubmission(h, pc.ID, 1, "N1"), after)})
	if res[0].Err != nil || res[0].Receipt.Pending == 0 {
		t.Errorf("the same pending submission checked again: %+v, want stored", res[0])
	}
}
