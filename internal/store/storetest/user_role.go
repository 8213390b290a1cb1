package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// testUserRole: SetUserRole changes the role alone, on record in the same
// transaction; an unknown account or role changes nothing.
func testUserRole(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []*pledge.User{
		{Username: "deo", PasswordHash: "h1", Role: pledge.RoleAdmin},
		{Username: "ravi", PasswordHash: "h2", Role: pledge.RoleViewer},
	} {
		if err := s.CreateUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := s.User(ctx, "ravi")
	act := &pledge.Action{Actor: "cli", Remote: "local", Kind: "user-role", Detail: "username=ravi role=admin"}
	if err := s.SetUserRole(ctx, "ravi", pledge.RoleAdmin, act); err != nil {
		t.Fatal(err)
	}
	if act.ID == 0 || act.At.IsZero() {
		t.Errorf("user-role entry: ID %d, At %v; want both set", act.ID, act.At)
	}
	want := before
	want.Role = pledge.RoleAdmin
	if got, _ := s.User(ctx, "ravi"); !cmp.Equal(want, got) {
		t.Errorf("after SetUserRole (-want +got):\n%s", cmp.Diff(want, got))
	}
	// Now that there are two admins, either may become a viewer.
	if err := s.SetUserRole(ctx, "deo", pledge.RoleViewer, nil); err != nil {
		t.Fatalf("demote one of two admins: %v", err)
	}
	if got, _ := s.User(ctx, "deo"); got.Role != pledge.RoleViewer || got.PasswordHash != "h1" {
		t.Errorf("deo after demotion = %+v", got)
	}

	if err := s.SetUserRole(ctx, "nobody", pledge.RoleAdmin, &pledge.Action{Kind: "user-role"}); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("SetUserRole(nobody) = %v, want ErrNotFound", err)
	}
	if err := s.SetUserRole(ctx, "deo", pledge.Role("root"), &pledge.Action{Kind: "user-role"}); err == nil {
		t.Error("SetUserRole accepted the role root")
	}
	if got, _ := s.User(ctx, "deo"); got.Role != pledge.RoleViewer {
		t.Errorf("a refused role changed deo to %q", got.Role)
	}
	acts, err := s.Actions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 1 || acts[0].Detail != "username=ravi role=admin" {
		t.Errorf("audit log = %+v; want only the one change recorded", acts)
	}
}

// testUserLastAdmin: the last enabled admin can be neither demoted nor
// disabled (store.ErrLastAdmin, nothing changed, nothing on record); a
// disabled admin does not count as one, and two changes at once cannot
// take away both of the last two.
func testUserLastAdmin(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, u := range []*pledge.User{
		{Username: "deo", PasswordHash: "h", Role: pledge.RoleAdmin},
		{Username: "old", PasswordHash: "h", Role: pledge.RoleAdmin, Disabled: true},
		{Username: "ravi", PasswordHash: "h", Role: pledge.RoleViewer},
	} {
		if err := s.CreateUser(ctx, u, nil); err != nil {
			t.Fatal(err)
		}
	}
	act := func(kind string) *pledge.Action { return &pledge.Action{Actor: "cli", Remote: "local", Kind: kind} }
	if err := s.SetUserRole(ctx, "deo", pledge.RoleViewer, act("user-role")); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("demote the last enabled admin = %v, want ErrLastAdmin", err)
	}
	if err := s.SetUserDisabled(ctx, "deo", true, act("user-disable")); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("disable the last enabled admin = %v, want ErrLastAdmin", err)
	}
	if u, _ := s.User(ctx, "deo"); u.Role != pledge.RoleAdmin || u.Disabled {
		t.Errorf("deo after refused changes = %+v, want an enabled admin", u)
	}
	// Changes that take nothing from an enabled admin are not refused:
	// a viewer disabled, the disabled admin demoted, an admin kept admin.
	if err := s.SetUserDisabled(ctx, "ravi", true, nil); err != nil {
		t.Errorf("disable a viewer: %v", err)
	}
	if err := s.SetUserRole(ctx, "old", pledge.RoleViewer, nil); err != nil {
		t.Errorf("demote a disabled admin: %v", err)
	}
	if err := s.SetUserRole(ctx, "deo", pledge.RoleAdmin, nil); err != nil {
		t.Errorf("make the last admin admin again: %v", err)
	}
	if acts, _ := s.Actions(ctx, 0, 100); len(acts) != 0 {
		t.Errorf("refused changes were recorded: %+v", acts)
	}

	// Two admins, each demoted (or disabled) at the same time as the
	// other: one change is made, the other refused.
	if err := s.SetUserDisabled(ctx, "ravi", false, nil); err != nil {
		t.Fatal(err)
	}
	for round := range 6 {
		if err := s.SetUserRole(ctx, "ravi", pledge.RoleAdmin, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserRole(ctx, "deo", pledge.RoleAdmin, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserDisabled(ctx, "deo", false, nil); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, name := range []string{"deo", "ravi"} {
			wg.Go(func() {
				if round%2 == 0 || i == 1 {
					errs[i] = s.SetUserRole(ctx, name, pledge.RoleViewer, nil)
				} else {
					errs[i] = s.SetUserDisabled(ctx, name, true, nil)
				}
			})
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrLastAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: two admins taken away at once: errors %v; want exactly one refused", round, errs)
		}
		admins := 0
		us, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			if u.Role == pledge.RoleAdmin && !u.Disabled {
				admins++
			}
		}
		if admins != 1 {
			t.Fatalf("round %d: %d enabled admins left, want 1", round, admins)
		}
	}
}
