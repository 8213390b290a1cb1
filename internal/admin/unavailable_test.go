package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// databaseAway is a store whose calls the console makes fail while away is
// set, as when PostgreSQL is down: sessions, accounts, campaigns and the
// audit log.
type databaseAway struct {
	store.Store
	away *atomic.Bool
	err  error // what the calls fail with; nil: errConnRefused
}

var errConnRefused = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

// errTimeout is what a call gets from a database that does not answer.
var errTimeout = fmt.Errorf("session: commit session: timeout: %w", context.DeadlineExceeded)

func (d databaseAway) failure() error {
	if d.err != nil {
		return d.err
	}
	return errConnRefused
}

func (d databaseAway) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	if d.away.Load() {
		return nil, false, d.failure()
	}
	return d.Store.SessionFind(ctx, token)
}

func (d databaseAway) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if d.away.Load() {
		return d.failure()
	}
	return d.Store.SessionCommit(ctx, token, data, expiry)
}

func (d databaseAway) SessionDelete(ctx context.Context, token string) error {
	if d.away.Load() {
		return d.failure()
	}
	return d.Store.SessionDelete(ctx, token)
}

func (d databaseAway) User(ctx context.Context, username string) (pledge.User, error) {
	if d.away.Load() {
		return pledge.User{}, d.failure()
	}
	return d.Store.User(ctx, username)
}

func (d databaseAway) Campaign(ctx context.Context, slug string) (pledge.Campaign, error) {
	if d.away.Load() {
		return pledge.Campaign{}, d.failure()
	}
	return d.Store.Campaign(ctx, slug)
}

// writeHeaders records every status a handler writes, where
// httptest.ResponseRecorder keeps the first and drops the rest silently.
type writeHeaders struct {
	*httptest.ResponseRecorder
	statuses []int
}

func (w *writeHeaders) WriteHeader(code int) {
	w.statuses = append(w.statuses, code)
	w.ResponseRecorder.WriteHeader(code)
}

// TestConsoleWhileTheDatabaseIsAway: with the database away, the log-in
// page and the pages of a logged-in admin answer 503 with Retry-After, as
// the rest of the portal does, with one status and one page (not a 500
// followed by the page the handler meant to send).
func TestConsoleWhileTheDatabaseIsAway(t *testing.T) {
	for name, err := range map[string]error{"refused": errConnRefused, "not answering": errTimeout} {
		t.Run(name, func(t *testing.T) { testConsoleWhileAway(t, err) })
	}
}

func testConsoleWhileAway(t *testing.T, failure error) {
	var away atomic.Bool
	c := newConsole(t, wrapStore(func(s store.Store) store.Store { return databaseAway{Store: s, away: &away, err: failure} }))
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	away.Store(true)

	rec := &writeHeaders{ResponseRecorder: httptest.NewRecorder()}
	c.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, loginPath, nil))
	if len(rec.statuses) != 1 || rec.statuses[0] != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("GET %s wrote statuses %v (Retry-After %q), want one 503 with Retry-After", loginPath, rec.statuses, rec.Header().Get("Retry-After"))
	}
	if n := strings.Count(rec.Body.String(), "<!doctype html>"); n != 1 {
		t.Errorf("GET %s sent %d pages, want 1:\n%s", loginPath, n, rec.Body.String())
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("GET %s set a cookie for a session that was not stored: %q", loginPath, rec.Header().Get("Set-Cookie"))
	}

	for _, path := range []string{loginPath, homePath, "/admin/c/vote", auditPath} {
		r := adm.get(path)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("logged in, GET %s = %d (Retry-After %q), want 503 with Retry-After", path, r.Status, r.Header.Get("Retry-After"))
		}
	}

	// Back: the session is still good.
	away.Store(false)
	wantStatus(t, adm.get(homePath), http.StatusOK)
}
