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
// makes none of them: the campaign c (stored, not paused) stays as it was,
// and no campaign is created.
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
}
