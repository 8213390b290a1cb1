package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Errors of the console's HTTP layer.
var (
	errBadRequest   = errors.New("bad request")
	errForbidden    = errors.New("not allowed for this role")
	errNotFound     = errors.New("no such page")
	errCSRF         = errors.New("missing or wrong CSRF token")
	errCrossOrigin  = errors.New("cross-origin request refused")
	errTooManyForms = errors.New("too many log-in form views from this address")
	errUnconfirmed  = errors.New("irreversible action not confirmed")
	errClosed       = errors.New("campaign has closed")
)

// handlerFunc is a handler that returns its failure instead of writing it;
// page maps failures to answers in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// status maps an error to its HTTP status and the message the page shows.
func status(err error) (int, string) {
	var mbe *http.MaxBytesError
	var fe *filterError
	switch {
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.msg
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again."
	case errors.Is(err, errCrossOrigin):
		return http.StatusForbidden, "Forms of the admin console may only be sent from the admin console itself."
	case errors.Is(err, errTooManyForms):
		return http.StatusTooManyRequests, "Too many visits to the log-in page from this address. Wait a minute and try again."
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, "Your account may not see this page."
	case errors.Is(err, errNotFound), errors.Is(err, pledge.ErrNotFound):
		return http.StatusNotFound, "There is no such page."
	case errors.Is(err, pledge.ErrReverted):
		return http.StatusConflict, "This invalidation has been reverted already."
	case errors.Is(err, errUnconfirmed):
		return http.StatusUnprocessableEntity, "Nothing was changed: this cannot be undone, so tick the box to confirm it first. Go back and try again."
	case errors.Is(err, errClosed):
		return http.StatusConflict, "This campaign has closed and takes no pledges: there is nothing to pause."
	case errors.Is(err, pledge.ErrStillOpen):
		return http.StatusConflict, "Only a campaign that has closed can be anonymised."
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "The form is too large."
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "The request was not understood."
	case errors.Is(err, pledge.ErrUnavailable), errors.Is(err, pledge.ErrOverloaded), errors.Is(err, pledge.ErrShuttingDown):
		return http.StatusServiceUnavailable, "The portal is busy. Try again in a moment."
	default:
		return http.StatusInternalServerError, "Something went wrong on our side. Try again later."
	}
}

// unavailable words a failed database call of the console's own machinery
// (its sessions, the account logged in) as pledge.ErrUnavailable: the
// database is away or refused, and the page can be asked for again (503
// with Retry-After), as the public site answers the same failure; a
// database that did not answer in time too. A request the client gave up
// on stays so.
func unavailable(err error) error {
	switch {
	case errors.Is(err, pledge.ErrUnavailable), errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w: %w", pledge.ErrUnavailable, err)
}

// fail answers r with the error page of err, logging what needs a look.
func (a *Admin) fail(w http.ResponseWriter, r *http.Request, err error) {
	st, msg := status(err)
	switch {
	case errors.Is(err, pledge.ErrUnavailable):
		a.log.WarnContext(r.Context(), "admin storage unavailable", "method", r.Method, "path", r.URL.Path, "status", st, "err", err)
	case st >= 500:
		a.log.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "status", st, "err", err)
	case st == http.StatusForbidden:
		a.log.WarnContext(r.Context(), "admin request refused", "method", r.Method, "path", r.URL.Path, "remote", a.remote(r), "err", err)
	}
	if st == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	} else if stateFrom(r.Context()) != nil { // the session is loaded
		// The page shows the console's navigation to a logged-in user. The
		// database is asked only if no handler has asked already, and
		// may not answer: the page then goes without.
		if _, _, err := a.currentUser(r); err != nil {
			a.log.DebugContext(r.Context(), "admin error page: account not known", "err", err)
		}
	}
	a.render(w, r, st, "error", a.newPage(r, http.StatusText(st), msg))
}

// page adapts a handlerFunc to an http.Handler.
func (a *Admin) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}
