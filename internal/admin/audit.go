package admin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/csvsafe"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Audit log paging.
const (
	auditPageSize   = 50  // entries on one page of /admin/audit
	exportBatchSize = 500 // entries read at a time for the CSV export
)

// auditData is one page of the audit log.
type auditData struct {
	Actions   []pledge.Action
	Next      string // the address of the next (older) page; "": none
	Export    string // the address of the CSV export of the entries filtered
	Filter    store.ActionFilter
	Filtered  bool     // Filter names a field
	Problem   string   // what is wrong with the filter asked for; no entries are shown
	Kinds     []string // the kinds the filter offers
	Campaigns []string // the campaigns' slugs the filter offers
}

// before reads ?before=ID: 0 (the newest) when absent.
func before(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("before")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w: before=%q", errBadRequest, v)
	}
	return id, nil
}

// auditKinds are the kinds of audit entry the console and the command line
// write, for the audit log's filter.
func auditKinds() []string {
	return []string{
		KindLogin, KindLoginFailed, KindLoginLocked, KindLogout,
		KindUserAdd, KindUserPasswd, KindPasswdFailed, KindUserDisable, KindUserEnable, KindUserRole,
		KindCampaignCreate, KindCampaignEdit, KindCampaignPause, KindCampaignResume, KindRegionsImport,
		KindInvalidate, KindInvalidateRevert, KindAnonymise, KindPledgeName, KindPledgeView,
		KindExport, KindAuditExport, KindJobsChange,
	}
}

// filterError is a filter of the audit log that names what is not there:
// a kind of entry, a campaign. Its message says which.
type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

// auditFilter reads the filter of r's query: actor, kind and campaign,
// each optional (empty or absent: any), combined. An actor is matched as
// typed, in NFC, as usernames are stored; a kind must be one the log
// writes, and a campaign one that exists (a *filterError otherwise).
func (a *Admin) auditFilter(r *http.Request) (store.ActionFilter, error) {
	q := r.URL.Query()
	f := store.ActionFilter{
		Actor:    pledge.NormaliseUsername(clipRunes(strings.TrimSpace(q.Get("actor")), 64)),
		Kind:     clipRunes(strings.TrimSpace(q.Get("kind")), 64),
		Campaign: clipRunes(strings.TrimSpace(q.Get("campaign")), 64),
	}
	if f.Kind != "" && !slices.Contains(auditKinds(), f.Kind) {
		return f, &filterError{fmt.Sprintf("The audit log has no entries of the kind %q: choose a kind from the list.", f.Kind)}
	}
	if f.Campaign != "" {
		if _, err := a.store.Campaign(r.Context(), f.Campaign); errors.Is(err, pledge.ErrNotFound) {
			return f, &filterError{fmt.Sprintf("There is no campaign %q: choose one from the list.", f.Campaign)}
		} else if err != nil {
			return f, fmt.Errorf("audit filter: %w", err)
		}
	}
	return f, nil
}

// filterQuery is f as a query string's values, its empty fields left out.
func filterQuery(f store.ActionFilter) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "kind": f.Kind, "campaign": f.Campaign} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// describeFilter words f for the audit entry of an export: actor "deo",
// kind login, campaign vote.
func describeFilter(f store.ActionFilter) string {
	var parts []string
	if f.Actor != "" {
		parts = append(parts, fmt.Sprintf("actor %q", f.Actor))
	}
	if f.Kind != "" {
		parts = append(parts, "kind "+f.Kind)
	}
	if f.Campaign != "" {
		parts = append(parts, "campaign "+f.Campaign)
	}
	return strings.Join(parts, ", ")
}

// withQuery is path with v as its query, if any.
func withQuery(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// audit shows the audit log, newest first, a page at a time, filtered by
// the query's actor, kind and campaign if it names any. A filter that
// names a kind or campaign there is not gets the page with a message and
// no entries (400).
func (a *Admin) audit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := before(r)
	if err != nil {
		return err
	}
	cs, err := a.store.Campaigns(ctx)
	if err != nil {
		return fmt.Errorf("audit page: %w", err)
	}
	d := auditData{Kinds: auditKinds()}
	for _, c := range cs {
		d.Campaigns = append(d.Campaigns, c.Slug)
	}
	f, err := a.auditFilter(r)
	d.Filter, d.Filtered = f, !f.IsZero()
	var fe *filterError
	if errors.As(err, &fe) {
		d.Problem = fe.msg
		a.render(w, r, http.StatusBadRequest, "audit", a.newPage(r, "Audit log", d))
		return nil
	} else if err != nil {
		return err
	}
	acts, err := a.store.FilterActions(ctx, f, b, auditPageSize+1)
	if err != nil {
		return fmt.Errorf("audit page: %w", err)
	}
	d.Actions = acts
	q := filterQuery(f)
	d.Export = withQuery("/admin/audit.csv", q)
	if len(acts) > auditPageSize {
		d.Actions = acts[:auditPageSize]
		q.Set("before", strconv.FormatInt(d.Actions[auditPageSize-1].ID, 10))
		d.Next = withQuery("/admin/audit", q)
	}
	a.render(w, r, http.StatusOK, "audit", a.newPage(r, "Audit log", d))
	return nil
}

// auditCSV streams the whole audit log as CSV (or the entries of the
// query's filter, as the page takes it), newest first, reading it a
// batch at a time. The export is itself recorded first, with the filter,
// so it is the first row of its own file (unless filtered out), and an
// export that fails half-way is still on record; a filter naming what is
// not there is refused before that, and nothing is recorded.
// Entries logged while it runs are newer than its first batch and are left
// out; none is missed or repeated.
func (a *Admin) auditCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userFrom(ctx)
	f, err := a.auditFilter(r)
	if err != nil {
		return err
	}
	detail := "audit.csv"
	if !f.IsZero() {
		detail += " of the entries with " + describeFilter(f)
	}
	if err := a.record(r, u.Username, KindAuditExport, detail); err != nil {
		return err
	}
	batch, err := a.store.FilterActions(ctx, f, 0, exportBatchSize)
	if err != nil {
		return fmt.Errorf("audit export: %w", err)
	}

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pledge-audit-%s.csv"`, fileStamp(a.now())))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, csvsafe.BOM)
	cw := csv.NewWriter(w)
	rc := http.NewResponseController(w)
	_ = cw.Write([]string{"id", "at", "actor", "remote", "kind", "detail"})
	for len(batch) > 0 {
		_ = rc.SetWriteDeadline(time.Now().Add(exportWindow)) // each batch, not the whole answer
		for _, act := range batch {
			_ = cw.Write([]string{
				strconv.FormatInt(act.ID, 10),
				act.At.In(pledge.IST).Format(time.RFC3339), // as pledges.csv writes times
				csvsafe.Cell(act.Actor), csvsafe.Cell(act.Remote), csvsafe.Cell(act.Kind), csvsafe.Cell(act.Detail),
			})
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return nil // the client went away
		}
		_ = rc.Flush()
		if len(batch) < exportBatchSize {
			return nil
		}
		if batch, err = a.store.FilterActions(ctx, f, batch[len(batch)-1].ID, exportBatchSize); err != nil {
			// The status is sent: cut the connection, so that a truncated
			// file cannot pass for a whole one.
			a.log.ErrorContext(ctx, "audit export failed half-way", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	return nil
}
