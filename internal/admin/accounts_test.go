package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
)

func TestAccounts(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	acc := c.Accounts
	who := admin.Who{Actor: "cli", Remote: "local"}
	before := len(c.actions(t))

	refused := []struct {
		name, username string
		role           pledge.Role
		password       string
	}{
		{"short password", "ravi", pledge.RoleViewer, "123456789"},
		{"bad username", "ravi kumar", pledge.RoleViewer, "long enough password"},
		{"unknown role", "ravi", "root", "long enough password"},
	}
	for _, tc := range refused {
		if _, err := acc.Add(ctx, who, tc.username, tc.role, tc.password); err == nil {
			t.Errorf("%s: Add succeeded", tc.name)
		}
	}
	if _, err := acc.Add(ctx, who, strings.ToUpper(adminUser), pledge.RoleViewer, "long enough password"); !errors.Is(err, pledge.ErrDuplicate) {
		t.Errorf("Add of %s = %v, want ErrDuplicate: it differs from %s only in case", strings.ToUpper(adminUser), err, adminUser)
	}
	if _, err := acc.Add(ctx, who, adminUser, pledge.RoleViewer, "long enough password"); !errors.Is(err, pledge.ErrDuplicate) {
		t.Errorf("Add(taken name) = %v, want ErrDuplicate", err)
	}
	if n := len(c.actions(t)); n != before {
		t.Errorf("refused changes wrote %d audit entries", n-before)
	}

	u, err := acc.Add(ctx, who, "ravi", pledge.RoleViewer, "ten chars!")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := c.Store.User(ctx, "ravi")
	if err != nil {
		t.Fatal(err)
	}
	if stored.ID != u.ID || stored.Role != pledge.RoleViewer || stored.Disabled || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Errorf("stored user = %+v", stored)
	}
	if ok, err := argon2id.ComparePasswordAndHash("ten chars!", stored.PasswordHash); !ok || err != nil {
		t.Errorf("stored hash does not match the password: %v", err)
	}
	if a := c.lastAction(t, admin.KindUserAdd); a.Actor != "cli" || a.Remote != "local" || a.Detail != "username=ravi role=viewer" {
		t.Errorf("user-add entry = %+v", a)
	}

	if err := acc.SetPassword(ctx, who, "ravi", "short"); err == nil {
		t.Error("SetPassword accepted a short password")
	}
	if err := acc.SetPassword(ctx, who, "nobody", "long enough password"); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("SetPassword(unknown) = %v, want ErrNotFound", err)
	}
	if err := acc.Disable(ctx, who, "nobody"); !errors.Is(err, pledge.ErrNotFound) {
		t.Errorf("Disable(unknown) = %v, want ErrNotFound", err)
	}
	if err := acc.SetPassword(ctx, who, "ravi", "another long password"); err != nil {
		t.Fatal(err)
	}
	if a := c.lastAction(t, admin.KindUserPasswd); a.Detail != "username=ravi" || a.Actor != "cli" {
		t.Errorf("user-passwd entry = %+v", a)
	}
	if err := acc.Disable(ctx, who, "ravi"); err != nil {
		t.Fatal(err)
	}
	if a := c.lastAction(t, admin.KindUserDisable); a.Detail != "username=ravi" || a.Actor != "cli" {
		t.Errorf("user-disable entry = %+v", a)
	}
	stored, _ = c.Store.User(ctx, "ravi")
	if !stored.Disabled {
		t.Error("Disable did not disable")
	}
	if ok, _ := argon2id.ComparePasswordAndHash("another long password", stored.PasswordHash); !ok {
		t.Error("Disable lost the password")
	}
	// Disabling it again changes nothing, so it is not on record twice.
	if err := acc.Disable(ctx, who, "ravi"); err != nil {
		t.Fatal(err)
	}
	if n := c.count(t, admin.KindUserDisable); n != 1 {
		t.Errorf("%d user-disable entries after disabling a disabled account, want 1", n)
	}
	if stored, _ = c.Store.User(ctx, "ravi"); !stored.Disabled {
		t.Error("disabling again enabled the account")
	}
}

func TestValidPassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"123456789", false},
		{"1234567890", true},
		{"पासवर्ड१२३४५६", true}, // ten characters, more bytes
		{"पासवर्ड", false},      // fewer than ten characters, though more than ten bytes
		{strings.Repeat("x", 1025), false},
		{"bad utf-8 \xff\xfe here", false},
	}
	for _, tc := range tests {
		if err := admin.ValidPassword(tc.pw); (err == nil) != tc.ok {
			t.Errorf("ValidPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
}
