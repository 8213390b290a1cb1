package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testPendingByPhone: a pending pledge is found by its mobile number's
// hash, waiting and once confirmed, in its own campaign only; a later
// pledge of the number with another address replaces it, and is the one
// found.
func testPendingByPhone(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := pledge.NewHasher([]byte("k"))
	c := mustCampaignMode(t, s, "pending-by-phone", pledge.EmailRequired)
	other := mustCampaignMode(t, s, "pending-by-phone-other", pledge.EmailRequired)
	first := PendingSubmission(h, c.ID, 1, "N1")
	ids := mustPending(t, s, []pledge.Submission{first, PendingSubmission(h, c.ID, 2, "N1")})
	found := func(campaignID int64, phoneHash []byte) (int64, error) {
		t.Helper()
		return s.PendingByPhone(ctx, campaignID, phoneHash)
	}
	if id, err := found(c.ID, first.PhoneHash); err != nil || id != ids[0] {
		t.Errorf("PendingByPhone = %d, %v; want %d", id, err, ids[0])
	}
	if _, err := found(other.ID, first.PhoneHash); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("PendingByPhone in another campaign: %v, want ErrNotFound", err)
	}
	if _, err := found(c.ID, Submission(h, c.ID, 3, "N1").PhoneHash); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("PendingByPhone of a number never pledged: %v, want ErrNotFound", err)
	}

	// The same number with another address replaces the pledge waiting.
	again := WithEmail(h, PendingSubmission(h, c.ID, 1, "N1"), 101)
	replaced := mustPending(t, s, []pledge.Submission{again})
	if id, err := found(c.ID, first.PhoneHash); err != nil || id != replaced[0] {
		t.Errorf("PendingByPhone after the pledge was replaced = %d, %v; want the new one, %d", id, err, replaced[0])
	}
	mustConfirm(t, s, c.ID, ids[1], again.CreatedAt)
	if id, err := found(c.ID, PendingSubmission(h, c.ID, 2, "N1").PhoneHash); err != nil || id != ids[1] {
		t.Errorf("PendingByPhone once confirmed = %d, %v; want %d", id, err, ids[1])
	}
}
