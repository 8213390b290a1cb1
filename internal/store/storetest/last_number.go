package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testLastNumber: the last number counts every pledge ever numbered,
// invalidated and withdrawn ones too, whatever the counts say.
func testLastNumber(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "last-number")
	if n, err := s.LastNumber(ctx, c.ID); err != nil || n != 0 {
		t.Fatalf("LastNumber of a new campaign = %d, %v; want 0", n, err)
	}
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "N1"), Submission(h, c.ID, 2, "S1"), Submission(h, c.ID, 3, "N2")})
	if _, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "admin", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Withdraw(ctx, c.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n, err := s.LastNumber(ctx, c.ID); err != nil || n != 3 {
		t.Errorf("LastNumber = %d, %v; want 3 (one counted, one invalidated, one withdrawn)", n, err)
	}
	if _, err := s.LastNumber(ctx, c.ID+1000); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("LastNumber of no campaign: %v, want ErrNotFound", err)
	}
}

// testNumberByPhone: a pledge is found by its mobile number's hash, in its
// own campaign only.
func testNumberByPhone(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, other := mustCampaign(t, s, "by-phone"), mustCampaign(t, s, "by-phone-other")
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "N1"), Submission(h, c.ID, 2, "S1")})
	second := Submission(h, c.ID, 2, "S1").PhoneHash
	if n, err := s.NumberByPhone(ctx, c.ID, second); err != nil || n != 2 {
		t.Errorf("NumberByPhone = %d, %v; want 2", n, err)
	}
	if _, err := s.NumberByPhone(ctx, other.ID, second); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("NumberByPhone in another campaign: %v, want ErrNotFound", err)
	}
	if _, err := s.NumberByPhone(ctx, c.ID, Submission(h, c.ID, 3, "N1").PhoneHash); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("NumberByPhone of a number that has not pledged: %v, want ErrNotFound", err)
	}
}
