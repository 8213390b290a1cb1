package admin

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/csvsafe"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// KindExport is the audit log entry of a pledge export.
const KindExport = "export"

// flushRows is how many rows of a pledge export go out at a time.
const flushRows = 1000

// exportWindow is how long each flushRows of an export (about 80 kB) may
// take to reach the client. The server's write timeout bounds a whole
// answer; a million-row export (80 MB) on a slow link takes longer, so the
// deadline moves on with every flush instead.
const exportWindow = 30 * time.Second

// errExportDone stops an export at the last pledge it set out to write.
var errExportDone = errors.New("export done")

// pledgesCSV streams a campaign's pledges as CSV, in number order, for
// admins only (a viewer may not export contacts). Memory stays flat however
// many pledges there are: the store reads a page at a time, and rows go out
// every flushRows. The export covers every pledge numbered when it starts
// (counted, invalidated or withdrawn: its status column says which), and is
// recorded in the audit log, with that number of rows, before the first
// byte goes out, so an export that fails half-way is still on record.
func (a *Admin) pledgesCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userFrom(ctx)
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("pledge export: %w", err)
	}
	last, err := a.store.LastNumber(ctx, c.ID) // numbers run 1..last, none skipped
	if err != nil {
		return fmt.Errorf("pledge export: last number of %s: %w", c.Slug, err)
	}
	act := a.campaignAction(r, c.Slug, KindExport, fmt.Sprintf("%s pledges.csv: %d rows", c.Slug, last))
	if err := logAction(ctx, a.store, a.now, act); err != nil {
		return err
	}

	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pledges-%s-%s.csv"`, c.Slug, fileStamp(a.now())))
	w.WriteHeader(http.StatusOK)
	// Every address stored, whatever the campaign asks now: one that asked
	// before keeps them until anonymised, and the officer must see that.
	pw := newPledgeWriter(w, &c, u.Role == pledge.RoleAdmin)
	err = a.store.ExportPledges(ctx, c.ID, func(p pledge.Pledge) error {
		if p.Number > last {
			return errExportDone
		}
		return pw.write(p)
	})
	if err == nil || errors.Is(err, errExportDone) {
		err = pw.flush()
	}
	switch {
	case err == nil, errors.Is(err, errClientGone), ctx.Err() != nil:
		return nil // done, or nobody is listening any more
	default:
		// The status is sent: cut the connection, so that a truncated file
		// cannot pass for a whole one.
		a.log.ErrorContext(ctx, "pledge export failed half-way", "campaign", c.Slug, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// fileStamp is the time in the name of an export file: IST, to the
// minute, as the console shows times (20261128-0141IST), so the name
// carries the day the office made it on.
func fileStamp(t time.Time) string {
	return t.In(pledge.IST).Format("20060102-1504") + "IST"
}

// errClientGone is a failed write to the client.
var errClientGone = errors.New("client went away")

// pledgeWriter writes pledges as CSV rows, reusing one record.
type pledgeWriter struct {
	cw        *csv.Writer
	rc        *http.ResponseController
	names     map[string][]string // region code to its English name, then its name in each language
	langs     int                 // the campaign's languages
	parents   map[string][2]string
	showEmail bool
	rec       []string
	pending   int
}

// pledgeColumns are the columns of pledges.csv before the region's name in
// each of the campaign's languages (region_name_en, region_name_hi...);
// region_name is its English name, or its default language's.
var pledgeColumns = [...]string{"number", "name", "region", "region_name", "lang", "phone", "email", "created_at", "status"}

// parentColumns follow those of a campaign whose regions are nested
// (constituencies in districts): the code of the pledge's region's parent
// and its name (English, or the default language's), empty for a region
// at the top, so that a spreadsheet can sum pledges by district.
var parentColumns = [...]string{"parent", "parent_name"}

// regionParents maps the code of each region of c that has a parent to
// that parent's code and name, CSV-safe; nil if c's regions are not nested.
func regionParents(c *pledge.Campaign) map[string][2]string {
	var parents map[string][2]string
	for _, r := range c.Regions {
		if r.Parent == "" {
			continue
		}
		if parents == nil {
			parents = make(map[string][2]string)
		}
		name := ""
		if p, ok := c.Region(r.Parent); ok {
			name = p.Name.In("en", c.DefaultLang())
		}
		parents[r.Code] = [2]string{csvsafe.Cell(r.Parent), csvsafe.Cell(name)}
	}
	return parents
}

func newPledgeWriter(w http.ResponseWriter, c *pledge.Campaign, showEmail bool) *pledgeWriter {
	names := make(map[string][]string, len(c.Regions))
	for _, r := range c.Regions {
		n := []string{csvsafe.Cell(r.Name.In("en", c.DefaultLang()))}
		for _, l := range c.Languages {
			n = append(n, csvsafe.Cell(r.Name.In(l, c.DefaultLang())))
		}
		names[r.Code] = n
	}
	header := append([]string(nil), pledgeColumns[:]...)
	for _, l := range c.Languages {
		header = append(header, "region_name_"+l)
	}
	parents := regionParents(c)
	if parents != nil {
		header = append(header, parentColumns[:]...)
	}
	pw := &pledgeWriter{cw: csv.NewWriter(w), rc: http.NewResponseController(w), names: names, showEmail: showEmail,
		langs: len(c.Languages), parents: parents, rec: header}
	_ = pw.rc.SetWriteDeadline(time.Now().Add(exportWindow))
	_, _ = io.WriteString(w, csvsafe.BOM)
	_ = pw.cw.Write(pw.rec)
	return pw
}

// write adds the row of p, sending the rows so far every flushRows.
func (pw *pledgeWriter) write(p pledge.Pledge) error {
	email := p.Email
	if !pw.showEmail {
		email = maskEmail(email)
	}
	rec := pw.rec
	rec[0] = strconv.FormatInt(p.Number, 10)
	rec[1] = csvsafe.Cell(p.Name)
	rec[2] = csvsafe.Cell(p.Region)
	names := pw.names[p.Region]
	if len(names) != 1+pw.langs { // a region no longer listed: its code alone
		names = make([]string, 1+pw.langs)
	}
	rec[3] = names[0]
	copy(rec[len(pledgeColumns):], names[1:])
	if pw.parents != nil {
		parent := pw.parents[p.Region] // a region at the top, or no longer listed: empty
		copy(rec[len(pledgeColumns)+pw.langs:], parent[:])
	}
	rec[4] = csvsafe.Cell(p.Lang)
	rec[5] = csvsafe.Cell(p.PhoneMasked) // only the masked form is stored
	rec[6] = csvsafe.Cell(email)
	rec[7] = p.CreatedAt.In(pledge.IST).Format(time.RFC3339) // the day as the campaign's people count it
	switch {
	case p.Invalidated:
		rec[8] = "invalidated" // set aside by an admin: not counted
	case p.Withdrawn():
		rec[8] = "withdrawn" // by the citizen: not counted
	default:
		rec[8] = "counted"
	}
	_ = pw.cw.Write(rec)
	if pw.pending++; pw.pending >= flushRows {
		return pw.flush()
	}
	return nil
}

// flush sends the buffered rows to the client.
func (pw *pledgeWriter) flush() error {
	pw.pending = 0
	pw.cw.Flush()
	if err := pw.cw.Error(); err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	_ = pw.rc.Flush()
	_ = pw.rc.SetWriteDeadline(time.Now().Add(exportWindow)) // for the next rows
	return nil
}

// maskEmail keeps the first character of the local part and the domain:
// "asha@example.in" becomes "a***@example.in". An empty address stays empty.
func maskEmail(email string) string {
	if email == "" {
		return ""
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	_, size := utf8.DecodeRuneInString(local)
	return local[:size] + "***@" + domain
}
