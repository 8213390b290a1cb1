package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

func testMinuteCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "minutes")
	h := pledge.NewHasher([]byte("k"))
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var subs []pledge.Submission
	for i := 0; i < 7; i++ {
		sub := Submission(h, c.ID, i, "N1")
		sub.CreatedAt = base.Add(time.Duration(i/3) * time.Minute).Add(time.Duration(i) * time.Second) // 3, 3, 1 per minute
		subs = append(subs, sub)
	}
	subs = append(subs, Submission(h, c.ID, 0, "N1")) // a duplicate is not counted
	subs[len(subs)-1].CreatedAt = base
	mustCommit(t, s, subs[:4])
	mustCommit(t, s, subs[4:])
	got, err := s.MinuteCounts(ctx, c.ID, base.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []pledge.MinuteCount{{Minute: base, N: 3}, {Minute: base.Add(time.Minute), N: 3}, {Minute: base.Add(2 * time.Minute), N: 1}}
	if len(got) != len(want) {
		t.Fatalf("MinuteCounts = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Minute.Equal(want[i].Minute) || got[i].N != want[i].N {
			t.Fatalf("MinuteCounts = %+v, want %+v", got, want)
		}
	}
	later, err := s.MinuteCounts(ctx, c.ID, base.Add(time.Minute+30*time.Second))
	if err != nil || len(later) != 2 {
		t.Fatalf("MinuteCounts(since the middle of minute 2) = %+v, %v; want the last two minutes", later, err)
	}
}

func testExport(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "export")
	h := pledge.NewHasher([]byte("k"))
	const n = 12345 // more than two pages
	for start := 0; start < n; start += 1000 {
		var subs []pledge.Submission
		for i := start; i < min(start+1000, n); i++ {
			sub := Submission(h, c.ID, i, Leaves[i%3])
			if i == 7 {
				sub.Email = "asha@example.in"
			}
			subs = append(subs, sub)
		}
		mustCommit(t, s, subs)
	}
	var seen int64
	err := s.ExportPledges(ctx, c.ID, func(p pledge.Pledge) error {
		seen++
		if p.Number != seen || p.CampaignID != c.ID || p.Name == "" || p.PhoneMasked == "" {
			return errors.New("out of order or incomplete: " + p.Name)
		}
		if (p.Number == 8) != (p.Email == "asha@example.in") {
			return errors.New("email on the wrong row")
		}
		return nil
	})
	if err != nil || seen != n {
		t.Fatalf("ExportPledges: %v after %d of %d", err, seen, n)
	}
	stop := errors.New("stop")
	calls := 0
	err = s.ExportPledges(ctx, c.ID, func(pledge.Pledge) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ExportPledges did not stop at fn's error: %v after %d calls", err, calls)
	}
}
