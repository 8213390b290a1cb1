package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testActionsFilter: FilterActions returns the entries that match every
// field of the filter given, newest first, a page at a time, with the
// campaign each was written with; the zero filter is Actions.
func testActionsFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	entries := []pledge.Action{
		{Actor: "deo", Kind: "login"},
		{Actor: "deo", Kind: "campaign-edit", Campaign: "vote", Detail: "vote: goal 10 → 20"},
		{Actor: "anita", Kind: "campaign-edit", Campaign: "vote", Detail: "vote: no changes"},
		{Actor: "deo", Kind: "campaign-pause", Campaign: "walk", Detail: "walk: paused"},
		{Actor: "", Kind: "login-failed", Detail: `username="deo": wrong password`},
		{Actor: "deo", Kind: "campaign-edit", Campaign: "walk", Detail: "walk: no changes"},
		{Actor: "deo", Kind: "export", Campaign: "vote", Detail: "vote pledges.csv: 3 rows"},
		{Actor: "cli", Kind: "user-passwd", Detail: "username=deo"},
		{Actor: "Deo", Kind: "login"}, // another spelling is another actor
	}
	ids := make([]int64, len(entries))
	for i := range entries {
		entries[i].At = at.Add(time.Duration(i) * time.Minute)
		entries[i].Remote = "203.0.113.9"
		if err := s.LogAction(ctx, &entries[i]); err != nil {
			t.Fatal(err)
		}
		ids[i] = entries[i].ID
	}
	// newest returns the entries numbered idx (in entries), newest first.
	newest := func(idx ...int) []pledge.Action {
		var out []pledge.Action
		for i := len(idx) - 1; i >= 0; i-- {
			out = append(out, entries[idx[i]])
		}
		return out
	}
	tests := []struct {
		f    store.ActionFilter
		want []pledge.Action
	}{
		{store.ActionFilter{}, newest(0, 1, 2, 3, 4, 5, 6, 7, 8)},
		{store.ActionFilter{Actor: "deo"}, newest(0, 1, 3, 5, 6)},
		{store.ActionFilter{Kind: "campaign-edit"}, newest(1, 2, 5)},
		{store.ActionFilter{Campaign: "vote"}, newest(1, 2, 6)},
		{store.ActionFilter{Actor: "deo", Kind: "campaign-edit"}, newest(1, 5)},
		{store.ActionFilter{Actor: "deo", Campaign: "vote"}, newest(1, 6)},
		{store.ActionFilter{Kind: "campaign-edit", Campaign: "walk"}, newest(5)},
		{store.ActionFilter{Actor: "deo", Kind: "campaign-edit", Campaign: "vote"}, newest(1)},
		{store.ActionFilter{Actor: "anita", Campaign: "walk"}, nil},
		{store.ActionFilter{Kind: "no-such-kind"}, nil},
		{store.ActionFilter{Campaign: "nowhere"}, nil},
	}
	for _, tc := range tests {
		got, err := s.FilterActions(ctx, tc.f, 0, 100)
		if err != nil {
			t.Fatalf("FilterActions(%+v): %v", tc.f, err)
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("FilterActions(%+v) (-want +got):\n%s", tc.f, diff)
		}
	}
	all, err := s.Actions(ctx, 0, 100)
	if err != nil || !cmp.Equal(all, newest(0, 1, 2, 3, 4, 5, 6, 7, 8)) {
		t.Errorf("Actions = %+v, %v; want every entry, newest first, with its campaign", all, err)
	}

	// Pages of a filter: each page's last id is where the next begins, and
	// none repeats or skips an entry.
	var pages [][]int64
	before := int64(0)
	for range 5 {
		page, err := s.FilterActions(ctx, store.ActionFilter{Actor: "deo"}, before, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		var p []int64
		for _, a := range page {
			p = append(p, a.ID)
		}
		pages = append(pages, p)
		before = page[len(page)-1].ID
	}
	want := [][]int64{{ids[6], ids[5]}, {ids[3], ids[1]}, {ids[0]}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages of actor deo (-want +got):\n%s", diff)
	}
}

// testChangeUserPassword: an account's own password change replaces the
// hash it was checked against, with its entry in the same transaction;
// if the hash changed meanwhile, or the account was disabled, nothing is
// changed and no entry written.
func testChangeUserPassword(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateUser(ctx, &pledge.User{Username: "ravi", PasswordHash: "h1", Role: pledge.RoleViewer}, nil); err != nil {
		t.Fatal(err)
	}
	act := func() *pledge.Action {
		return &pledge.Action{Actor: "ravi", Remote: "203.0.113.9", Kind: "user-passwd", Detail: "username=ravi"}
	}
	hash := func() string {
		t.Helper()
		u, err := s.User(ctx, "ravi")
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}
	entries := func() int {
		t.Helper()
		acts, err := s.FilterActions(ctx, store.ActionFilter{Kind: "user-passwd"}, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(acts)
	}

	ok := act()
	if err := s.ChangeUserPassword(ctx, "ravi", "h1", "h2", ok); err != nil {
		t.Fatal(err)
	}
	if ok.ID == 0 || hash() != "h2" || entries() != 1 {
		t.Fatalf("after a change: entry %d, hash %q, %d entries; want h2, on record once", ok.ID, hash(), entries())
	}
	// Checked against h1, which is no longer the password.
	if err := s.ChangeUserPassword(ctx, "ravi", "h1", "h3", act()); !errors.Is(err, store.ErrAccountChanged) {
		t.Errorf("change from a stale hash = %v, want ErrAccountChanged", err)
	}
	if err := s.SetUserDisabled(ctx, "ravi", true, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeUserPassword(ctx, "ravi", "h2", "h3", act()); !errors.Is(err, store.ErrAccountChanged) {
		t.Errorf("change of a disabled account = %v, want ErrAccountChanged", err)
	}
	if err := s.ChangeUserPassword(ctx, "nobody", "h", "h3", act()); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("change of no account = %v, want ErrNotFound", err)
	}
	if h, n := hash(), entries(); h != "h2" || n != 1 {
		t.Errorf("refused changes left hash %q and %d entries; want h2 and 1", h, n)
	}
	u, _ := s.User(ctx, "ravi")
	if !u.Disabled {
		t.Errorf("a refused change enabled the account: %+v", u)
	}
}

// OldActions are audit entries (kind, detail) as releases before
// pledge.Action.Campaign wrote them, on the campaigns "vote" and "vote-2"
// (and one, "gone", that does not exist): a backend's test stores them,
// oldest first, with those two campaigns, in a database migrated up to
// the migration before its audit filters, then calls
// CheckActionsBackfilled on the store opened over it.
func OldActions() [][2]string {
	return [][2]string{
		{"campaign-create", `vote: "Vote", languages en, email none`},
		{"campaign-edit", "vote-2: no changes"},
		{"export", "vote pledges.csv: 3 rows"},
		{"login", "role=admin"},
		{"invalidate", "vote-2: region N1; reason: test"},
		{"login-failed", `username="vote": wrong password`},
		{"campaign-pause", "gone: paused"},
		{"anonymise", "vote: e-mail and network addresses removed"},
		{"audit-export", "audit.csv"},
	}
}

// CheckActionsBackfilled checks that the migration gave each of
// OldActions the campaign its detail names, and no other entry one.
func CheckActionsBackfilled(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	kinds := func(campaign string) []string {
		t.Helper()
		acts, err := s.FilterActions(ctx, store.ActionFilter{Campaign: campaign}, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range acts {
			out = append(out, a.Kind)
		}
		return out
	}
	for campaign, want := range map[string][]string{
		"vote":   {"anonymise", "export", "campaign-create"},
		"vote-2": {"invalidate", "campaign-edit"},
		"gone":   nil,
	} {
		if diff := cmp.Diff(want, kinds(campaign), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("entries on campaign %s after the migration (-want +got):\n%s", campaign, diff)
		}
	}
	all, err := s.Actions(ctx, 0, 100)
	if err != nil || len(all) != len(OldActions()) {
		t.Fatalf("Actions = %d entries, %v; want %d", len(all), err, len(OldActions()))
	}
	for _, a := range all {
		if a.Campaign == "" && (a.Kind == "campaign-create" || a.Kind == "export") {
			t.Errorf("entry %+v has no campaign", a)
		}
	}
}
