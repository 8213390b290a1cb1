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
// under the old keys keeps both rows, whether one of them held the new key
// already or neither did (then one takes it, the other keeps its old key).
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
	// Twice the same mailbox, under two old keys neither of which is its
	// new one: pending in c, and confirmed in d; and once more pending in
	// d, where the key is free.
	d := mustCampaignMode(t, s, "rekey-twice", pledge.EmailRequired)
	twice := mustPending(t, s, []pledge.Submission{
		old(11, "A.B@gmail.com"), old(12, "a.b+x@gmail.com"), // in c
		func() pledge.Submission { sub := old(13, "Cd@example.org"); sub.CampaignID = d.ID; return sub }(),
		func() pledge.Submission { sub := old(14, "cd+news@example.org"); sub.CampaignID = d.ID; return sub }(),
		func() pledge.Submission { sub := old(15, "a.b@Gmail.com"); sub.CampaignID = d.ID; return sub }(),
	})
	for i, id := range twice[2:4] {
		mustConfirm(t, s, d.ID, id, Submission(h, d.ID, 13+i, "N1").CreatedAt)
	}

	n, err := s.RekeyAddresses(ctx, h.Email)
	if err != nil {
		t.Fatal(err)
	}
	// Asha's pledge, Ravi's, Ünal's, Dev's and Sunita's pending ones, and
	// one of each mailbox pledged twice, A.B's and Cd's, and a.b's in the
	// other campaign; Mira's would clash.
	if n != 8 {
		t.Errorf("RekeyAddresses rekeyed %d rows, want 8", n)
	}
	for i, email := range []string{"ASHA@example.org", "ravi@EXAMPLE.org", "MIRA@example.org", "ünal@example.org",
		"dev@example.org", "SunitaRao+2@googlemail.com", "om+1@example.org"} {
		sub := PendingSubmission(h, c.ID, 20+i, "N1")
		sub.Email, sub.EmailHash = email, h.Email(email)
		if res := mustCommit(t, s, []pledge.Submission{sub}); !errors.Is(res[0].Err, pledge.ErrDuplicate) {
			t.Errorf("%s after rekeying = %+v, want ErrDuplicate", email, res[0])
		}
	}
	for _, p := range []struct {
		campaignID int64
		email      string
	}{{c.ID, "ab@gmail.com"}, {d.ID, "CD@example.org"}, {d.ID, "ab@gmail.com"}} {
		sub := PendingSubmission(h, p.campaignID, 30, "N1")
		sub.Email, sub.EmailHash = p.email, h.Email(p.email)
		if res := mustCommit(t, s, []pledge.Submission{sub}); !errors.Is(res[0].Err, pledge.ErrDuplicate) {
			t.Errorf("%s in campaign %d after rekeying = %+v, want ErrDuplicate", p.email, p.campaignID, res[0])
		}
	}
	// Of A.B's two pending pledges, one has the mailbox's key (a duplicate
	// above), the other its old key still.
	held := 0
	for i, email := range []string{"A.B@gmail.com", "a.b+x@gmail.com"} {
		sub := old(40+i, email)
		if res := mustCommit(t, s, []pledge.Submission{sub}); errors.Is(res[0].Err, pledge.ErrDuplicate) {
			held++
		} else if res[0].Err != nil {
			t.Fatalf("%s under its old key: %v", email, res[0].Err)
		}
	}
	if held != 1 {
		t.Errorf("of two pending pledges of one mailbox, %d keep their old keys, want 1", held)
	}
	if _, err := s.Pending(ctx, c.ID, ids[2]); err != nil {
		t.Errorf("Mira's first pending pledge, left with its old key: %v", err)
	}
	if again, err := s.RekeyAddresses(ctx, func(string) []byte { t.Fatal("rekeyed twice"); return nil }); err != nil || again != 0 {
		t.Errorf("RekeyAddresses again = %d, %v; want 0: once in the database's life", again, err)
	}
}
