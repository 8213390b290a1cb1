package admin

import (
	"net/http"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/secureheaders"
)

// securityHeaders sets the headers every answer of the console carries: the
// public site's, and no caching anywhere.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureheaders.Set(w.Header())
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// signedIn lets h run only for a logged-in account, which it finds with
// userFrom; anyone else is sent to the log-in page.
func (a *Admin) signedIn(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		_, ok, err := a.currentUser(r)
		if err != nil {
			return err
		}
		if !ok {
			http.Redirect(w, r, loginPath, http.StatusSeeOther)
			return nil
		}
		return h(w, r)
	}
}

// adminOnly lets h run only for a logged-in admin; a viewer gets 403.
func (a *Admin) adminOnly(h handlerFunc) handlerFunc {
	return a.signedIn(func(w http.ResponseWriter, r *http.Request) error {
		if userFrom(r.Context()).Role != pledge.RoleAdmin {
			return errForbidden
		}
		return h(w, r)
	})
}
