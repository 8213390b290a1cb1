package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testCampaignsAudited: each change an administrator makes to a campaign
// or its pledges is stored with its audit entry; a change refused stores
// none. Invalidate and Anonymise complete the entry with their outcome.
func testCampaignsAudited(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []string // the details the log must hold, oldest first
	act := func(kind, detail string) *pledge.Action {
		return &pledge.Action{Actor: "deo", Remote: "203.0.113.9", Kind: kind, Detail: detail}
	}
	done := func(a *pledge.Action, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", a.Kind, err)
		}
		if a.ID == 0 || a.At.IsZero() {
			t.Errorf("%s entry: ID %d, At %v; want both set", a.Kind, a.ID, a.At)
		}
		want = append(want, a.Kind+" "+a.Detail)
	}
	refused := func(what string, err, target error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("%s = %v, want %v", what, err, target)
		}
	}

	c := Campaign("audited")
	c.ClosesAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // closed: it can be anonymised
	a := act("campaign-create", "audited")
	done(a, s.CreateCampaign(ctx, c, a))
	refused("CreateCampaign of a taken slug", s.CreateCampaign(ctx, Campaign("audited"), act("campaign-create", "again")), pledge.ErrDuplicate)

	stale := *c
	c.Goal = 1000
	a = act("campaign-edit", "goal 1000")
	done(a, s.UpdateCampaign(ctx, c, a))
	stale.Goal = 5
	refused("UpdateCampaign of an old version", s.UpdateCampaign(ctx, &stale, act("campaign-edit", "stale")), pledge.ErrEditConflict)
	gone := *c
	gone.ID = c.ID + 1000
	refused("UpdateCampaign of no campaign", s.UpdateCampaign(ctx, &gone, act("campaign-edit", "gone")), pledge.ErrNotFound)

	a = act("campaign-pause", "paused")
	done(a, s.SetPaused(ctx, c.ID, true, a))
	refused("SetPaused of no campaign", s.SetPaused(ctx, c.ID+1000, true, act("campaign-pause", "gone")), pledge.ErrNotFound)

	invalidationFixture(t, s, c)
	a = act("invalidate", "N1")
	inv, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Region: "N1"}, "bots", "deo", a)
	done(a, err)
	if wantDetail := fmt.Sprintf("N1; invalidation #%d: 4 pledges", inv.ID); a.Detail != wantDetail {
		t.Errorf("invalidation entry %q, want %q", a.Detail, wantDetail)
	}
	_, err = s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{}, "nothing", "deo", act("invalidate", "no criterion"))
	refused("Invalidate without a criterion", err, pledge.ErrNoCriterion)

	a = act("invalidate-revert", "reverted")
	done(a, s.RevertInvalidation(ctx, c.ID, inv.ID, a))
	refused("RevertInvalidation again", s.RevertInvalidation(ctx, c.ID, inv.ID, act("invalidate-revert", "again")), pledge.ErrReverted)

	open := mustCampaign(t, s, "audited-open")
	_, err = s.Anonymise(ctx, open.ID, act("anonymise", "open"))
	refused("Anonymise of an open campaign", err, pledge.ErrStillOpen)
	a = act("anonymise", "removed")
	_, err = s.Anonymise(ctx, c.ID, a)
	done(a, err)
	if want := "removed from 8 pledges; 0 unconfirmed pledges deleted"; a.Detail != want {
		t.Errorf("anonymisation entry %q, want %q", a.Detail, want)
	}

	acts, err := s.Actions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(acts) - 1; i >= 0; i-- {
		got = append(got, acts[i].Kind+" "+acts[i].Detail)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	if paused, err := s.Campaign(ctx, c.Slug); err != nil || !paused.Paused || paused.Goal != 1000 {
		t.Errorf("campaign after the changes: paused %v, goal %d, %v; want paused, goal 1000", paused.Paused, paused.Goal, err)
	}
}
