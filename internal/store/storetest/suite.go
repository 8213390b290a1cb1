package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Opener returns a fresh, empty, migrated store for one test. It registers
// its own clean-up with t.
type Opener func(t *testing.T) store.Store

// Run exercises a backend against the behaviour every store must have.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CampaignRoundTrip", testCampaignRoundTrip},
		{"CampaignSlugUnique", testCampaignSlugUnique},
		{"CampaignInvalidRefused", testCampaignInvalid},
		{"CampaignNotFound", testCampaignNotFound},
		{"CampaignPausedGoal", testCampaignPausedGoal},
		{"CampaignUpdate", testCampaignUpdate},
		{"CampaignSetPaused", testCampaignSetPaused},
		{"CampaignEditConflict", testCampaignEditConflict},
		{"CampaignUpdateRegionInUse", testCampaignUpdateRegionInUse},
		{"CampaignUpdateNotFound", testCampaignUpdateNotFound},
		{"CampaignUpdateInvalid", testCampaignUpdateInvalid},
		{"CampaignsAudited", testCampaignsAudited},
		{"BatchNumbersAndCounts", testBatchNumbersAndCounts},
		{"BatchDuplicateWithinBatch", testDuplicateWithinBatch},
		{"BatchDuplicateAcrossBatches", testDuplicateAcrossBatches},
		{"BatchCampaignsIndependent", testCampaignsIndependent},
		{"BatchAllOrNothing", testBatchAllOrNothing},
		{"BatchConcurrentCommits", testConcurrentCommits},
		{"BatchLarge", testBatchLarge},
		{"PledgeByNumber", testPledgeByNumber},
		{"SecretStable", testSecretStable},
		{"SecretGuard", testSecretGuard},
		{"SecretGuardFirstRecord", testSecretGuardFirstRecord},
		{"MinuteCounts", testMinuteCounts},
		{"Export", testExport},
		{"CertificateText", testCertificateText},
		{"RegionLabel", testRegionLabel},
		{"RegionInUseAfterInvalidation", testRegionInUseAfterInvalidation},
		{"RegionInUseWhilePending", testRegionInUseWhilePending},
		{"RegionsInUse", testRegionsInUse},
		{"RegionsRevEdits", testRegionsRevEdits},
		{"RegionsRevBatch", testRegionsRevBatch},
		{"LastNumber", testLastNumber},
		{"NumberByPhone", testNumberByPhone},
		{"PendingByPhone", testPendingByPhone},
		{"Users", testUsers},
		{"UsersAudited", testUsersAudited},
		{"UserRole", testUserRole},
		{"UserLastAdmin", testUserLastAdmin},
		{"Sessions", testSessions},
		{"ActionsAppendOnly", testActions},
		{"Invalidate", testInvalidate},
		{"JobBacklog", testJobBacklog},
		{"Anonymise", testAnonymise},
		{"ActionsFilter", testActionsFilter},
		{"ChangeUserPassword", testChangeUserPassword},
		{"PendingBatch", testPendingBatch},
		{"PendingDuplicates", testPendingDuplicates},
		{"PendingReplaced", testPendingReplaced},
		{"PendingExpiredGivesWay", testPendingExpiredGivesWay},
		{"RekeyAddresses", testRekeyAddresses},
		{"PendingConfirm", testPendingConfirm},
		{"PendingConfirmNotFound", testPendingConfirmNotFound},
		{"PendingConfirmDuplicate", testPendingConfirmDuplicate},
		{"PendingConfirmInterleaved", testPendingConfirmInterleaved},
		{"PendingConfirmConcurrent", testPendingConfirmConcurrent},
		{"OptionalEmailOncePerCampaign", testOptionalEmailOncePerCampaign},
		{"PendingResend", testPendingResend},
		{"PendingExpire", testPendingExpire},
		{"PendingIDsNeverReused", testPendingIDsNeverReused},
		{"PendingAnonymise", testPendingAnonymise},
		{"Withdraw", testWithdraw},
		{"WithdrawConfirmed", testWithdrawConfirmed},
		{"WithdrawInvalidated", testWithdrawInvalidated},
		{"CorrectName", testCorrectName},
		{"CorrectNameLimit", testCorrectNameLimit},
		{"CorrectNameConcurrent", testCorrectNameConcurrent},
		{"JobsConfirmationMail", testJobsConfirmationMail},
		{"JobsOptInMail", testJobsOptInMail},
		{"JobsFailedWrite", testJobsFailedWrite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func mustCampaign(t *testing.T, s store.Store, slug string) *pledge.Campaign {
	t.Helper()
	c := Campaign(slug)
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatalf("CreateCampaign(%s): %v", slug, err)
	}
	return c
}

func mustCommit(t *testing.T, s store.Store, subs []pledge.Submission) []store.Result {
	t.Helper()
	res, err := s.CommitBatch(context.Background(), subs)
	if err != nil {
		t.Fatalf("CommitBatch: %v", err)
	}
	if len(res) != len(subs) {
		t.Fatalf("CommitBatch returned %d results for %d submissions", len(res), len(subs))
	}
	return res
}

// MustAudit fails t unless the campaign's rows, counts and numbers agree,
// and returns the audit.
func MustAudit(t *testing.T, s store.Store, campaignID int64) pledge.Audit {
	t.Helper()
	a, err := s.Audit(context.Background(), campaignID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !a.Consistent() {
		t.Fatalf("campaign %d is inconsistent: %+v", campaignID, a)
	}
	return a
}

func testCampaignRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := Campaign("round-trip")
	want.ClosesAt = time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	want.Email = pledge.EmailOptional
	want.CertificateTitle = pledge.Text{"en": "Certificate of Appreciation", "hi": "प्रशंसा पत्र"}
	want.Signatory = pledge.Text{"en": "District Election Officer, Bilaspur"}
	want.RegionLabel = pledge.Text{"en": "District", "hi": "ज़िला"}
	want.CreatedAt = time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := s.CreateCampaign(ctx, want, nil); err != nil {
		t.Fatal(err)
	}
	if want.ID == 0 {
		t.Fatal("CreateCampaign did not set the ID")
	}
	got, err := s.Campaign(ctx, "round-trip")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*want, got); diff != "" {
		t.Errorf("Campaign() mismatch (-want +got):\n%s", diff)
	}
	other := mustCampaign(t, s, "second")
	list, err := s.Campaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Slug != "round-trip" || list[1].Slug != "second" || len(list[1].Regions) != len(other.Regions) {
		t.Errorf("Campaigns() = %+v, want round-trip then second, with regions", list)
	}
}

func testCampaignSlugUnique(t *testing.T, s store.Store) {
	mustCampaign(t, s, "same")
	err := s.CreateCampaign(context.Background(), Campaign("same"), nil)
	if !errors.Is(err, pledge.ErrDuplicate) {
		t.Fatalf("second CreateCampaign(same) = %v, want ErrDuplicate", err)
	}
}

func testCampaignInvalid(t *testing.T, s store.Store) {
	c := Campaign("Bad Slug")
	if err := s.CreateCampaign(context.Background(), c, nil); err == nil {
		t.Fatal("CreateCampaign accepted an invalid slug")
	}
	if list, _ := s.Campaigns(context.Background()); len(list) != 0 {
		t.Fatalf("an invalid campaign was stored: %+v", list)
	}
}

func testCampaignNotFound(t *testing.T, s store.Store) {
	_, err := s.Campaign(context.Background(), "nope")
	if !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("Campaign(nope) = %v, want ErrNotFound", err)
	}
	_, err = s.Pledge(context.Background(), 1, 1)
	if !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("Pledge(1, 1) = %v, want ErrNotFound", err)
	}
}

func testBatchNumbersAndCounts(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "numbers")
	h := pledge.NewHasher([]byte("k"))
	var subs []pledge.Submission
	for i := 0; i < 30; i++ {
		subs = append(subs, Submission(h, c.ID, i, Leaves[i%3]))
	}
	res := mustCommit(t, s, subs[:10])
	res = append(res, mustCommit(t, s, subs[10:])...)
	for i, r := range res {
		if r.Err != nil || r.Receipt.Number != int64(i+1) || r.Receipt.CampaignID != c.ID {
			t.Fatalf("result %d = %+v, want number %d in campaign %d", i, r, i+1, c.ID)
		}
	}
	counts, err := s.Counts(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := pledge.Counts{Total: 30, Regions: map[string]int64{"N1": 10, "N2": 10, "S1": 10}}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("Counts mismatch (-want +got):\n%s", diff)
	}
	if a := MustAudit(t, s, c.ID); a.Rows != 30 {
		t.Errorf("audit rows = %d, want 30", a.Rows)
	}
}

func testDuplicateWithinBatch(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "dup-in-batch")
	h := pledge.NewHasher([]byte("k"))
	a := Submission(h, c.ID, 1, "N1")
	b := Submission(h, c.ID, 2, "S1")
	a2 := Submission(h, c.ID, 1, "N2") // same phone, other region
	res := mustCommit(t, s, []pledge.Submission{a, a2, b})
	if res[0].Err != nil || res[0].Receipt.Number != 1 {
		t.Errorf("first = %+v, want number 1", res[0])
	}
	if !errors.Is(res[1].Err, pledge.ErrDuplicate) {
		t.Errorf("repeat = %+v, want ErrDuplicate", res[1])
	}
	if res[2].Err != nil || res[2].Receipt.Number != 2 {
		t.Errorf("third = %+v, want number 2 (no gap)", res[2])
	}
	counts, _ := s.Counts(context.Background(), c.ID)
	if counts.Total != 2 || counts.Regions["N2"] != 0 {
		t.Errorf("counts = %+v, want total 2 and nothing in N2", counts)
	}
	MustAudit(t, s, c.ID)
}

func testDuplicateAcrossBatches(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "dup-across")
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "N1")})
	res := mustCommit(t, s, []pledge.Submission{
		Submission(h, c.ID, 1, "S1"),
		Submission(h, c.ID, 2, "S1"),
	})
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("repeat = %+v, want ErrDuplicate", res[0])
	}
	if res[1].Err != nil || res[1].Receipt.Number != 2 {
		t.Errorf("next = %+v, want number 2", res[1])
	}
	if a := MustAudit(t, s, c.ID); a.Rows != 2 {
		t.Errorf("rows = %d, want 2", a.Rows)
	}
}

func testCampaignsIndependent(t *testing.T, s store.Store) {
	a := mustCampaign(t, s, "first")
	b := mustCampaign(t, s, "other")
	h := pledge.NewHasher([]byte("k"))
	// The same person may pledge to two campaigns; numbers are per campaign.
	res := mustCommit(t, s, []pledge.Submission{
		Submission(h, a.ID, 1, "N1"),
		Submission(h, b.ID, 1, "N1"),
		Submission(h, a.ID, 2, "S1"),
	})
	got := []int64{res[0].Receipt.Number, res[1].Receipt.Number, res[2].Receipt.Number}
	if diff := cmp.Diff([]int64{1, 1, 2}, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
	MustAudit(t, s, a.ID)
	MustAudit(t, s, b.ID)
}

// testBatchAllOrNothing: a batch that fails in its last campaign stores
// nothing of the campaigns before it: no pledge, count or number.
func testBatchAllOrNothing(t *testing.T, s store.Store) {
	a := mustCampaign(t, s, "atomic-a")
	b := mustCampaign(t, s, "atomic-b")
	h := pledge.NewHasher([]byte("k"))
	good := []pledge.Submission{
		Submission(h, a.ID, 1, "N1"),
		Submission(h, b.ID, 2, "S1"),
		Submission(h, a.ID, 3, "N2"),
	}
	// Campaigns are committed in order of ID; this one does not exist.
	bad := append(slices.Clone(good), Submission(h, b.ID+1000, 4, "N1"))
	if res, err := s.CommitBatch(context.Background(), bad); err == nil {
		t.Fatalf("CommitBatch naming an unknown campaign = %+v, want an error", res)
	}
	for _, c := range []*pledge.Campaign{a, b} {
		mustCounts(t, s, c.ID, pledge.Counts{})
		if n, err := s.LastNumber(context.Background(), c.ID); err != nil || n != 0 {
			t.Fatalf("LastNumber(%s) = %d, %v after a failed batch, want 0", c.Slug, n, err)
		}
	}
	// The same pledges then commit, numbered from 1.
	res := mustCommit(t, s, good)
	got := []int64{res[0].Receipt.Number, res[1].Receipt.Number, res[2].Receipt.Number}
	if diff := cmp.Diff([]int64{1, 1, 2}, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
	mustCounts(t, s, a.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N1": 1, "N2": 1}})
	mustCounts(t, s, b.ID, pledge.Counts{Total: 1, Regions: map[string]int64{"S1": 1}})
}

func testConcurrentCommits(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "concurrent")
	h := pledge.NewHasher([]byte("k"))
	const writers, perWriter = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i += 10 {
				var subs []pledge.Submission
				for j := i; j < i+10; j++ {
					// Writers overlap on half their numbers.
					subs = append(subs, Submission(h, c.ID, (w%2)*perWriter+j, Leaves[j%3]))
				}
				if _, err := s.CommitBatch(context.Background(), subs); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
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
	if a := MustAudit(t, s, c.ID); a.Rows != 2*perWriter {
		t.Errorf("rows = %d, want %d", a.Rows, 2*perWriter)
	}
}

func testPledgeByNumber(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "token")
	h := pledge.NewHasher([]byte("k"))
	sub := Submission(h, c.ID, 7, "N2")
	sub.Name = "सुनीता देवी"
	sub.Lang = "hi"
	res := mustCommit(t, s, []pledge.Submission{sub})
	got, err := s.Pledge(context.Background(), c.ID, res[0].Receipt.Number)
	if err != nil {
		t.Fatal(err)
	}
	want := pledge.Pledge{CampaignID: c.ID, Number: 1, Name: sub.Name,
		Region: "N2", Lang: "hi", PhoneMasked: sub.PhoneMasked, CreatedAt: sub.CreatedAt}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PledgeByToken mismatch (-want +got):\n%s", diff)
	}
}

func testSecretStable(t *testing.T, s store.Store) {
	// Instances starting together must agree on one secret.
	secrets := make(chan []byte, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Secret(context.Background())
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
			secrets <- b
		}()
	}
	wg.Wait()
	close(secrets)
	a := <-secrets
	for b := range secrets {
		if string(a) != string(b) {
			t.Fatalf("concurrent Secret() calls disagree: %x and %x", a, b)
		}
	}
	b, err := s.Secret(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 32 || string(a) != string(b) {
		t.Fatalf("Secret() = %x then %x, want one stable secret of 32+ bytes", a, b)
	}
}

// testBatchLarge sends one batch bigger than any statement piece, mixing
// repeats within the batch and pledges stored earlier.
func testBatchLarge(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "large")
	h := pledge.NewHasher([]byte("k"))
	var early []pledge.Submission
	for i := 0; i < 50; i++ {
		early = append(early, Submission(h, c.ID, i*10, "S1"))
	}
	mustCommit(t, s, early)
	var subs []pledge.Submission
	for i := 0; i < 1300; i++ {
		phone := 100000 + i
		switch {
		case i%13 == 0:
			phone = (i % 500) * 10 // stored earlier when below 500
		case i >= 1200:
			phone = 100000 + i - 1200 // repeats within the batch
		}
		subs = append(subs, Submission(h, c.ID, phone, Leaves[i%3]))
	}
	res := mustCommit(t, s, subs)
	seen := map[int64]bool{}
	var dups int
	for i, r := range res {
		switch {
		case errors.Is(r.Err, pledge.ErrDuplicate):
			dups++
		case r.Err != nil:
			t.Fatalf("result %d: %v", i, r.Err)
		case seen[r.Receipt.Number] || r.Receipt.Number <= 50:
			t.Fatalf("result %d: number %d repeated or taken by an earlier batch", i, r.Receipt.Number)
		default:
			seen[r.Receipt.Number] = true
		}
	}
	a := MustAudit(t, s, c.ID)
	if int(a.Rows) != 50+len(seen) || dups+len(seen) != len(subs) {
		t.Fatalf("rows %d, new %d, duplicates %d of %d", a.Rows, len(seen), dups, len(subs))
	}
	// Numbers follow arrival order.
	var prev int64
	for _, r := range res {
		if r.Err == nil {
			if r.Receipt.Number != prev+1 && prev != 0 {
				t.Fatalf("number %d follows %d: not in arrival order", r.Receipt.Number, prev)
			}
			prev = r.Receipt.Number
		}
	}
}
