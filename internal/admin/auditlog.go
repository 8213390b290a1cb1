package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Kinds of audit log entries.
const (
	KindLogin       = "login"
	KindLoginFailed = "login-failed"
	KindLoginLocked = "login-locked" // the first attempt a log-in limit refused
	KindLogout      = "logout"
	KindAuditExport = "audit-export"
	KindUserAdd     = "user-add"
	KindUserPasswd  = "user-passwd"
	KindUserDisable = "user-disable"
	KindUserEnable  = "user-enable"
	KindUserRole    = "user-role" // pledge user role
)

// stamp is the time an audit entry records: now (nil: time.Now), in UTC,
// to the microsecond both stores keep.
func stamp(now func() time.Time) time.Time {
	if now == nil {
		now = time.Now
	}
	return now().UTC().Truncate(time.Microsecond)
}

// logAction appends act to the audit log, stamped with now (nil: time.Now).
func logAction(ctx context.Context, s store.Store, now func() time.Time, act *pledge.Action) error {
	act.At = stamp(now)
	if err := s.LogAction(ctx, act); err != nil {
		return fmt.Errorf("audit log %s: %w", act.Kind, err)
	}
	return nil
}

// record appends an action of actor, from r's client, to the audit log.
func (a *Admin) record(r *http.Request, actor, kind, detail string) error {
	return logAction(r.Context(), a.store, a.now, &pledge.Action{
		Actor: actor, Remote: a.remote(r), Kind: kind, Detail: detail,
	})
}

// action is an audit log entry by r's user, for a store method to append
// in the transaction of the change it records.
func (a *Admin) action(r *http.Request, kind, detail string) *pledge.Action {
	return &pledge.Action{At: stamp(a.now), Actor: userFrom(r.Context()).Username, Remote: a.remote(r), Kind: kind, Detail: detail}
}

// campaignAction is action of a change to campaign slug, which the audit
// log can be filtered by.
func (a *Admin) campaignAction(r *http.Request, slug, kind, detail string) *pledge.Action {
	act := a.action(r, kind, detail)
	act.Campaign = slug
	return act
}

// remote is r's client address as the audit log writes it.
func (a *Admin) remote(r *http.Request) string {
	if addr := a.client.Of(r); addr.IsValid() {
		return addr.String()
	}
	return r.RemoteAddr
}
