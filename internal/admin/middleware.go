package admin

import (
	"net/http"
	"net/url"
	"path"
	"strings"

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
			// A page asked for comes back after the log-in; a form sent
			// cannot be, and its session (or its lack) is why it failed.
			q := url.Values{}
			if r.Method == http.MethodGet {
				q.Set("next", r.URL.RequestURI())
			}
			if a.sessionEnded(r) {
				q.Set("ended", "1")
			}
			to := loginPath
			if len(q) > 0 {
				to += "?" + q.Encode()
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
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

// sessionEnded reports whether r came with a session that has ended: its
// cookie, and nothing left of it (expired, or ended by a password change
// or a disabled account). A session only begun for the log-in form's
// token has not ended.
func (a *Admin) sessionEnded(r *http.Request) bool {
	if _, err := r.Cookie(cookieName); err != nil {
		return false
	}
	return len(a.session(r).Keys(r.Context())) == 0
}

// nextPage is where a log-in sends the browser: the console's page next
// names, or the console's home. Anything else (another site, "//host",
// the log-in page itself) is the home.
func nextPage(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.Opaque != "" ||
		!strings.HasPrefix(next, "/admin/") || strings.ContainsAny(next, "\\\r\n") || u.Path == loginPath ||
		!strings.HasPrefix(path.Clean(u.Path)+"/", "/admin/") { // "/admin/../x" is not the console's
		return homePath
	}
	return next
}
