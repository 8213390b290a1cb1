package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// AnonymisedFoundInTheLog checks the migration that gives campaigns the
// time they were anonymised: a campaign anonymised before it is found by
// its entry in the audit log; one whose slug merely begins the same is
// not, nor one that reopened since. On s, freshly migrated, it makes the
// campaigns and entries; undo takes the migration back as the backend
// can (and closes s), and reopen migrates the database again.
func AnonymisedFoundInTheLog(t *testing.T, s store.Store, undo func(), reopen func() store.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for slug, closes := range map[string]time.Time{"gone": at.Add(-time.Hour), "gone-2": at.Add(-time.Hour), "reopened": at.Add(time.Hour)} {
		c := Campaign(slug)
		c.ClosesAt = closes
		if err := s.CreateCampaign(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"gone", "reopened"} {
		entry := &pledge.Action{At: at, Actor: "admin", Remote: "127.0.0.1", Kind: "anonymise",
			Detail: slug + ": e-mail and network addresses removed from 3 pledges; 0 unconfirmed pledges deleted"}
		if err := s.LogAction(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	undo()
	s = reopen()
	defer s.Close()
	// One set to close after it was anonymised is left to be anonymised
	// again, rather than kept from every edit.
	for slug, want := range map[string]time.Time{"gone": at, "gone-2": {}, "reopened": {}} {
		c, err := s.Campaign(ctx, slug)
		if err != nil || !c.AnonymisedAt.Equal(want) {
			t.Errorf("%s: anonymised at %v (%v), want %v", slug, c.AnonymisedAt, err, want)
		}
	}
}
