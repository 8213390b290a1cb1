package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// nameAct is the audit entry of an administrator's name correction.
func nameAct(detail string) *pledge.Action {
	return &pledge.Action{Actor: "deo", Remote: "203.0.113.9", Kind: "pledge-name", Detail: detail}
}

// actionDetails are the audit log's entries, oldest first, as "kind detail".
func actionDetails(t *testing.T, s store.Store) []string {
	t.Helper()
	acts, err := s.Actions(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(acts) - 1; i >= 0; i-- {
		out = append(out, acts[i].Kind+" "+acts[i].Detail)
	}
	return out
}

// testCorrectName: a correction changes the pledge's name, as intake would
// have stored it, and nothing else (counts, number, the other pledges),
// with its audit entry in the same transaction; the same name again, a
// name intake refuses, an unknown number and a void pledge change nothing
// and record nothing.
func testCorrectName(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "correct-name")
	h := pledge.NewHasher([]byte("k"))
	var subs []pledge.Submission
	for i, region := range []string{"N1", "N2", "S1", "S1"} {
		sub := Submission(h, c.ID, i, region)
		sub.Source = netip.MustParseAddr(fmt.Sprintf("100.64.0.%d", i+1))
		subs = append(subs, sub)
	}
	for _, res := range mustCommit(t, s, subs) {
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	counts := pledge.Counts{Total: 4, Regions: map[string]int64{"N1": 1, "N2": 1, "S1": 2}}
	before := mustPledge(t, s, c.ID, 2)

	// Typed on a phone: spaces around and between, a zero width space
	// pasted in, decomposed Devanagari. Stored as intake stores it.
	a := nameAct("correct-name #2; reason: typo")
	res, err := s.CorrectName(ctx, c.ID, 2, "  Ramesh\u200b   Kumar ", 0, a)
	if err != nil {
		t.Fatalf("CorrectName: %v", err)
	}
	if want := (pledge.NameCorrection{Old: "Citizen 1", New: "Ramesh Kumar"}); res != want || !res.Changed() {
		t.Errorf("CorrectName = %+v, want %+v, changed", res, want)
	}
	if a.ID == 0 || a.At.IsZero() {
		t.Errorf("audit entry: ID %d, At %v; want both set", a.ID, a.At)
	}
	after := mustPledge(t, s, c.ID, 2)
	if after.Name != "Ramesh Kumar" {
		t.Errorf("name after correction %q, want %q", after.Name, "Ramesh Kumar")
	}
	after.Name = before.Name
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the correction changed more than the name (-before +after):\n%s", diff)
	}
	for _, n := range []int64{1, 3, 4} {
		if p := mustPledge(t, s, c.ID, n); p.Name != fmt.Sprintf("Citizen %d", n-1) {
			t.Errorf("pledge %d's name %q changed too", n, p.Name)
		}
	}
	mustCounts(t, s, c.ID, counts)
	want := []string{`pledge-name correct-name #2: "Citizen 1" → "Ramesh Kumar"; reason: typo`}
	if diff := cmp.Diff(want, actionDetails(t, s)); diff != "" {
		t.Fatalf("audit log (-want +got):\n%s", diff)
	}

	// Devanagari is stored in Unicode's composed form (NFC), as intake
	// stores it: QA (U+0958) is KA with a nukta there.
	hindi := "\u0915\u093c\u093e\u0938\u093f\u092e \u0905\u0932\u0940"
	if res, err := s.CorrectName(ctx, c.ID, 3, "\u0958\u093e\u0938\u093f\u092e  \u0905\u0932\u0940", 0, nameAct("correct-name #3")); err != nil || res.New != hindi {
		t.Fatalf("CorrectName(Devanagari) = %+v, %v; want %q", res, err, hindi)
	}
	want = append(want, `pledge-name correct-name #3: "Citizen 2" → "`+hindi+`"`)

	// The same name again, however typed: nothing changes, nothing recorded.
	a = nameAct("correct-name #2; reason: again")
	res, err = s.CorrectName(ctx, c.ID, 2, "Ramesh  Kumar", 0, a)
	if err != nil || res.Changed() || res.New != "Ramesh Kumar" {
		t.Errorf("CorrectName(same name) = %+v, %v; want unchanged", res, err)
	}
	if a.ID != 0 {
		t.Errorf("the same name again was recorded as entry %d", a.ID)
	}

	// Names intake refuses: its own error, nothing changed.
	for _, tc := range []struct{ typed, key string }{
		{"   ", pledge.MsgNameRequired},
		{"Ramesh 🙂", pledge.MsgNameLetters},
		{"12345", pledge.MsgNameNoLetters},
		{"Ramesh\u202eKumar", pledge.MsgNameInvalid},
		{strings.Repeat("a", pledge.MaxNameLen+1), pledge.MsgNameTooLong},
	} {
		_, err := s.CorrectName(ctx, c.ID, 2, tc.typed, 0, nameAct("correct-name #2; reason: bad"))
		var fe *pledge.FieldError
		if !errors.As(err, &fe) || fe.Field != "name" || fe.Key != tc.key {
			t.Errorf("CorrectName(%q) = %v, want the field error %s", tc.typed, err, tc.key)
		}
	}

	// Unknown numbers and campaigns.
	for _, tc := range []struct{ campaign, number int64 }{{c.ID, 5}, {c.ID, 0}, {c.ID + 1000, 1}} {
		if _, err := s.CorrectName(ctx, tc.campaign, tc.number, "Someone", 0, nameAct("unknown")); !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("CorrectName(%d, %d) = %v, want ErrNotFound", tc.campaign, tc.number, err)
		}
	}

	// Void pledges: withdrawn by the citizen, invalidated by an admin.
	if err := s.Withdraw(ctx, c.ID, 4, before.CreatedAt); err != nil {
		t.Fatal(err)
	}
	inv, err := s.Invalidate(ctx, c.ID, pledge.InvalidationFilter{Prefix: netip.MustParsePrefix("100.64.0.1/32")}, "test", "deo", nil)
	if err != nil || inv.Rows != 1 {
		t.Fatalf("Invalidate = %+v, %v; want pledge 1 set aside", inv, err)
	}
	for _, number := range []int64{1, 4} {
		_, err := s.CorrectName(ctx, c.ID, number, "Someone Else", 0, nameAct("void"))
		if !errors.Is(err, pledge.ErrNotFound) {
			t.Errorf("CorrectName of void pledge %d = %v, want ErrNotFound", number, err)
		}
		if p := mustPledge(t, s, c.ID, number); p.Name != fmt.Sprintf("Citizen %d", number-1) {
			t.Errorf("void pledge %d renamed %q", number, p.Name)
		}
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N2": 1, "S1": 1}})
	if diff := cmp.Diff(want, actionDetails(t, s)); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	if p := mustPledge(t, s, c.ID, 2); p.Name != "Ramesh Kumar" {
		t.Errorf("pledge 2's name %q after the refusals, want %q", p.Name, "Ramesh Kumar")
	}
}

// testCorrectNameLimit: the citizen's corrections (limit > 0) are counted
// on the pledge and refused once limit were made; the same name again is
// not a correction, and an administrator's (limit 0) are neither limited
// nor counted.
func testCorrectNameLimit(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "correct-limit")
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "N1"), Submission(h, c.ID, 2, "N1")})
	citizen := func(name string) (pledge.NameCorrection, error) {
		return s.CorrectName(ctx, c.ID, 1, name, 2, &pledge.Action{Actor: "citizen", Kind: "pledge-name", Detail: "correct-limit #1"})
	}
	for i, name := range []string{"Ramesh Kumar", "Ramesh Kumarr"} {
		res, err := citizen(name)
		if err != nil || res.Counted != i+1 {
			t.Fatalf("citizen's correction %d = %+v, %v; want counted %d", i+1, res, err, i+1)
		}
	}
	if res, err := citizen("Ramesh  Kumarr"); err != nil || res.Changed() || res.Counted != 2 {
		t.Errorf("the same name again at the limit = %+v, %v; want no change, no error", res, err)
	}
	if _, err := citizen("Ramesh K"); !errors.Is(err, pledge.ErrLimit) {
		t.Errorf("third correction = %v, want ErrLimit", err)
	}
	if p := mustPledge(t, s, c.ID, 1); p.Name != "Ramesh Kumarr" || p.NameCorrections != 2 {
		t.Errorf("after the refused correction: name %q, %d corrections; want %q, 2", p.Name, p.NameCorrections, "Ramesh Kumarr")
	}
	// An administrator mends it; the citizen still may not.
	if res, err := s.CorrectName(ctx, c.ID, 1, "Ramesh Kumar", 0, nameAct("correct-limit #1; reason: asked by phone")); err != nil || res.Counted != 2 {
		t.Fatalf("administrator's correction = %+v, %v; want done, counted still 2", res, err)
	}
	if _, err := citizen("Ramesh K"); !errors.Is(err, pledge.ErrLimit) {
		t.Errorf("citizen's correction after the administrator's = %v, want ErrLimit", err)
	}
	if p := mustPledge(t, s, c.ID, 1); p.Name != "Ramesh Kumar" || p.NameCorrections != 2 {
		t.Errorf("after the administrator's correction: name %q, %d corrections; want %q, 2", p.Name, p.NameCorrections, "Ramesh Kumar")
	}
	// The other pledge has its own allowance.
	if res, err := s.CorrectName(ctx, c.ID, 2, "Sita Devi", 2, nil); err != nil || res.Counted != 1 {
		t.Errorf("another pledge's first correction = %+v, %v; want counted 1", res, err)
	}
	mustCounts(t, s, c.ID, pledge.Counts{Total: 2, Regions: map[string]int64{"N1": 2}})
}

// testCorrectNameConcurrent: corrections racing on one pledge take turns:
// exactly limit of them are made, each recorded once, and the name is the
// last one made.
func testCorrectNameConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := mustCampaign(t, s, "correct-race")
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{Submission(h, c.ID, 1, "S1")})
	const limit, tries = 3, 8
	var wg sync.WaitGroup
	errs := make([]error, tries)
	for i := range tries {
		wg.Go(func() {
			_, errs[i] = s.CorrectName(ctx, c.ID, 1, fmt.Sprintf("Name %c", 'A'+i), limit,
				&pledge.Action{Actor: "citizen", Kind: "pledge-name", Detail: fmt.Sprintf("correct-race #1 try %d", i)})
		})
	}
	wg.Wait()
	made := 0
	for i, err := range errs {
		switch {
		case err == nil:
			made++
		case !errors.Is(err, pledge.ErrLimit):
			t.Errorf("try %d: %v, want done or ErrLimit", i, err)
		}
	}
	if made != limit {
		t.Errorf("%d corrections made, want %d", made, limit)
	}
	log := actionDetails(t, s)
	if len(log) != limit {
		t.Fatalf("audit log %q, want %d entries", log, limit)
	}
	last := log[len(log)-1]
	if p := mustPledge(t, s, c.ID, 1); !strings.HasSuffix(last, fmt.Sprintf("→ %q", p.Name)) {
		t.Errorf("name %q, but the last correction recorded is %q", p.Name, last)
	}
}
