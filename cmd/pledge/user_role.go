package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// setRole gives the account username role, recording it in the audit log
// as done by who. The console reads an account's role at each request (a
// session holds only the username), so the account's open sessions have
// the new role at once. A role it has already is said, and changes
// nothing; the last enabled admin is not made a viewer.
func setRole(ctx context.Context, s store.Store, who admin.Who, username string, role pledge.Role, stdout io.Writer) error {
	username = pledge.NormaliseUsername(username)
	u, err := s.User(ctx, username)
	if err := noUser(username, err); err != nil {
		return err
	}
	if u.Role == role {
		fmt.Fprintf(stdout, "%s is %s already: nothing changed\n", username, role)
		return nil
	}
	act := &pledge.Action{Actor: who.Actor, Remote: who.Remote, Kind: admin.KindUserRole,
		Detail: fmt.Sprintf("username=%s role=%s was=%s", username, role, u.Role)}
	if err := lastAdmin(username, "making it a "+string(role), noUser(username, s.SetUserRole(ctx, username, role, act))); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s is now %s (was %s); its open console sessions have the new role at once\n", username, role, u.Role)
	return nil
}
