package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/netaddr"
)

// maxFormBody bounds the body of every form under /admin but the campaign
// forms (maxCampaignBody: pledge texts in several languages and a regions
// CSV) and the regions upload (maxUploadBody, multipart: a file of up to
// maxRegionsFile and the form's fields).
const (
	maxFormBody     = 8 << 10
	maxCampaignBody = 1 << 20
	maxUploadBody   = maxRegionsFile + 64<<10
)

// isUpload reports whether r is a regions upload, the one form under /admin
// sent as multipart/form-data.
func isUpload(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/admin/c/") && strings.HasSuffix(r.URL.Path, "/regions") &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// formLimit is the largest body r's form may have.
func formLimit(r *http.Request) int64 {
	switch p := r.URL.Path; {
	case isUpload(r):
		return maxUploadBody
	case p == "/admin/campaigns/new", strings.HasPrefix(p, "/admin/c/") && strings.HasSuffix(p, "/edit"):
		return maxCampaignBody
	}
	return maxFormBody
}

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
		limit := formLimit(r)
		body := r.Body
		r.Body = http.MaxBytesReader(w, body, limit)
		var err error
		if isUpload(r) {
			// Held in memory: the limit is small. The csrf field is checked
			// below like any form's.
			err = r.ParseMultipartForm(limit)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			if strings.Contains(err.Error(), "request body too large") {
				if isUpload(r) {
					// Said on the regions page, as for a file a little
					// over the limit; nothing of the form is used. The
					// handler may read the rest of the body, to discard it.
					r.Body = body
					a.page(a.adminOnly(a.regionsTooLarge)).ServeHTTP(w, r)
					return
				}
				err = &http.MaxBytesError{Limit: limit}
			}
			a.fail(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
			return
		}
		want := a.session(r).GetString(r.Context(), keyCSRF)
		got := r.PostForm.Get("csrf")
		if want == "" && a.expiredForm(w, r) {
			return
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			a.fail(w, r, errCSRF)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// expiredForm answers a form sent from the console whose session has gone
// (it holds no token), and reports whether it did. The log-in form, left
// open longer than its session lives, is shown again with a new token;
// another form, whose session ended meanwhile, leads to the log-in page,
// which says so. Neither is taken: nothing was changed. Anything else is
// refused as any form without its token is. Showing the log-in form again
// stores a session for its token, so it counts as a view of the form
// (admitForm): no one can fill the sessions table by posting to it.
func (a *Admin) expiredForm(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.URL.Path == loginPath:
		if !a.throttle.admitForm(w, r, netaddr.LimitKey(a.client.Of(r))) {
			w.Header().Set("Retry-After", strconv.Itoa(int(formWindow.Seconds())))
			a.fail(w, r, errTooManyForms)
			return true
		}
		name := clipRunes(strings.TrimSpace(r.PostForm.Get("username")), 64)
		_ = a.loginPage(w, r, http.StatusForbidden, name, "The log-in page was open too long. Log in again.")
		return true
	case a.sessionEnded(r):
		http.Redirect(w, r, loginPath+"?ended=1", http.StatusSeeOther)
		return true
	}
	return false
}
