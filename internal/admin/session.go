package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Session settings.
const (
	cookieName  = "pledge_admin"
	idleTimeout = 2 * time.Hour
	lifetime    = 12 * time.Hour
	// anonLifetime bounds a session that has not logged in: it only holds
	// the log-in form's CSRF token.
	anonLifetime = 30 * time.Minute
)

// Session keys.
const (
	keyUser = "user" // username of the logged-in account
	keyPass = "pass" // fingerprint of its password hash at log-in
	keyCSRF = "csrf" // synchronizer token of the session's forms
)

// sessionStore keeps scs sessions in the portal's own database, so they
// work the same on SQLite and PostgreSQL and across instances.
type sessionStore struct {
	s store.Store
}

var _ scs.CtxStore = sessionStore{}

// FindCtx returns the data of an unexpired session. Its failures, and
// those of the other methods, are pledge.ErrUnavailable: the database is
// away or refused, and the page can be asked for again (503).
func (st sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	b, found, err := st.s.SessionFind(ctx, token)
	if err != nil {
		return nil, false, fmt.Errorf("session: %w", unavailable(err))
	}
	return b, found, nil
}

// CommitCtx stores or replaces a session until expiry.
func (st sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if err := st.s.SessionCommit(ctx, token, b, expiry); err != nil {
		return fmt.Errorf("session: %w", unavailable(err))
	}
	return nil
}

// DeleteCtx removes a session.
func (st sessionStore) DeleteCtx(ctx context.Context, token string) error {
	if err := st.s.SessionDelete(ctx, token); err != nil {
		return fmt.Errorf("session: %w", unavailable(err))
	}
	return nil
}

// Find is FindCtx without a context; scs calls the Ctx methods.
func (st sessionStore) Find(token string) ([]byte, bool, error) {
	return st.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (st sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return st.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context.
func (st sessionStore) Delete(token string) error {
	return st.DeleteCtx(context.Background(), token)
}

// newSessionManager configures scs. scs sets the cookie's Secure attribute
// from its configuration, not per request, so the console keeps two
// managers that differ only in Secure and picks one per request (session).
// The database holds a SHA-256 of each token, never the token itself.
func (a *Admin) newSessionManager(secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = sessionStore{s: a.store}
	sm.IdleTimeout = idleTimeout
	sm.Lifetime = lifetime
	sm.HashTokenInStore = true
	sm.Cookie = scs.SessionCookie{
		Name:     cookieName,
		Path:     "/admin",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   secure,
		Persist:  false, // gone when the browser closes; the server ends it sooner
	}
	return sm
}

// session is the session manager for r: its cookie is Secure when the
// client reached the portal over TLS, directly or through a trusted proxy
// that says so in X-Forwarded-Proto. A cookie set over HTTPS is never sent
// back over plain HTTP, so a session stays with one manager.
func (a *Admin) session(r *http.Request) *scs.SessionManager {
	if a.client.IsHTTPS(r) {
		return a.secure
	}
	return a.plain
}

// withSession loads the session of every request and saves it before the
// answer's status is sent, as scs's LoadAndSave does, but with one answer
// whatever fails: a session that cannot be loaded or saved (the database
// is away) gets the error page instead of the handler's answer, never
// both (LoadAndSave writes its error and then the handler's status).
func (a *Admin) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm := a.session(r)
		w.Header().Add("Vary", "Cookie")
		var token string
		if c, err := r.Cookie(sm.Cookie.Name); err == nil {
			token = c.Value
		}
		ctx, err := sm.Load(r.Context(), token)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		r = r.WithContext(context.WithValue(ctx, stateKey, &requestState{}))
		sw := &sessionWriter{ResponseWriter: w, a: a, r: r, sm: sm, base: w.Header().Clone()}
		next.ServeHTTP(sw, r)
		sw.save()
	})
}

// sessionWriter saves the session the first time the handler writes.
type sessionWriter struct {
	http.ResponseWriter
	a      *Admin
	r      *http.Request
	sm     *scs.SessionManager
	base   http.Header // the headers from before the handler
	saved  bool        // save has run
	failed bool        // and failed: the error page is sent, the handler's answer dropped
}

// save stores the session if it changed and sets its cookie; if it cannot
// be stored, the answer is the error page, with none of the headers the
// handler set (a redirect's Location, a download's name).
func (sw *sessionWriter) save() {
	if sw.saved {
		return
	}
	sw.saved = true
	ctx := sw.r.Context()
	switch sw.sm.Status(ctx) {
	case scs.Modified:
		token, expiry, err := sw.sm.Commit(ctx)
		if err != nil {
			sw.failed = true
			h := sw.ResponseWriter.Header()
			clear(h)
			maps.Copy(h, sw.base)
			sw.a.fail(sw.ResponseWriter, sw.r, err)
			return
		}
		sw.sm.WriteSessionCookie(ctx, sw.ResponseWriter, token, expiry)
	case scs.Destroyed:
		sw.sm.WriteSessionCookie(ctx, sw.ResponseWriter, "", time.Time{})
	}
}

func (sw *sessionWriter) WriteHeader(code int) {
	sw.save()
	if !sw.failed {
		sw.ResponseWriter.WriteHeader(code)
	}
}

func (sw *sessionWriter) Write(b []byte) (int, error) {
	sw.save()
	if sw.failed {
		return len(b), nil
	}
	return sw.ResponseWriter.Write(b)
}

// Flush saves the session before the status goes out with the first flush.
func (sw *sessionWriter) Flush() {
	sw.save()
	if !sw.failed {
		_ = http.NewResponseController(sw.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (sw *sessionWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// passPrint is a fingerprint of a password hash. The session keeps it from
// log-in, so a changed password ends the account's other sessions.
func passPrint(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:16])
}

// currentUser returns the account logged in to r's session, and whether
// there is one. A session whose account has gone, been disabled or had its
// password changed since is destroyed. The answer is kept in r's
// requestState: the request's handlers, and its error page, ask once.
func (a *Admin) currentUser(r *http.Request) (pledge.User, bool, error) {
	st := stateFrom(r.Context())
	if st != nil && st.looked {
		if st.user == nil {
			return pledge.User{}, false, nil
		}
		return *st.user, true, nil
	}
	u, ok, err := a.lookUpUser(r)
	if err == nil && st != nil {
		st.looked = true
		if ok {
			st.user = &u
		}
	}
	return u, ok, err
}

func (a *Admin) lookUpUser(r *http.Request) (pledge.User, bool, error) {
	ctx := r.Context()
	sm := a.session(r)
	name := sm.GetString(ctx, keyUser)
	if name == "" {
		return pledge.User{}, false, nil
	}
	u, err := a.store.User(ctx, name)
	switch {
	case errors.Is(err, pledge.ErrNotFound):
	case err != nil:
		return pledge.User{}, false, fmt.Errorf("session user: %w", unavailable(err))
	case !u.Disabled && sm.GetString(ctx, keyPass) == passPrint(u.PasswordHash):
		return u, true, nil
	}
	if err := sm.Destroy(ctx); err != nil {
		return pledge.User{}, false, fmt.Errorf("end session of %s: %w", name, err)
	}
	return pledge.User{}, false, nil
}

// startSession logs u in: a new token (so a token planted before log-in is
// worthless), a new CSRF token, and the lifetime of a logged-in session.
func (a *Admin) startSession(r *http.Request, u pledge.User) error {
	ctx := r.Context()
	sm := a.session(r)
	if err := sm.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session: %w", err)
	}
	sm.Put(ctx, keyUser, u.Username)
	sm.Put(ctx, keyPass, passPrint(u.PasswordHash))
	sm.Put(ctx, keyCSRF, rand.Text())
	return nil
}

type ctxKey int

const stateKey ctxKey = 0

// requestState is what the console has found out about a request: the
// account logged in to its session, once looked up (currentUser).
// withSession puts one in every request's context, so that an error page,
// written outside the handler that looked the account up, or before any
// handler did (a form refused for its token or size), knows it too.
type requestState struct {
	looked bool
	user   *pledge.User // nil: nobody logged in
}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey).(*requestState)
	return st
}

// userFrom returns the account logged in to the request of ctx, once
// looked up (signedIn does, for every page but the log-in page), or nil.
func userFrom(ctx context.Context) *pledge.User {
	if st := stateFrom(ctx); st != nil {
		return st.user
	}
	return nil
}
