package postgres

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestRekeyAddressesInChunks: rekeyed a few rows at a time, addresses get
// the keys they would rekeyed one by one in order: of two rows of a table
// and campaign that want one key, the first takes it and the other keeps
// its old one, in one chunk or in two; a row whose new key a later row
// holds already keeps its old one; campaigns do not share keys.
func TestRekeyAddressesInChunks(t *testing.T) {
	defer func(n int) { rekeyChunk = n }(rekeyChunk)
	rekeyChunk = 3
	ctx := context.Background()
	s, err := Open(ctx, pgtest.New(t, nil), slog.New(slog.DiscardHandler), Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := pledge.NewHasher([]byte("k"))
	campaign := func(slug string) int64 {
		c := storetest.Campaign(slug)
		c.Email = pledge.EmailRequired
		if err := s.CreateCampaign(ctx, c, nil); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	a, b := campaign("a"), campaign("b")

	type row struct {
		table        string
		campaign, id int64
		email        string
		rekeyed      bool // or keeps the key an earlier release made
	}
	var rows []row
	phone := 0
	pending := func(campaign int64, email string) int64 { // one at a time, so IDs follow the calls
		phone++
		sub := storetest.PendingSubmission(h, campaign, phone, "N1")
		sub.Email, sub.EmailHash = email, h.Sum("email:"+email)
		res, err := s.CommitBatch(ctx, []pledge.Submission{sub})
		if err != nil || res[0].Err != nil || res[0].Receipt.Pending == 0 {
			t.Fatalf("pending %s: %v, %+v", email, err, res)
		}
		return res[0].Receipt.Pending
	}
	// Pending pledges, chunks of three in the order of their IDs.
	for _, r := range []struct {
		email   string
		rekeyed bool
	}{
		{"A.B@gmail.com", true},
		{"a.b+x@gmail.com", false}, // same chunk, same key
		{"same1@example.org", false},
		{"Cd@example.org", true},
		{"Ef@example.org", false}, // ef@example.org holds its key already, a chunk later
		{"same2@example.org", false},
		{"cd+news@example.org", false}, // Cd's key, taken a chunk before
		{"Gh@example.org", true},
		{"ef@example.org", false},
		{"Ij@example.org", true}, // a last chunk of one
	} {
		rows = append(rows, row{"pending_pledges", a, pending(a, r.email), r.email, r.rekeyed})
	}
	// Pledges, by campaign and number: six, two full chunks.
	for _, r := range []struct {
		campaign int64
		email    string
		rekeyed  bool
	}{
		{a, "Kl@example.org", true},
		{a, "Mn@example.org", true},
		{b, "mn+b@example.org", true}, // Mn's key, in another campaign
		{b, "Op@example.org", true},
		{b, "op+2@example.org", false}, // same chunk, same key
		{b, "Qr@example.org", true},
	} {
		rc, err := s.Confirm(ctx, r.campaign, pending(r.campaign, r.email), storetest.Submission(h, r.campaign, phone, "N1").CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row{"pledges", r.campaign, rc.Number, r.email, r.rekeyed})
	}

	n, err := s.RekeyAddresses(ctx, h.Email)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range rows {
		if r.rekeyed {
			want++
		}
	}
	if n != int64(want) {
		t.Errorf("RekeyAddresses rekeyed %d rows, want %d", n, want)
	}
	for _, r := range rows {
		id := "id"
		if r.table == "pledges" {
			id = "number"
		}
		var got []byte
		if err := s.pool.QueryRow(ctx, `SELECT email_hash FROM `+r.table+` WHERE campaign_id = $1 AND `+id+` = $2`,
			r.campaign, r.id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		wantKey, which := h.Sum("email:"+r.email), "its old key"
		if r.rekeyed {
			wantKey, which = h.Email(r.email), "the mailbox's key"
		}
		if !bytes.Equal(got, wantKey) {
			t.Errorf("%s %d/%d (%s) has key %x, want %s", r.table, r.campaign, r.id, r.email, got[:4], which)
		}
	}
}
