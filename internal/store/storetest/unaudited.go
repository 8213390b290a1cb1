package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// MustNotChangeUnaudited fails t unless s refuses changes whose audit
// entry act cannot be written (the caller has made writing it fail), and
// makes none of them: the campaign c (stored, not paused, without pledges)
// stays as it was, no campaign is created, and the name of the pledge
// committed to c here stays as it was stored.
func MustNotChangeUnaudited(t *testing.T, s store.Store, c *pledge.Campaign, act *pledge.Action) {
	t.Helper()
	ctx := context.Background()
	if err := s.SetPaused(ctx, c.ID, true, act); err == nil {
		t.Error("SetPaused succeeded without its audit entry")
	}
	other := Campaign(c.Slug + "-other")
	if err := s.CreateCampaign(ctx, other, act); err == nil {
		t.Error("CreateCampaign succeeded without its audit entry")
	}
	if got, err := s.Campaign(ctx, c.Slug); err != nil || got.Paused {
		t.Errorf("campaign paused %v (%v) though its audit entry failed", got.Paused, err)
	}
	if _, err := s.Campaign(ctx, other.Slug); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("campaign created (%v) though its audit entry failed", err)
	}
	sub := Submission(pledge.NewHasher([]byte("k")), c.ID, 1, "N1")
	if res, err := s.CommitBatch(ctx, []pledge.Submission{sub}); err != nil || res[0].Err != nil {
		t.Fatalf("CommitBatch: %v %v", err, res)
	}
	if _, err := s.CorrectName(ctx, c.ID, 1, "Ramesh Kumar", 0, act); err == nil {
		t.Error("CorrectName succeeded without its audit entry")
	}
	if p, err := s.Pledge(ctx, c.ID, 1); err != nil || p.Name != sub.Name {
		t.Errorf("pledge named %q (%v) though its audit entry failed, want %q", p.Name, err, sub.Name)
	}
}
