package admin

import (
	"fmt"
	"net/http"
)

// users lists the accounts, for admins.
func (a *Admin) users(w http.ResponseWriter, r *http.Request) error {
	us, err := a.store.Users(r.Context())
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	a.render(w, r, http.StatusOK, "users", a.newPage(r, "Users", us))
	return nil
}
