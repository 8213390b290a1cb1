package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// PendingSubmission returns Submission(h, campaignID, i, region) as a
// campaign requiring an email address prepares it: with the i-th distinct
// address (see Email), its keyed hash, and Pending set.
func PendingSubmission(h *pledge.Hasher, campaignID int64, i int, region string) pledge.Submission {
	sub := Submission(h, campaignID, i, region)
	sub.Pending = true
	return WithEmail(h, sub, i)
}

// Email returns the i-th distinct email address.
func Email(i int) string { return fmt.Sprintf("citizen%d@example.org", i) }

// WithEmail returns sub with the j-th distinct address and its keyed
// hash, as pledge.Prepare gives any submission with an address.
func WithEmail(h *pledge.Hasher, sub pledge.Submission, j int) pledge.Submission {
	sub.Email = Email(j)
	sub.EmailHash = h.Email(sub.Email)
	return sub
}

// mustCampaignMode creates campaign slug asking for email in mode.
func mustCampaignMode(t *testing.T, s store.Store, slug string, mode pledge.EmailMode) *pledge.Campaign {
	t.Helper()
	c := Campaign(slug)
	c.Email = mode
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatalf("CreateCampaign(%s): %v", slug, err)
	}
	return c
}

// mustPending commits subs, all of which must be stored as pending, and
// returns their pending IDs in order.
func mustPending(t *testing.T, s store.Store, subs []pledge.Submission) []int64 {
	t.Helper()
	res := mustCommit(t, s, subs)
	ids := make([]int64, len(res))
	for i, r := range res {
		if r.Err != nil || r.Receipt.Pending <= 0 || r.Receipt.Number != 0 || r.Receipt.CampaignID != subs[i].CampaignID {
			t.Fatalf("result %d = %+v, want pending (ID > 0, number 0) in campaign %d", i, r, subs[i].CampaignID)
		}
		ids[i] = r.Receipt.Pending
	}
	return ids
}

// mustConfirm confirms pending pledge id and returns its certificate number.
func mustConfirm(t *testing.T, s store.Store, campaignID, id int64, now time.Time) int64 {
	t.Helper()
	r, err := s.Confirm(context.Background(), campaignID, id, now)
	if err != nil {
		t.Fatalf("Confirm(%d, %d): %v", campaignID, id, err)
	}
	if r.CampaignID != campaignID || r.Number <= 0 || r.Pending != 0 {
		t.Fatalf("Confirm(%d, %d) = %+v, want a number in campaign %d", campaignID, id, r, campaignID)
	}
	return r.Number
}

// mustCounts fails t unless the campaign's counts, leaving out regions
// counted zero, are exactly want and the campaign audits consistent; it
// returns the audit.
func mustCounts(t *testing.T, s store.Store, campaignID int64, want pledge.Counts) pledge.Audit {
	t.Helper()
	got, err := s.Counts(context.Background(), campaignID)
	if err != nil {
		t.Fatal(err)
	}
	for r, n := range got.Regions {
		if n == 0 {
			delete(got.Regions, r)
		}
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("Counts(%d) mismatch (-want +got):\n%s", campaignID, diff)
	}
	return MustAudit(t, s, campaignID)
}

// mustPendingRow returns pending pledge id, failing t if it cannot be read.
func mustPendingRow(t *testing.T, s store.Store, campaignID, id int64) pledge.Pending {
	t.Helper()
	p, err := s.Pending(context.Background(), campaignID, id)
	if err != nil {
		t.Fatalf("Pending(%d, %d): %v", campaignID, id, err)
	}
	return p
}

// mustPledge returns pledge number of a campaign, failing t if it cannot be read.
func mustPledge(t *testing.T, s store.Store, campaignID, number int64) pledge.Pledge {
	t.Helper()
	p, err := s.Pledge(context.Background(), campaignID, number)
	if err != nil {
		t.Fatalf("Pledge(%d, %d): %v", campaignID, number, err)
	}
	return p
}

// wantPending is the pending pledge sub, stored as id, should read back as
// with sends opt-in mails and not yet confirmed.
func wantPending(sub pledge.Submission, id int64, sends int) pledge.Pending {
	return pledge.Pending{ID: id, CampaignID: sub.CampaignID, Name: sub.Name, Email: sub.Email,
		Region: sub.Region, Lang: sub.Lang, CreatedAt: sub.CreatedAt, Sends: sends}
}

// testPendingBatch: a campaign requiring email stores its submissions as
// pending, uncounted, without numbers.
func testPendingBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "optin-batch", pledge.EmailRequired)
	other := mustCampaignMode(t, s, "optin-other", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	base := time.Date(2026, 2, 1, 9, 30, 0, 123000, time.UTC)
	subs := []pledge.Submission{
		PendingSubmission(h, c.ID, 1, "N1"),
		PendingSubmission(h, c.ID, 2, "N2"),
		PendingSubmission(h, other.ID, 1, "S1"), // the same person may pledge to two campaigns
		PendingSubmission(h, c.ID, 3, "S1"),
	}
	for i := range subs {
		subs[i].CreatedAt = base.Add(time.Duration(i) * time.Minute)
	}
	subs[1].Name, subs[1].Lang = "सुनीता देवी", "hi"
	subs[3].Source = netip.MustParseAddr("192.0.2.1")
	ids := mustPending(t, s, subs)
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Fatalf("pending IDs %v repeat", ids)
	}
	for i, sub := range subs {
		got := mustPendingRow(t, s, sub.CampaignID, ids[i])
		if diff := cmp.Diff(wantPending(sub, ids[i], 1), got); diff != "" {
			t.Errorf("Pending(%d) of submission %d mismatch (-want +got):\n%s", ids[i], i, diff)
		}
		if got.Confirmed() {
			t.Errorf("Pending(%d).Confirmed() = true before Confirm", ids[i])
		}
	}
	for _, id := range []int64{c.ID, other.ID} {
		if a := mustCounts(t, s, id, pledge.Counts{}); a.Rows != 0 || a.LastNumber != 0 {
			t.Errorf("campaign %d audit = %+v, want no rows and no numbers taken", id, a)
		}
		if _, err := s.Pledge(ctx, id, 1); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("Pledge(%d, 1) = %v, want ErrNotFound: pending pledges have no number", id, err)
		}
		if ms, err := s.MinuteCounts(ctx, id, base.Add(-time.Hour)); err != nil || len(ms) != 0 {
			t.Errorf("MinuteCounts(%d) = %+v, %v; want none", id, ms, err)
		}
	}
	// Pending IDs belong to their campaign.
	if _, err := s.Pending(ctx, other.ID, ids[0]); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Pending(other campaign, %d) = %v, want ErrNotFound", ids[0], err)
	}
	if _, err := s.Pending(ctx, c.ID, ids[3]+1000); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Pending(unknown) = %v, want ErrNotFound", err)
	}
}

// person names a submission by the index of its mobile number and of its
// email address.
type person struct{ phone, email int }

// testPendingDuplicates: one pledge per number and per address in a
// campaign requiring email, within a batch, against pending pledges and
// against confirmed ones.
func testPendingDuplicates(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := pledge.NewHasher([]byte("k"))
	dup := pledge.ErrDuplicate
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		first      []person
		firstWant  []error // per submission of first: nil for stored as pending
		confirm    bool    // confirm first[0] before the second batch
		expire     bool    // then expire its pending row: only the pledge is left
		second     []person
		secondWant []error
	}{
		{name: "phone twice in one batch",
			first: []person{{1, 1}, {1, 2}, {3, 3}}, firstWant: []error{nil, dup, nil}},
		{name: "email twice in one batch",
			first: []person{{1, 1}, {2, 1}, {3, 3}}, firstWant: []error{nil, dup, nil}},
		{name: "phone and email both repeated in one batch",
			first: []person{{1, 1}, {2, 2}, {1, 2}, {4, 4}}, firstWant: []error{nil, nil, dup, nil}},
		{name: "phone and address pending from an earlier batch",
			first: []person{{1, 1}}, firstWant: []error{nil},
			second: []person{{1, 1}, {3, 3}}, secondWant: []error{dup, nil}},
		{name: "email pending from an earlier batch",
			first: []person{{1, 1}}, firstWant: []error{nil},
			second: []person{{2, 1}, {3, 3}}, secondWant: []error{dup, nil}},
		{name: "phone confirmed",
			first: []person{{1, 1}}, firstWant: []error{nil}, confirm: true,
			second: []person{{1, 2}, {3, 3}}, secondWant: []error{dup, nil}},
		{name: "email confirmed",
			first: []person{{1, 1}}, firstWant: []error{nil}, confirm: true,
			second: []person{{2, 1}, {3, 3}}, secondWant: []error{dup, nil}},
		{name: "phone and email confirmed, pending row expired",
			first: []person{{1, 1}}, firstWant: []error{nil}, confirm: true, expire: true,
			second: []person{{1, 2}, {2, 1}, {3, 3}}, secondWant: []error{dup, dup, nil}},
	}
	for n, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustCampaignMode(t, s, fmt.Sprintf("dup-%d", n), pledge.EmailRequired)
			build := func(people []person) []pledge.Submission {
				subs := make([]pledge.Submission, len(people))
				for i, p := range people {
					subs[i] = WithEmail(h, PendingSubmission(h, c.ID, p.phone, Leaves[i%3]), p.email)
					if tc.expire {
						subs[i].CreatedAt = old
					}
				}
				return subs
			}
			check := func(batch string, subs []pledge.Submission, want []error) []int64 {
				t.Helper()
				res := mustCommit(t, s, subs)
				ids := make([]int64, len(res))
				for i, r := range res {
					switch {
					case want[i] != nil:
						if !errors.Is(r.Err, want[i]) || r.Receipt != (pledge.Receipt{}) {
							t.Errorf("%s batch, submission %d = %+v, want %v and no receipt", batch, i, r, want[i])
						}
					case r.Err != nil || r.Receipt.Pending <= 0 || r.Receipt.Number != 0 || r.Receipt.CampaignID != c.ID:
						t.Errorf("%s batch, submission %d = %+v, want pending", batch, i, r)
					default:
						ids[i] = r.Receipt.Pending
						if got := mustPendingRow(t, s, c.ID, ids[i]); got.Email != subs[i].Email || got.Name != subs[i].Name {
							t.Errorf("%s batch, submission %d stored as %+v, want %s, %s", batch, i, got, subs[i].Name, subs[i].Email)
						}
					}
				}
				return ids
			}
			ids := check("first", build(tc.first), tc.firstWant)
			var want pledge.Counts
			if tc.confirm {
				mustConfirm(t, s, c.ID, ids[0], time.Now().UTC())
				want = pledge.Counts{Total: 1, Regions: map[string]int64{Leaves[0]: 1}}
			}
			if tc.expire {
				n, err := s.ExpirePending(ctx, old.Add(time.Second))
				if err != nil || n != int64(len(tc.first)) {
					t.Fatalf("ExpirePending = %d, %v; want %d", n, err, len(tc.first))
				}
				if _, err := s.Pending(ctx, c.ID, ids[0]); !errors.Is(err, pledge.ErrNotFound) {
					t.Fatalf("Pending after expiry = %v, want ErrNotFound", err)
				}
			}
			if tc.second != nil {
				check("second", build(tc.second), tc.secondWant)
			}
			mustCounts(t, s, c.ID, want)
		})
	}
}

// testPendingReplaced: a pending pledge not yet confirmed is replaced by a
// new one with the same number and another address (the first was
// mistyped): the earlier one, and its links, are gone, but its address
// stays taken until it expires (or one address could be mailed again and
// again); the new one is confirmed and counted once. A confirmed one is
// never replaced, nor is a pending one by an address another number holds.
func testPendingReplaced(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "replaced", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	sub := func(phone, email int) pledge.Submission {
		return WithEmail(h, PendingSubmission(h, c.ID, phone, "N1"), email)
	}
	first := mustPending(t, s, []pledge.Submission{sub(1, 1), sub(2, 2)})
	res := mustCommit(t, s, []pledge.Submission{sub(1, 3)})
	if res[0].Err != nil || res[0].Receipt.Pending <= first[1] {
		t.Fatalf("the same number with another address = %+v, want a new pending pledge", res[0])
	}
	again := res[0].Receipt.Pending
	if _, err := s.Pending(ctx, c.ID, first[0]); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("the replaced pending pledge: %v, want ErrNotFound", err)
	}
	if _, err := s.Confirm(ctx, c.ID, first[0], time.Now().UTC()); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("confirming the replaced pending pledge: %v, want ErrNotFound", err)
	}
	if got := mustPendingRow(t, s, c.ID, again); got.Email != sub(1, 3).Email {
		t.Errorf("the new pending pledge has address %q, want %q", got.Email, sub(1, 3).Email)
	}
	if err := s.Resend(ctx, c.ID, first[0], 3); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("resending the replaced pending pledge: %v, want ErrNotFound", err)
	}
	res = mustCommit(t, s, []pledge.Submission{sub(4, 1)})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("the replaced pledge's address with another number = %+v, want ErrDuplicate", res[0])
	}
	// Its expiry frees the address like any pending pledge's.
	if n, err := s.ExpirePending(ctx, time.Now().Add(time.Hour)); err != nil || n != 3 {
		t.Fatalf("ExpirePending = %d, %v; want the 3 pending rows, the replaced one included", n, err)
	}
	res = mustCommit(t, s, []pledge.Submission{sub(4, 1)})
	if res[0].Err != nil {
		t.Errorf("the address after the replaced pledge expired = %+v, want stored", res[0])
	}
	again = mustPending(t, s, []pledge.Submission{sub(2, 2), sub(1, 3)})[1]
	// Another number's address, and a number already confirmed, are refused.
	res = mustCommit(t, s, []pledge.Submission{sub(1, 2)})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("the number with an address another number holds = %+v, want ErrDuplicate", res[0])
	}
	if _, err := s.Pending(ctx, c.ID, again); err != nil {
		t.Errorf("a refused submission removed the pending pledge: %v", err)
	}
	mustConfirm(t, s, c.ID, again, time.Now().UTC())
	res = mustCommit(t, s, []pledge.Submission{sub(1, 4)})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("a confirmed number with another address = %+v, want ErrDuplicate", res[0])
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}})
}

// testPendingExpiredGivesWay: a pending pledge past its time gives way to a
// new submission with its number or its address at once, before the
// periodic expiry removes it; one still in time does not, nor does a
// confirmed one.
func testPendingExpiredGivesWay(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "expired", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	made := time.Now().UTC().Truncate(time.Microsecond)
	sub := func(phone, email int, expiredBefore time.Time) pledge.Submission {
		p := WithEmail(h, PendingSubmission(h, c.ID, phone, "N1"), email)
		p.CreatedAt, p.ExpiredBefore = made, expiredBefore
		return p
	}
	early := mustPending(t, s, []pledge.Submission{sub(1, 1, time.Time{}), sub(2, 2, time.Time{}), sub(3, 3, time.Time{})})
	mustConfirm(t, s, c.ID, early[2], made)

	inTime := made // nothing made before the pledges above has expired
	for name, p := range map[string]pledge.Submission{
		"its number and address": sub(1, 1, inTime), // another address would replace it
		"its address":            sub(5, 2, inTime),
	} {
		if res := mustCommit(t, s, []pledge.Submission{p}); !errors.Is(res[0].Err, pledge.ErrDuplicate) {
			t.Errorf("%s while the pending pledge is in time = %+v, want ErrDuplicate", name, res[0])
		}
	}
	for _, id := range early[:2] {
		if _, err := s.Pending(ctx, c.ID, id); err != nil {
			t.Fatalf("a refused submission removed pending pledge %d: %v", id, err)
		}
	}

	past := made.Add(time.Second) // the pledges above have expired
	res := mustCommit(t, s, []pledge.Submission{sub(1, 1, past), sub(6, 2, past), sub(3, 7, past)})
	for i, what := range []string{"the same number and address", "another number with an expired one's address"} {
		if res[i].Err != nil || res[i].Receipt.Pending <= early[2] {
			t.Errorf("%s after expiry = %+v, want a new pending pledge", what, res[i])
		}
	}
	if !errors.Is(res[2].Err, pledge.ErrDuplicate) {
		t.Errorf("a confirmed number after its pending row's time = %+v, want ErrDuplicate", res[2])
	}
	for _, id := range early[:2] {
		if _, err := s.Pending(ctx, c.ID, id); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("expired pending pledge %d after it gave way: %v, want ErrNotFound", id, err)
		}
	}
	if got := mustPendingRow(t, s, c.ID, early[2]); got.Number != 1 {
		t.Errorf("the confirmed pledge's row = %+v, want number 1 kept", got)
	}
	mustConfirm(t, s, c.ID, res[0].Receipt.Pending, past)
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N1": 2}})
}

// testPendingConfirm: confirming numbers and counts the pledge once.
func testPendingConfirm(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "confirm", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	subs := []pledge.Submission{
		PendingSubmission(h, c.ID, 1, "N1"),
		PendingSubmission(h, c.ID, 2, "N2"),
		PendingSubmission(h, c.ID, 3, "S1"),
	}
	subs[1].Lang = "hi"
	subs[1].Source = netip.MustParseAddr("192.0.2.7")
	ids := mustPending(t, s, subs)
	wantUncounted(t, s, c.ID, pledge.Uncounted{Pending: 3})

	now := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	r, err := s.Confirm(ctx, c.ID, ids[1], now)
	if err != nil {
		t.Fatal(err)
	}
	wantUncounted(t, s, c.ID, pledge.Uncounted{Pending: 2})
	if diff := cmp.Diff(pledge.Receipt{CampaignID: c.ID, Number: 1}, r); diff != "" {
		t.Fatalf("Confirm receipt mismatch (-want +got):\n%s", diff)
	}
	check := func(when string) {
		t.Helper()
		a := mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N2": 1}})
		if a.Rows != 1 || a.Valid != 1 || a.LastNumber != 1 {
			t.Errorf("%s: audit = %+v, want one row, number 1", when, a)
		}
		wantP := wantPending(subs[1], ids[1], 1)
		wantP.Name, wantP.Email, wantP.Number = "", "", 1
		got := mustPendingRow(t, s, c.ID, ids[1])
		if diff := cmp.Diff(wantP, got); diff != "" {
			t.Errorf("%s: Pending mismatch (-want +got):\n%s", when, diff)
		}
		if !got.Confirmed() {
			t.Errorf("%s: Pending.Confirmed() = false", when)
		}
		wantPl := pledge.Pledge{CampaignID: c.ID, Number: 1, Name: subs[1].Name, Region: "N2", Lang: "hi",
			PhoneMasked: subs[1].PhoneMasked, Email: subs[1].Email, CreatedAt: now}
		if diff := cmp.Diff(wantPl, mustPledge(t, s, c.ID, 1)); diff != "" {
			t.Errorf("%s: Pledge mismatch (-want +got):\n%s", when, diff)
		}
		ms, err := s.MinuteCounts(ctx, c.ID, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]pledge.MinuteCount{{Minute: now.Truncate(time.Minute), N: 1}}, ms); diff != "" {
			t.Errorf("%s: MinuteCounts mismatch (-want +got):\n%s", when, diff)
		}
		for _, i := range []int{0, 2} {
			if p := mustPendingRow(t, s, c.ID, ids[i]); p.Confirmed() || p.Email != subs[i].Email {
				t.Errorf("%s: untouched pending pledge changed: %+v", when, p)
			}
		}
	}
	check("after Confirm")

	again, err := s.Confirm(ctx, c.ID, ids[1], now.Add(time.Hour))
	if err != nil {
		t.Fatalf("second Confirm: %v", err)
	}
	if again != r {
		t.Errorf("second Confirm = %+v, want the first receipt %+v", again, r)
	}
	check("after confirming again")

	if n := mustConfirm(t, s, c.ID, ids[2], now); n != 2 {
		t.Errorf("third pledge confirmed second got number %d, want 2", n)
	}
	if n := mustConfirm(t, s, c.ID, ids[0], now); n != 3 {
		t.Errorf("first pledge confirmed third got number %d, want 3", n)
	}
	wantUncounted(t, s, c.ID, pledge.Uncounted{})
	a := mustCounts(t, s, c.ID, pledge.Counts{Total: 3, Regions: map[string]int64{"N1": 1, "N2": 1, "S1": 1}})
	if a.Rows != 3 || a.LastNumber != 3 {
		t.Errorf("audit = %+v, want 3 rows, numbers 1-3", a)
	}
	// The source address moved with the pledge: invalidation finds it.
	inv, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("192.0.2.0/24")}, "probe", "admin", nil)
	if err != nil || inv.Rows != 1 {
		t.Fatalf("Invalidate by the confirmed pledge's source = %+v, %v; want 1 row", inv, err)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N1": 1, "S1": 1}})
}

// testPendingConfirmNotFound: only a campaign's own pending pledges confirm.
func testPendingConfirmNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	h := pledge.NewHasher([]byte("k"))
	a := mustCampaignMode(t, s, "confirm-a", pledge.EmailRequired)
	b := mustCampaignMode(t, s, "confirm-b", pledge.EmailRequired)
	ids := mustPending(t, s, []pledge.Submission{PendingSubmission(h, a.ID, 1, "N1"), PendingSubmission(h, b.ID, 2, "S1")})
	for _, tc := range []struct {
		name         string
		campaign, id int64
	}{
		{"unknown id", a.ID, ids[1] + 1000},
		{"other campaign's id", a.ID, ids[1]},
		{"id in the other campaign", b.ID, ids[0]},
		{"unknown campaign", b.ID + 1000, ids[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Confirm(ctx, tc.campaign, tc.id, time.Now())
			if !errors.Is(err, pledge.ErrNotFound) {
				t.Errorf("Confirm(%d, %d) = %+v, %v; want ErrNotFound", tc.campaign, tc.id, r, err)
			}
		})
	}
	for i, c := range []*pledge.Campaign{a, b} {
		if a := mustCounts(t, s, c.ID, pledge.Counts{}); a.LastNumber != 0 {
			t.Errorf("campaign %s took number %d", c.Slug, a.LastNumber)
		}
		if p := mustPendingRow(t, s, c.ID, ids[i]); p.Confirmed() {
			t.Errorf("pending pledge of %s confirmed: %+v", c.Slug, p)
		}
	}
}

// testPendingConfirmDuplicate: a pending pledge whose number pledged
// meanwhile (the campaign stopped requiring email, so that pledge was
// counted at once) cannot be confirmed, and nothing changes.
func testPendingConfirmDuplicate(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "confirm-dup", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	subs := []pledge.Submission{PendingSubmission(h, c.ID, 1, "N1"), PendingSubmission(h, c.ID, 2, "S1")}
	ids := mustPending(t, s, subs)
	c.Email = pledge.EmailOptional
	if err := s.UpdateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	res := mustCommit(t, s, []pledge.Submission{WithEmail(h, Submission(h, c.ID, 1, "N2"), 1)})
	if res[0].Err != nil || res[0].Receipt.Number != 1 {
		t.Fatalf("ordinary pledge = %+v, want number 1", res[0])
	}
	r, err := s.Confirm(ctx, c.ID, ids[0], time.Now().UTC())
	if !errors.Is(err, pledge.ErrDuplicate) {
		t.Fatalf("Confirm of a number that pledged meanwhile = %+v, %v; want ErrDuplicate", r, err)
	}
	if a := mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N2": 1}}); a.Rows != 1 || a.LastNumber != 1 {
		t.Errorf("audit = %+v, want one row, number 1", a)
	}
	if diff := cmp.Diff(wantPending(subs[0], ids[0], 1), mustPendingRow(t, s, c.ID, ids[0])); diff != "" {
		t.Errorf("refused pending pledge changed (-want +got):\n%s", diff)
	}
	if n := mustConfirm(t, s, c.ID, ids[1], time.Now().UTC()); n != 2 {
		t.Errorf("next confirmation got number %d, want 2", n)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N2": 1, "S1": 1}})
}

// testPendingConfirmInterleaved: confirmations and batches take numbers
// from one gap-free sequence per campaign.
func testPendingConfirmInterleaved(t *testing.T, s store.Store) {
	req := mustCampaignMode(t, s, "interleave-required", pledge.EmailRequired)
	opt := mustCampaignMode(t, s, "interleave-optional", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	ordinary := func(i int) pledge.Submission { return WithEmail(h, Submission(h, opt.ID, i, Leaves[i%3]), i) }
	var optNumbers, reqNumbers []int64
	commit := func(subs ...pledge.Submission) (pending []int64) {
		t.Helper()
		for i, r := range mustCommit(t, s, subs) {
			switch {
			case r.Err != nil:
				t.Fatalf("submission %d: %v", i, r.Err)
			case subs[i].Pending:
				pending = append(pending, r.Receipt.Pending)
			default:
				optNumbers = append(optNumbers, r.Receipt.Number)
			}
		}
		return pending
	}
	confirm := func(id int64) { reqNumbers = append(reqNumbers, mustConfirm(t, s, req.ID, id, time.Now().UTC())) }

	p1 := commit(ordinary(1), PendingSubmission(h, req.ID, 1, "N1"), ordinary(2))
	confirm(p1[0])
	p23 := commit(PendingSubmission(h, req.ID, 2, "N2"), ordinary(3), PendingSubmission(h, req.ID, 3, "S1"))
	confirm(p23[1])
	commit(ordinary(4))
	confirm(p23[0])
	p4 := commit(PendingSubmission(h, req.ID, 4, "N1"), ordinary(5), ordinary(1000))
	confirm(p4[0])

	if diff := cmp.Diff([]int64{1, 2, 3, 4, 5, 6}, optNumbers); diff != "" {
		t.Errorf("optional campaign numbers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 4}, reqNumbers); diff != "" {
		t.Errorf("required campaign numbers (-want +got):\n%s", diff)
	}
	// Numbers follow confirmation order: pledges 1, 3, 2, 4.
	for n, i := range map[int64]int{1: 1, 2: 3, 3: 2, 4: 4} {
		if p := mustPledge(t, s, req.ID, n); p.Name != fmt.Sprintf("Citizen %d", i) {
			t.Errorf("required pledge %d is %q, want Citizen %d", n, p.Name, i)
		}
	}
	if a := mustCounts(t, s, req.ID, pledge.Counts{Total: 4, Regions: map[string]int64{"N1": 2, "N2": 1, "S1": 1}}); a.Rows != 4 || a.LastNumber != 4 {
		t.Errorf("required campaign audit = %+v", a)
	}
	if a := MustAudit(t, s, opt.ID); a.Rows != 6 || a.LastNumber != 6 || a.Counted != 6 {
		t.Errorf("optional campaign audit = %+v", a)
	}
}

// testOptionalEmailOncePerCampaign: where an address is optional, one
// given is one pledge per address, as a number is: a second pledge with
// it, from another number, in a later batch or the same one, is a
// duplicate and takes no number (else anyone could have the campaign mail
// one address again and again). No address is no limit; another campaign
// is another count.
func testOptionalEmailOncePerCampaign(t *testing.T, s store.Store) {
	c := mustCampaignMode(t, s, "optional-once", pledge.EmailOptional)
	other := mustCampaignMode(t, s, "optional-once-other", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	with := func(id int64, phone, email int) pledge.Submission {
		return WithEmail(h, Submission(h, id, phone, Leaves[phone%3]), email)
	}
	check := func(subs []pledge.Submission, want []int64) {
		t.Helper()
		for i, r := range mustCommit(t, s, subs) {
			switch {
			case want[i] == 0 && !errors.Is(r.Err, pledge.ErrDuplicate):
				t.Errorf("submission %d: %+v, want a duplicate", i, r)
			case want[i] != 0 && (r.Err != nil || r.Receipt.Number != want[i]):
				t.Errorf("submission %d: %+v, want number %d", i, r, want[i])
			}
		}
	}
	check([]pledge.Submission{with(c.ID, 1, 1)}, []int64{1})
	check([]pledge.Submission{
		with(c.ID, 2, 1),                  // address stored already
		Submission(h, c.ID, 3, Leaves[0]), // no address
		with(c.ID, 4, 4),                  // new address
		with(c.ID, 5, 4),                  // the same, in the same batch
		Submission(h, c.ID, 6, Leaves[0]), // no address again
		with(other.ID, 7, 1),              // the first address, another campaign
	}, []int64{0, 2, 3, 0, 4, 1})
	if a := MustAudit(t, s, c.ID); a.Rows != 4 || a.LastNumber != 4 || a.Counted != 4 {
		t.Errorf("audit = %+v, want 4 rows numbered 1..4", a)
	}
}

// testPendingConfirmConcurrent: confirmations racing each other and
// batches of both campaigns keep the numbers gap-free, and a pledge
// confirmed twice at once is counted once.
func testPendingConfirmConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	req := mustCampaignMode(t, s, "race-required", pledge.EmailRequired)
	opt := mustCampaignMode(t, s, "race-optional", pledge.EmailNone)
	h := pledge.NewHasher([]byte("k"))
	const pending, confirmers = 40, 4
	var subs []pledge.Submission
	for i := range pending {
		subs = append(subs, PendingSubmission(h, req.ID, i, Leaves[i%3]))
	}
	ids := mustPending(t, s, subs)

	var wg sync.WaitGroup
	errs := make(chan error, 2*confirmers+2)
	receipts := make([][]pledge.Receipt, confirmers)
	for w := range confirmers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each pending pledge is confirmed by two workers.
			for i := range pending {
				if i%confirmers != w && i%confirmers != (w+1)%confirmers {
					continue
				}
				r, err := s.Confirm(ctx, req.ID, ids[i], time.Now().UTC())
				if err != nil {
					errs <- fmt.Errorf("confirm %d: %w", i, err)
					return
				}
				receipts[w] = append(receipts[w], r)
			}
		}()
	}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 5 {
				var batch []pledge.Submission
				for j := range 4 {
					k := 1000 + w*100 + b*4 + j
					batch = append(batch, Submission(h, opt.ID, k, Leaves[j%3]), PendingSubmission(h, req.ID, k, Leaves[j%3]))
				}
				if _, err := s.CommitBatch(ctx, batch); err != nil {
					errs <- fmt.Errorf("batch: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	byNumber := make(map[int64]int) // number -> receipts naming it
	for _, rs := range receipts {
		for _, r := range rs {
			byNumber[r.Number]++
		}
	}
	for n := int64(1); n <= pending; n++ {
		if byNumber[n] != 2 {
			t.Errorf("number %d in %d receipts, want 2 (one pledge confirmed twice)", n, byNumber[n])
		}
	}
	if len(byNumber) != pending {
		t.Errorf("receipts name %d numbers, want %d", len(byNumber), pending)
	}
	if a := mustCounts(t, s, req.ID, pledge.Counts{Total: pending, Regions: map[string]int64{"N1": 14, "N2": 13, "S1": 13}}); a.Rows != pending || a.LastNumber != pending {
		t.Errorf("required campaign audit = %+v, want %d rows", a, pending)
	}
	if a := MustAudit(t, s, opt.ID); a.Rows != 40 {
		t.Errorf("other campaign rows = %d, want 40", a.Rows)
	}
}

// testPendingResend: resending counts opt-in mails up to a limit.
func testPendingResend(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "resend", pledge.EmailRequired)
	other := mustCampaignMode(t, s, "resend-other", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	subs := []pledge.Submission{PendingSubmission(h, c.ID, 1, "N1"), PendingSubmission(h, c.ID, 2, "S1")}
	ids := mustPending(t, s, subs)
	sends := func(id int64) int { t.Helper(); return mustPendingRow(t, s, c.ID, id).Sends }

	for want := 2; want <= 3; want++ {
		if err := s.Resend(ctx, c.ID, ids[0], 3); err != nil {
			t.Fatalf("Resend to %d sends: %v", want, err)
		}
		if got := sends(ids[0]); got != want {
			t.Fatalf("after Resend, Sends = %d, want %d", got, want)
		}
	}
	if err := s.Resend(ctx, c.ID, ids[0], 3); !errors.Is(err, pledge.ErrLimit) {
		t.Fatalf("Resend past the limit = %v, want ErrLimit", err)
	}
	if got := sends(ids[0]); got != 3 {
		t.Fatalf("a refused Resend changed Sends to %d, want 3", got)
	}
	if err := s.Resend(ctx, c.ID, ids[0], 4); err != nil {
		t.Fatalf("Resend under a higher limit: %v", err)
	}
	if got := sends(ids[0]); got != 4 {
		t.Fatalf("Sends = %d, want 4", got)
	}
	if err := s.Resend(ctx, c.ID, ids[1], 1); !errors.Is(err, pledge.ErrLimit) {
		t.Fatalf("Resend with limit 1 after the first mail = %v, want ErrLimit", err)
	}
	if got := sends(ids[1]); got != 1 {
		t.Fatalf("other pending pledge Sends = %d, want 1", got)
	}

	mustConfirm(t, s, c.ID, ids[0], time.Now().UTC())
	for _, tc := range []struct {
		name         string
		campaign, id int64
	}{
		{"confirmed", c.ID, ids[0]},
		{"unknown id", c.ID, ids[1] + 1000},
		{"other campaign", other.ID, ids[1]},
	} {
		if err := s.Resend(ctx, tc.campaign, tc.id, 100); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("Resend (%s) = %v, want ErrNotFound", tc.name, err)
		}
	}
	if got := mustPendingRow(t, s, c.ID, ids[0]); got.Sends != 4 || got.Number != 1 {
		t.Errorf("confirmed pending pledge = %+v, want Sends 4, Number 1", got)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}})
}

// testPendingExpire: expiry removes the pending rows made before the
// cutoff, confirmed or not, and frees their numbers and addresses.
func testPendingExpire(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "expire", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	cutoff := t0.Add(90 * time.Minute)
	at := []time.Time{t0, t0.Add(time.Hour), cutoff, t0.Add(2 * time.Hour)}
	var subs []pledge.Submission
	for i, when := range at {
		sub := PendingSubmission(h, c.ID, i, Leaves[i%3])
		sub.CreatedAt = when
		subs = append(subs, sub)
	}
	ids := mustPending(t, s, subs)
	// The second is confirmed; its pending row goes too, its pledge stays.
	mustConfirm(t, s, c.ID, ids[1], t0.Add(70*time.Minute))

	n, err := s.ExpirePending(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("ExpirePending = %d, %v; want 2 (one unconfirmed, one confirmed)", n, err)
	}
	for i, gone := range []bool{true, true, false, false} {
		_, err := s.Pending(ctx, c.ID, ids[i])
		switch {
		case gone && !errors.Is(err, pledge.ErrNotFound):
			t.Errorf("Pending(%d) made at %v = %v, want ErrNotFound", ids[i], at[i], err)
		case !gone && err != nil:
			t.Errorf("Pending(%d) made at %v (not before the cutoff): %v", ids[i], at[i], err)
		}
	}
	if diff := cmp.Diff(wantPending(subs[2], ids[2], 1), mustPendingRow(t, s, c.ID, ids[2])); diff != "" {
		t.Errorf("pending pledge made at the cutoff changed (-want +got):\n%s", diff)
	}
	if _, err := s.Confirm(ctx, c.ID, ids[0], time.Now()); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Confirm of expired = %v, want ErrNotFound", err)
	}
	if err := s.Resend(ctx, c.ID, ids[0], 100); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Resend of expired = %v, want ErrNotFound", err)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N2": 1}})
	if p := mustPledge(t, s, c.ID, 1); p.Name != subs[1].Name {
		t.Errorf("confirmed pledge after expiry = %+v", p)
	}

	// The expired number and address may pledge again; the confirmed may not.
	again := PendingSubmission(h, c.ID, 0, "S1")
	res := mustCommit(t, s, []pledge.Submission{again, PendingSubmission(h, c.ID, 1, "S1")})
	if res[0].Err != nil || res[0].Receipt.Pending <= 0 || res[0].Receipt.Pending == ids[0] {
		t.Errorf("pledge again after expiry = %+v, want a new pending pledge", res[0])
	}
	if !errors.Is(res[1].Err, pledge.ErrDuplicate) {
		t.Errorf("confirmed number again after expiry = %+v, want ErrDuplicate", res[1])
	}
	if n, err := s.ExpirePending(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second ExpirePending = %d, %v; want 0", n, err)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N2": 1}})
}

// testPendingAnonymise: anonymising a closed campaign removes its pending
// pledges and keeps its confirmed ones, without addresses; it counts the
// unconfirmed ones it deletes (one replaced by a later pledge of its number
// included: it holds a name and an address too), in its result and in its
// audit entry.
func testPendingAnonymise(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := Campaign("anon-pending")
	c.Email = pledge.EmailRequired
	c.ClosesAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	keep := mustCampaignMode(t, s, "anon-open-pending", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	ids := mustPending(t, s, []pledge.Submission{
		PendingSubmission(h, c.ID, 1, "N1"), PendingSubmission(h, c.ID, 2, "S1"), PendingSubmission(h, keep.ID, 3, "S1"),
	})
	mustConfirm(t, s, c.ID, ids[0], time.Now().UTC())
	replaced := mustPending(t, s, []pledge.Submission{PendingSubmission(h, c.ID, 4, "S1")})
	ids = append(ids, replaced[0], mustPending(t, s, []pledge.Submission{WithEmail(h, PendingSubmission(h, c.ID, 4, "S1"), 5)})[0])
	act := &pledge.Action{Actor: "deo", Kind: "anonymise", Detail: "removed"}
	res, err := s.Anonymise(ctx, c.ID, act)
	if err != nil || res != (pledge.Anonymisation{Pledges: 1, Pending: 3}) {
		t.Fatalf("Anonymise = %+v, %v; want 1 pledge (the confirmed one's address) and 3 unconfirmed deleted", res, err)
	}
	if want := "removed from 1 pledges; 3 unconfirmed pledges deleted"; act.Detail != want {
		t.Errorf("audit entry %q, want %q", act.Detail, want)
	}
	for _, id := range append(ids[:2:2], ids[3:]...) {
		if _, err := s.Pending(ctx, c.ID, id); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("Pending(%d) after Anonymise = %v, want ErrNotFound", id, err)
		}
	}
	if p := mustPledge(t, s, c.ID, 1); p.Email != "" || p.Name != "Citizen 1" {
		t.Errorf("confirmed pledge after Anonymise = %+v, want name kept, email gone", p)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}})
	if p := mustPendingRow(t, s, keep.ID, ids[2]); p.Email != Email(3) {
		t.Errorf("another campaign's pending pledge = %+v, want it untouched", p)
	}
}

// testWithdraw: a withdrawn pledge stops counting, forgets its address and
// keeps its number.
func testWithdraw(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "withdraw", pledge.EmailOptional)
	other := mustCampaignMode(t, s, "withdraw-other", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	regions := []string{"N1", "N1", "N2", "S1"}
	var subs []pledge.Submission
	for i, r := range regions {
		subs = append(subs, WithEmail(h, Submission(h, c.ID, i, r), i))
	}
	mustCommit(t, s, subs)
	mustCommit(t, s, []pledge.Submission{Submission(h, other.ID, 9, "N1")})
	before := mustPledge(t, s, c.ID, 2)

	now := time.Date(2026, 4, 5, 6, 7, 8, 9000, time.UTC)
	if err := s.Withdraw(ctx, c.ID, 2, now); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		a := mustCounts(t, s, c.ID, pledge.Counts{Total: 3, Regions: map[string]int64{"N1": 1, "N2": 1, "S1": 1}})
		if a.Rows != 4 || a.Valid != 3 || a.Counted != 3 || a.LastNumber != 4 {
			t.Errorf("%s: audit = %+v, want 4 rows, 3 valid and counted", when, a)
		}
		want := before
		want.Email, want.WithdrawnAt = "", now
		got := mustPledge(t, s, c.ID, 2)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Pledge(2) mismatch (-want +got):\n%s", when, diff)
		}
		if !got.Withdrawn() {
			t.Errorf("%s: Pledge(2).Withdrawn() = false", when)
		}
		if p := mustPledge(t, s, c.ID, 1); p.Withdrawn() || p.Email != Email(0) {
			t.Errorf("%s: pledge 1 changed: %+v", when, p)
		}
		if n := minuteTotal(t, s, c.ID, subs[0].CreatedAt); n != 3 {
			t.Errorf("%s: minute counts sum to %d, want 3", when, n)
		}
		mustCounts(t, s, other.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}})
		wantUncounted(t, s, c.ID, pledge.Uncounted{Withdrawn: 1})
		wantUncounted(t, s, other.ID, pledge.Uncounted{})
	}
	check("after Withdraw")
	if err := s.Withdraw(ctx, c.ID, 2, now.Add(time.Hour)); err != nil {
		t.Fatalf("second Withdraw: %v", err)
	}
	check("after withdrawing again")

	for _, tc := range []struct {
		name             string
		campaign, number int64
	}{
		{"unknown number", c.ID, 99},
		{"unknown campaign", other.ID + 1000, 1},
		{"number not in the other campaign", other.ID, 3},
	} {
		if err := s.Withdraw(ctx, tc.campaign, tc.number, now); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("Withdraw (%s) = %v, want ErrNotFound", tc.name, err)
		}
	}
	check("after refused withdrawals")

	// The number stays taken: pledging again is a duplicate.
	res := mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "S1")})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("pledge again after withdrawal = %+v, want ErrDuplicate", res[0])
	}
	check("after pledging again")
}

// testWithdrawConfirmed: a confirmed opt-in pledge withdraws like any other.
func testWithdrawConfirmed(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "withdraw-optin", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	ids := mustPending(t, s, []pledge.Submission{PendingSubmission(h, c.ID, 1, "N1"), PendingSubmission(h, c.ID, 2, "S1")})
	mustConfirm(t, s, c.ID, ids[0], time.Now().UTC())
	mustConfirm(t, s, c.ID, ids[1], time.Now().UTC())
	now := time.Date(2026, 4, 5, 6, 7, 8, 0, time.UTC)
	if err := s.Withdraw(ctx, c.ID, 2, now); err != nil {
		t.Fatal(err)
	}
	if a := mustCounts(t, s, c.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}}); a.Valid != 1 || a.Rows != 2 {
		t.Errorf("audit = %+v, want 2 rows, 1 valid", a)
	}
	if p := mustPledge(t, s, c.ID, 2); !p.WithdrawnAt.Equal(now) || p.Email != "" {
		t.Errorf("withdrawn pledge = %+v, want withdrawn at %v without email", p, now)
	}
	if p := mustPledge(t, s, c.ID, 1); p.Withdrawn() || p.Email != Email(1) {
		t.Errorf("other pledge = %+v, want untouched", p)
	}
	res := mustCommit(t, s, []pledge.Submission{WithEmail(h, PendingSubmission(h, c.ID, 2, "S1"), 7)})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("withdrawn number pledging again = %+v, want ErrDuplicate", res[0])
	}
	if n := mustConfirm(t, s, c.ID, mustPending(t, s, []pledge.Submission{PendingSubmission(h, c.ID, 3, "S1")})[0], time.Now().UTC()); n != 3 {
		t.Errorf("next confirmation got number %d, want 3", n)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N1": 1, "S1": 1}})
}

// testWithdrawInvalidated: withdrawals and invalidations never take a
// pledge off the counts twice nor count a withdrawn pledge again.
func testWithdrawInvalidated(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "withdraw-invalid", pledge.EmailOptional)
	base := invalidationFixture(t, s, c)
	wantAudit := func(when string, total int64, regions map[string]int64, valid int64) {
		t.Helper()
		if a := mustCounts(t, s, c.ID, pledge.Counts{Total: total, Regions: regions}); a.Valid != valid || a.Counted != valid || a.Rows != 8 {
			t.Fatalf("%s: audit = %+v, want 8 rows, %d valid and counted", when, a, valid)
		}
		if n := minuteTotal(t, s, c.ID, base); n != total {
			t.Fatalf("%s: minute counts sum to %d, want %d", when, n, total)
		}
	}
	invalidate := func(prefix string, want int64) pledge.Invalidation {
		t.Helper()
		inv, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix(prefix)}, "test", "admin", nil)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Rows != want {
			t.Fatalf("Invalidate(%s).Rows = %d, want %d", prefix, inv.Rows, want)
		}
		return inv
	}
	withdraw := func(number int64) {
		t.Helper()
		if err := s.Withdraw(ctx, c.ID, number, base.Add(5*time.Hour)); err != nil {
			t.Fatalf("Withdraw(%d): %v", number, err)
		}
	}
	wantAudit("fixture", 8, map[string]int64{"N1": 4, "S1": 4}, 8)

	withdraw(5) // valid, 2001:db8::1, N1
	wantAudit("withdrew 5", 7, map[string]int64{"N1": 3, "S1": 4}, 7)
	v4 := invalidate("100.64.0.0/24", 4) // 1, 2 in N1; 3, 4 in S1
	wantAudit("invalidated 1-4", 3, map[string]int64{"N1": 1, "S1": 2}, 3)

	withdraw(1) // invalidated: counts stay
	wantAudit("withdrew invalidated 1", 3, map[string]int64{"N1": 1, "S1": 2}, 3)
	if p := mustPledge(t, s, c.ID, 1); !p.Withdrawn() || !p.Invalidated || p.Email != "" {
		t.Errorf("pledge 1 = %+v, want withdrawn and invalidated, without email", p)
	}
	withdraw(1)
	wantAudit("withdrew 1 again", 3, map[string]int64{"N1": 1, "S1": 2}, 3)

	v6 := invalidate("2001:db8::/48", 1) // 6 only: 5 is withdrawn
	wantAudit("invalidated 6", 2, map[string]int64{"S1": 2}, 2)

	if err := s.RevertInvalidation(ctx, c.ID, v4.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantAudit("reverted 1-4 (1 withdrawn)", 5, map[string]int64{"N1": 1, "S1": 4}, 5)
	if p := mustPledge(t, s, c.ID, 1); !p.Withdrawn() || p.Invalidated {
		t.Errorf("pledge 1 after revert = %+v, want withdrawn, not invalidated", p)
	}
	if err := s.RevertInvalidation(ctx, c.ID, v6.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantAudit("reverted 6", 6, map[string]int64{"N1": 2, "S1": 4}, 6)

	// A window covering every pledge takes only those not withdrawn.
	all, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{From: base.Add(-time.Hour), To: base.Add(3 * time.Hour)}, "all", "admin", nil)
	if err != nil || all.Rows != 6 {
		t.Fatalf("Invalidate(all) = %+v, %v; want 6 rows (8 less 2 withdrawn)", all, err)
	}
	wantAudit("invalidated all", 0, nil, 0)
	if err := s.RevertInvalidation(ctx, c.ID, all.ID, nil); err != nil {
		t.Fatal(err)
	}
	wantAudit("reverted all", 6, map[string]int64{"N1": 2, "S1": 4}, 6)
}

// testPendingIDsNeverReused: once expiry has emptied the pending table, a
// new pending pledge still gets an ID never given before, so an old
// confirm link cannot come to name someone else's pledge.
func testPendingIDsNeverReused(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaignMode(t, s, "ids", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	commit := func(i int) int64 {
		t.Helper()
		res, err := s.CommitBatch(ctx, []pledge.Submission{PendingSubmission(h, c.ID, i, "N1")})
		if err != nil || res[0].Err != nil {
			t.Fatalf("commit: %v %v", err, res[0].Err)
		}
		return res[0].Receipt.Pending
	}
	first, second := commit(1), commit(2)
	if n, err := s.ExpirePending(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("ExpirePending = %d, %v; want 2", n, err)
	}
	if third := commit(3); third <= max(first, second) {
		t.Errorf("after expiry a pending pledge got ID %d; %d and %d were given before", third, first, second)
	}
}

// wantUncounted checks what Uncounted says of a campaign.
func wantUncounted(t *testing.T, s store.Store, campaignID int64, want pledge.Uncounted) {
	t.Helper()
	if got, err := s.Uncounted(context.Background(), campaignID); err != nil || got != want {
		t.Errorf("Uncounted = %+v, %v; want %+v", got, err, want)
	}
}
