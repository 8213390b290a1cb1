package admin

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pledgeportal/pledge/internal/csvsafe"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// Audit log paging.
const (
	auditPageSize   = 50  // entries on one page of /admin/audit
	exportBatchSize = 500 // entries read at a time for the CSV export
)

// auditData is one page of the audit log.
type auditData struct {
	Actions []pledge.Action
	Next    int64 // ?before= of the next (older) page; 0: none
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

// audit shows the audit log, newest first, a page at a time.
func (a *Admin) audit(w http.ResponseWriter, r *http.Request) error {
	b, err := before(r)
	if err != nil {
		return err
	}
	acts, err := a.store.Actions(r.Context(), b, auditPageSize+1)
	if err != nil {
		return fmt.Errorf("audit page: %w", err)
	}
	d := auditData{Actions: acts}
	if len(acts) > auditPageSize {
		d.Actions = acts[:auditPageSize]
		d.Next = d.Actions[auditPageSize-1].ID
	}
	a.render(w, r, http.StatusOK, "audit", a.newPage(r, "Audit log", d))
	return nil
}

// auditCSV streams the whole audit log as CSV, newest first, reading it a
// batch at a time. The export is itself recorded first, so it is the first
// row of its own file, and an export that fails half-way is still on record.
// Entries logged while it runs are newer than its first batch and are left
// out; none is missed or repeated.
func (a *Admin) auditCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userFrom(ctx)
	if err := a.record(r, u.Username, KindAuditExport, "audit.csv"); err != nil {
		return err
	}
	batch, err := a.store.Actions(ctx, 0, exportBatchSize)
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
		if batch, err = a.store.Actions(ctx, batch[len(batch)-1].ID, exportBatchSize); err != nil {
			// The status is sent: cut the connection, so that a truncated
			// file cannot pass for a whole one.
			a.log.ErrorContext(ctx, "audit export failed half-way", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	return nil
}
