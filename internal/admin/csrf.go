package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"
)

// maxFormBody bounds the body of every form under /admin.
const maxFormBody = 8 << 10

// csrfToken returns the synchronizer token of r's session, creating it on
// first use. A session that is not logged in lives only anonLifetime: it
// exists for the log-in form.
func (a *Admin) csrfToken(r *http.Request) string {
	ctx := r.Context()
	sm := a.session(r)
	if t := sm.GetString(ctx, keyCSRF); t != "" {
		return t
	}
	t := rand.Text()
	sm.Put(ctx, keyCSRF, t)
	if sm.GetString(ctx, keyUser) == "" {
		sm.SetDeadline(ctx, time.Now().Add(anonLifetime)) // scs keeps its own clock
	}
	return t
}

// crossOrigin refuses unsafe requests that a browser marks as coming from
// another site (Sec-Fetch-Site, or Origin against Host), as the public form
// does.
func (a *Admin) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errCrossOrigin)
	}))
	return cop.Handler(next)
}

// checkCSRF refuses any unsafe request whose form does not carry the
// session's synchronizer token in the field "csrf". It runs inside the
// session middleware and parses the (bounded) form for the handlers.
func (a *Admin) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			a.fail(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
			return
		}
		want := a.session(r).GetString(r.Context(), keyCSRF)
		got := r.PostForm.Get("csrf")
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			a.fail(w, r, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}
