package storetest

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// invalidationFixture commits eight pledges: numbers 1-4 from 100.64.0.0/24
// (1, 2 in N1 at base; 3, 4 in S1 an hour later), 5-6 from 2001:db8::/48 in
// N1 (at base and an hour later), 7-8 from no known address in S1 at base.
func invalidationFixture(t *testing.T, s store.Store, c *pledge.Campaign) time.Time {
	t.Helper()
	h := pledge.NewHasher([]byte("k"))
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	later := base.Add(time.Hour)
	type row struct {
		src    string
		region string
		at     time.Time
	}
	rows := []row{
		{"100.64.0.1", "N1", base}, {"100.64.0.2", "N1", base}, {"100.64.0.3", "S1", later}, {"::ffff:100.64.0.4", "S1", later},
		{"2001:db8::1", "N1", base}, {"2001:db8:0:1::2", "N1", later}, {"", "S1", base}, {"", "S1", base},
	}
	var subs []pledge.Submission
	for i, r := range rows {
		sub := Submission(h, c.ID, i, r.region)
		sub.CreatedAt = r.at
		if r.src != "" {
			sub.Source = netip.MustParseAddr(r.src)
		}
		sub.Email = "x@example.org"
		subs = append(subs, sub)
	}
	for _, res := range mustCommit(t, s, subs) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	return base
}

func wantCounts(t *testing.T, s store.Store, id int64, total int64, regions map[string]int64) {
	t.Helper()
	got, err := s.Counts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != total {
		t.Fatalf("total = %d, want %d (%v)", got.Total, total, got.Regions)
	}
	for r, n := range regions {
		if got.Regions[r] != n {
			t.Fatalf("region %s = %d, want %d (%v)", r, got.Regions[r], n, got.Regions)
		}
	}
	MustAudit(t, s, id)
}

func minuteTotal(t *testing.T, s store.Store, id int64, base time.Time) int64 {
	t.Helper()
	ms, err := s.MinuteCounts(context.Background(), id, base.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, m := range ms {
		n += m.N
	}
	return n
}

func testInvalidate(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "invalidate")
	base := invalidationFixture(t, s, c)
	wantCounts(t, s, c.ID, 8, map[string]int64{"N1": 4, "S1": 4})

	// CountInvalidation says beforehand what each invalidation sets aside,
	// and changes nothing.
	willTake := func(f pledge.InvalidationFilter, want int64) {
		t.Helper()
		if n, err := s.CountInvalidation(ctx, c.ID, f); err != nil || n != want {
			t.Fatalf("CountInvalidation(%s) = %d, %v; want %d", f, n, err, want)
		}
	}
	willTake(pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("100.64.0.0/24")}, 4)
	willTake(pledge.InvalidationFilter{Region: "N1"}, 4)
	wantCounts(t, s, c.ID, 8, map[string]int64{"N1": 4, "S1": 4})
	byPrefix, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("100.64.0.0/24")}, "bot", "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	if byPrefix.Rows != 4 || byPrefix.ID == 0 {
		t.Fatalf("prefix invalidation = %+v, want 4 rows", byPrefix)
	}
	wantCounts(t, s, c.ID, 4, map[string]int64{"N1": 2, "S1": 2})
	if n := minuteTotal(t, s, c.ID, base); n != 4 {
		t.Fatalf("minute counts sum to %d, want 4", n)
	}
	for num, want := range map[int64]bool{1: true, 4: true, 5: false, 7: false} {
		p, err := s.Pledge(ctx, c.ID, num)
		if err != nil {
			t.Fatal(err)
		}
		if p.Invalidated != want {
			t.Errorf("pledge %d invalidated = %v, want %v", num, p.Invalidated, want)
		}
	}

	// Overlapping criteria only take pledges still valid.
	willTake(pledge.InvalidationFilter{Region: "N1", Prefix: netip.MustParsePrefix("2001:db8::/48")}, 2)
	byRegion, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Region: "N1", Prefix: netip.MustParsePrefix("2001:db8::/48")}, "farm", "admin", nil)
	if err != nil || byRegion.Rows != 2 {
		t.Fatalf("region+prefix invalidation = %+v, %v; want 2 rows", byRegion, err)
	}
	wantCounts(t, s, c.ID, 2, map[string]int64{"N1": 0, "S1": 2})
	willTake(pledge.InvalidationFilter{From: base, To: base.Add(time.Minute)}, 2)
	byTime, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{From: base, To: base.Add(time.Minute)}, "window", "admin", nil)
	if err != nil || byTime.Rows != 2 {
		t.Fatalf("time invalidation = %+v, %v; want 2 rows", byTime, err)
	}
	wantCounts(t, s, c.ID, 0, map[string]int64{"N1": 0, "S1": 0})
	willTake(pledge.InvalidationFilter{Region: "S1"}, 0)
	if _, err := s.CountInvalidation(ctx, c.ID, pledge.InvalidationFilter{}); !errors.Is(err, pledge.ErrNoCriterion) {
		t.Fatalf("counting for an empty filter: %v, want ErrNoCriterion", err)
	}

	if err := s.RevertInvalidation(ctx, c.ID, byPrefix.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, c.ID, 4, map[string]int64{"N1": 2, "S1": 2})
	if n := minuteTotal(t, s, c.ID, base); n != 4 {
		t.Fatalf("minute counts sum to %d, want 4", n)
	}
	if err := s.RevertInvalidation(ctx, c.ID, byPrefix.ID, nil); !errors.Is(err, pledge.ErrReverted) {
		t.Fatalf("second revert: %v, want ErrReverted", err)
	}
	if err := s.RevertInvalidation(ctx, c.ID, 999999, nil); !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("revert of unknown: %v, want ErrNotFound", err)
	}
	if err := s.RevertInvalidation(ctx, c.ID, byTime.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RevertInvalidation(ctx, c.ID, byRegion.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, c.ID, 8, map[string]int64{"N1": 4, "S1": 4})
	if n := minuteTotal(t, s, c.ID, base); n != 8 {
		t.Fatalf("minute counts sum to %d, want 8", n)
	}

	if _, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{}, "none", "admin", nil); !errors.Is(err, pledge.ErrNoCriterion) {
		t.Fatalf("empty filter: %v, want ErrNoCriterion", err)
	}
	list, err := s.Invalidations(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != byTime.ID || list[2].ID != byPrefix.ID {
		t.Fatalf("Invalidations = %+v, want 3 newest first", list)
	}
	for _, inv := range list {
		if inv.RevertedAt.IsZero() || inv.Actor != "admin" || inv.Reason == "" || inv.Filter == "" {
			t.Errorf("invalidation %+v: want reverted, with actor, reason and filter", inv)
		}
	}
	if list[2].Rows != 4 || list[2].Reason != "bot" {
		t.Errorf("first invalidation = %+v", list[2])
	}
}

func testAnonymise(t *testing.T, s store.Store) {
	ctx := context.Background()
	open := mustCampaign(t, s, "anon-open")
	if _, err := s.Anonymise(ctx, open.ID, nil); !errors.Is(err, pledge.ErrStillOpen) {
		t.Fatalf("Anonymise of open campaign: %v, want ErrStillOpen", err)
	}
	c := Campaign("anon-closed")
	c.Email = pledge.EmailOptional
	c.ClosesAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	invalidationFixture(t, s, c)
	before, _ := s.Counts(ctx, c.ID)
	res, err := s.Anonymise(ctx, c.ID, nil)
	if err != nil || res != (pledge.Anonymisation{Pledges: 8}) {
		t.Fatalf("Anonymise = %+v, %v; want 8 pledges, no pending ones", res, err)
	}
	err = s.ExportPledges(ctx, c.ID, func(p pledge.Pledge) error {
		if p.Email != "" {
			t.Errorf("pledge %d kept email %q", p.Number, p.Email)
		}
		if p.Name == "" || p.PhoneMasked == "" {
			t.Errorf("pledge %d lost its name or number: %+v", p.Number, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// No source is left: a prefix covering every address matches nothing.
	for _, pf := range []string{"0.0.0.0/0", "::/0"} {
		inv, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix(pf)}, "probe", "admin", nil)
		if err != nil || inv.Rows != 0 {
			t.Fatalf("after Anonymise, %s matched %d rows (%v)", pf, inv.Rows, err)
		}
	}
	wantCounts(t, s, c.ID, before.Total, before.Regions)
	if _, err := s.Pledge(ctx, c.ID, 8); err != nil {
		t.Fatal(err)
	}
	// The campaign knows it was anonymised, from then on, and an edit
	// opened before does not save.
	got, err := s.Campaign(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	at := got.AnonymisedAt
	if at.Before(c.ClosesAt) || time.Since(at) > time.Minute || got.Version != c.Version+1 {
		t.Fatalf("after Anonymise: anonymised at %v, version %d; want about now, %d", at, got.Version, c.Version+1)
	}
	c.Goal = 5
	if err := s.UpdateCampaign(ctx, c, nil); !errors.Is(err, pledge.ErrEditConflict) {
		t.Fatalf("edit opened before Anonymise: %v, want ErrEditConflict", err)
	}
	if res, err := s.Anonymise(ctx, c.ID, nil); err != nil || res != (pledge.Anonymisation{}) {
		t.Fatalf("second Anonymise = %+v, %v; want nothing done", res, err)
	}
	// It may not reopen: not open-ended, nor closing after it was anonymised.
	for _, closes := range []time.Time{{}, at.Add(time.Hour)} {
		again, _ := s.Campaign(ctx, c.Slug)
		again.ClosesAt = closes
		if err := s.UpdateCampaign(ctx, &again, nil); err == nil || !strings.Contains(err.Error(), "cannot reopen") {
			t.Errorf("reopening to close at %v: %v", closes, err)
		}
	}
	again, _ := s.Campaign(ctx, c.Slug)
	if again.AnonymisedAt.Before(at) {
		t.Errorf("the second Anonymise moved its time back from %v to %v", at, again.AnonymisedAt)
	}
	again.Goal, again.ClosesAt = 5, at.Add(-time.Hour)
	if err := s.UpdateCampaign(ctx, &again, nil); err != nil {
		t.Errorf("edit that keeps it closed: %v", err)
	}
}

// AnonymiseForgetsAddressKeys: anonymising a closed campaign removes the
// keyed hashes of its pledges' addresses with the addresses, a withdrawn
// pledge's too: it can never reopen, so they guard nothing any more. keys
// counts the pledges of a campaign that keep one, by the backend's own
// reading of its table.
func AnonymiseForgetsAddressKeys(t *testing.T, s store.Store, keys func(campaignID int64) int) {
	ctx := context.Background()
	c := Campaign("anon-keys")
	c.Email = pledge.EmailOptional
	c.ClosesAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{
		WithEmail(h, Submission(h, c.ID, 1, "N1"), 1),
		WithEmail(h, Submission(h, c.ID, 2, "N2"), 2),
		Submission(h, c.ID, 3, "S1"),
	})
	if err := s.Withdraw(ctx, c.ID, 2, time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := keys(c.ID); n != 2 {
		t.Fatalf("%d pledges keep an address key before anonymising, want 2 (the withdrawn one too)", n)
	}
	if _, err := s.Anonymise(ctx, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	if n := keys(c.ID); n != 0 {
		t.Errorf("%d pledges keep an address key after anonymising, want none", n)
	}
}
