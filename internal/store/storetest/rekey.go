package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testRekeyAddresses: addresses stored with the keys of earlier releases
// (the case of the part before the @ kept; then a "+tag" and Gmail's dots)
// get the mailbox's key once, counted and pending alike, so the same
// mailbox spelt any way is one pledge again; a mailbox that pledged twice
// under the old keys keeps both rows.
func testRekeyAddresses(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "rekey", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	old := func(phone int, email string) pledge.Submission { // as a portal from before stored it
		sub := PendingSubmission(h, c.ID, phone, "N1")
		sub.Email, sub.EmailHash = email, h.Sum("email:"+email)
		return sub
	}
	caseBlind := func(phone int, email string) pledge.Submission { // as the release after it did
		sub := old(phone, email)
		sub.EmailHash = h.Sum("email:" + strings.ToLower(email))
		return sub
	}
	ids := mustPending(t, s, []pledge.Submission{
		old(1, "Asha@example.org"),  // to be confirmed
		old(2, "Ravi@example.org"),  // still pending
		old(3, "Mira@example.org"),  // and the same mailbox again, in lower case:
		old(4, "mira@example.org"),  // its old key is the new one already
		old(5, "neha@example.org"),  // lower case: nothing to do
		old(6, "Kiran@Example.org"), // confirmed below, then withdrawn: its address is gone
		old(7, "Ünal@example.org"),  // a capital beyond ASCII
		old(8, "Dev+Vote@example.org"),
		caseBlind(9, "sunita.rao@gmail.com"),
		caseBlind(10, "om@example.org"), // keyed as the mailbox already
	})
	mustConfirm(t, s, c.ID, ids[0], Submission(h, c.ID, 1, "N1").CreatedAt)
	mustConfirm(t, s, c.ID, ids[5], Submission(h, c.ID, 6, "N1").CreatedAt)
	if err := s.Withdraw(ctx, c.ID, 2, Submission(h, c.ID, 6, "N1").CreatedAt); err != nil {
		t.Fatal(err)
	}

	n, err := s.RekeyAddresses(ctx, h.Email)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 { // Asha's pledge, Ravi's, Ünal's, Dev's and Sunita's pending ones; Mira's would clash
		t.Errorf("RekeyAddresses rekeyed %d rows, want 5", n)
	}
	for i, email := range []string{"ASHA@example.org", "ravi@EXAMPLE.org", "MIRA@example.org", "ünal@example.org",
		"dev@example.org", "SunitaRao+2@googlemail.com", "om+1@example.org"} {
		sub := PendingSubmission(h, c.ID, 20+i, "N1")
		sub.Email, sub.EmailHash = email, h.Email(email)
		if res := mustCommit(t, s, []pledge.Submission{sub}); !errors.Is(res[0].Err, pledge.ErrDuplicate) {
			t.Errorf("%s after rekeying = %+v, want ErrDuplicate", email, res[0])
		}
	}
	if _, err := s.Pending(ctx, c.ID, ids[2]); err != nil {
		t.Errorf("Mira's first pending pledge, left with its old key: %v", err)
	}
	if again, err := s.RekeyAddresses(ctx, func(string) []byte { t.Fatal("rekeyed twice"); return nil }); err != nil || again != 0 {
		t.Errorf("RekeyAddresses again = %d, %v; want 0: once in the database's life", again, err)
	}
}
