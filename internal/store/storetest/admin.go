package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := &pledge.User{Username: "deo.bilaspur", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", Role: pledge.RoleAdmin,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := s.CreateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 {
		t.Fatal("CreateUser did not set the ID")
	}
	if err := s.CreateUser(ctx, &pledge.User{Username: "deo.bilaspur", PasswordHash: "x", Role: pledge.RoleViewer}, nil); !errors.Is(err, pledge.ErrDuplicate) {
		t.Fatalf("second CreateUser = %v, want ErrDuplicate", err)
	}
	got, err := s.User(ctx, "deo.bilaspur")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*u, got); diff != "" {
		t.Errorf("User (-want +got):\n%s", diff)
	}
	// Each change touches its own column: a password set after the account
	// was disabled (from a read made before) leaves it disabled. (Another
	// admin first: the last enabled one cannot be disabled.)
	if err := s.CreateUser(ctx, &pledge.User{Username: "deo.korba", PasswordHash: "x", Role: pledge.RoleAdmin}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, "deo.bilaspur", true, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserPassword(ctx, "deo.bilaspur", "new", nil); err != nil {
		t.Fatal(err)
	}
	want := got
	want.PasswordHash, want.Disabled = "new", true
	again, _ := s.User(ctx, "deo.bilaspur")
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("after SetUserDisabled and SetUserPassword (-want +got):\n%s", diff)
	}
	if err := s.SetUserDisabled(ctx, "deo.bilaspur", false, nil); err != nil {
		t.Fatal(err)
	}
	want.Disabled = false
	if again, _ := s.User(ctx, "deo.bilaspur"); !cmp.Equal(want, again) {
		t.Errorf("after enabling again (-want +got):\n%s", cmp.Diff(want, again))
	}
	if err := s.SetUserPassword(ctx, "nobody", "h", nil); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("SetUserPassword(nobody) = %v, want ErrNotFound", err)
	}
	if err := s.SetUserDisabled(ctx, "nobody", true, nil); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("SetUserDisabled(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("User(nobody) = %v, want ErrNotFound", err)
	}
	if err := s.CreateUser(ctx, &pledge.User{Username: "anita", PasswordHash: "h", Role: pledge.RoleViewer}, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.Users(ctx)
	if err != nil || len(list) != 3 || list[0].Username != "anita" || list[1].Username != "deo.bilaspur" || list[2].Username != "deo.korba" {
		t.Fatalf("Users() = %+v, %v; want anita, deo.bilaspur, deo.korba", list, err)
	}
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, found, err := s.SessionFind(ctx, "missing"); found || err != nil {
		t.Fatalf("SessionFind(missing) = %v, %v", found, err)
	}
	if err := s.SessionCommit(ctx, "tok1", []byte("one"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.SessionCommit(ctx, "tok1", []byte("two"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	data, found, err := s.SessionFind(ctx, "tok1")
	if err != nil || !found || string(data) != "two" {
		t.Fatalf("SessionFind(tok1) = %q, %v, %v; want the replaced data", data, found, err)
	}
	if err := s.SessionCommit(ctx, "old", []byte("x"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.SessionFind(ctx, "old"); found {
		t.Error("an expired session was found")
	}
	if err := s.SessionDelete(ctx, "tok1"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.SessionFind(ctx, "tok1"); found {
		t.Error("a deleted session was found")
	}
}

func testActions(t *testing.T, s store.Store) {
	ctx := context.Background()
	var ids []int64
	for i, kind := range []string{"login", "user-add", "logout"} {
		a := &pledge.Action{At: time.Date(2026, 3, 1, 10, i, 0, 0, time.UTC), Actor: "deo", Remote: "203.0.113.9", Kind: kind, Detail: "d"}
		if err := s.LogAction(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	all, err := s.Actions(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Kind != "logout" || all[2].Kind != "login" || !all[0].At.Equal(time.Date(2026, 3, 1, 10, 2, 0, 0, time.UTC)) {
		t.Fatalf("Actions = %+v, want newest first", all)
	}
	page, err := s.Actions(ctx, ids[2], 1)
	if err != nil || len(page) != 1 || page[0].Kind != "user-add" {
		t.Fatalf("Actions(before %d, 1) = %+v, %v", ids[2], page, err)
	}
}

// testUsersAudited: an account change and its audit entry are stored
// together; a change refused stores no entry.
func testUsersAudited(t *testing.T, s store.Store) {
	ctx := context.Background()
	act := func(kind string) *pledge.Action {
		return &pledge.Action{Actor: "cli", Remote: "local", Kind: kind, Detail: "username=ravi"}
	}
	add, passwd, disable := act("user-add"), act("user-passwd"), act("user-disable")
	if err := s.CreateUser(ctx, &pledge.User{Username: "ravi", PasswordHash: "h", Role: pledge.RoleViewer}, add); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserPassword(ctx, "ravi", "h2", passwd); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, "ravi", true, disable); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*pledge.Action{add, passwd, disable} {
		if a.ID == 0 || a.At.IsZero() {
			t.Errorf("%s entry: ID %d, At %v; want both set", a.Kind, a.ID, a.At)
		}
	}
	// Refused changes: a taken name, an unknown account. No entry for them.
	if err := s.CreateUser(ctx, &pledge.User{Username: "ravi", PasswordHash: "x", Role: pledge.RoleAdmin}, act("user-add")); !errors.Is(err, pledge.ErrDuplicate) {
		t.Fatalf("CreateUser(ravi) again = %v, want ErrDuplicate", err)
	}
	if err := s.SetUserPassword(ctx, "nobody", "x", act("user-passwd")); !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("SetUserPassword(nobody) = %v, want ErrNotFound", err)
	}
	if err := s.SetUserDisabled(ctx, "nobody", true, act("user-disable")); !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("SetUserDisabled(nobody) = %v, want ErrNotFound", err)
	}
	acts, err := s.Actions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i := len(acts) - 1; i >= 0; i-- {
		kinds = append(kinds, acts[i].Kind)
	}
	if diff := cmp.Diff([]string{"user-add", "user-passwd", "user-disable"}, kinds); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
}
