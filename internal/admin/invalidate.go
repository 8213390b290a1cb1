package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Kinds of audit log entries for invalidations and anonymisation.
const (
	KindInvalidate       = "invalidate"
	KindInvalidateRevert = "invalidate-revert"
	KindAnonymise        = "anonymise"
)

// maxReason is the longest reason an invalidation may give, in characters
// (as the form's maxlength counts them).
const maxReason = 500

// invalidateForm is the invalidation form on the dashboard, as sent.
type invalidateForm struct {
	From, To, Region, Prefix, Reason string
	Errors                           []string
}

// leafRegions are the regions of c that take pledges, in campaign order.
func leafRegions(c *pledge.Campaign) []regionRow {
	parents := make(map[string]bool)
	for _, r := range c.Regions {
		if r.Parent != "" {
			parents[r.Parent] = true
		}
	}
	var out []regionRow
	for _, r := range c.Regions {
		if !parents[r.Code] {
			out = append(out, regionRow{Code: r.Code, Name: r.Name.In("en", c.DefaultLang())})
		}
	}
	return out
}

// readInvalidateForm reads the form into a filter, listing what is wrong.
func readInvalidateForm(r *http.Request, c *pledge.Campaign) (invalidateForm, pledge.InvalidationFilter) {
	pf := r.PostForm
	f := invalidateForm{
		From: strings.TrimSpace(pf.Get("from")), To: strings.TrimSpace(pf.Get("to")),
		Region: strings.TrimSpace(pf.Get("region")), Prefix: strings.TrimSpace(pf.Get("prefix")),
		Reason: strings.TrimSpace(pf.Get("reason")),
	}
	var filter pledge.InvalidationFilter
	parse := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(localLayout, v, pledge.IST)
		if err != nil {
			f.Errors = append(f.Errors, field+" must be a date and time (YYYY-MM-DDTHH:MM, IST), or empty")
			return time.Time{}
		}
		return t.UTC()
	}
	filter.From, filter.To = parse("from", f.From), parse("to", f.To)
	if f.Region != "" {
		known := false
		for _, l := range leafRegions(c) {
			known = known || l.Code == f.Region
		}
		if !known {
			f.Errors = append(f.Errors, "region "+f.Region+" is not a region of this campaign that takes pledges")
		}
		filter.Region = f.Region
	}
	if f.Prefix != "" {
		p, err := netip.ParsePrefix(f.Prefix)
		if err != nil {
			if a, aerr := netip.ParseAddr(f.Prefix); aerr == nil {
				p, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			f.Errors = append(f.Errors, "address prefix must be like 100.64.0.0/10 or 2001:db8::/48")
		} else {
			filter.Prefix = p
		}
	}
	switch {
	case f.Reason == "":
		f.Errors = append(f.Errors, "a reason is required")
	case utf8.RuneCountInString(f.Reason) > maxReason:
		f.Errors = append(f.Errors, fmt.Sprintf("the reason may be at most %d characters", maxReason))
	}
	if len(f.Errors) == 0 {
		if err := filter.Check(); errors.Is(err, pledge.ErrNoCriterion) {
			f.Errors = append(f.Errors, "choose a time window, a region or an address prefix")
		} else if err != nil {
			f.Errors = append(f.Errors, "the time window is empty: from must be before to")
		}
	}
	return f, filter
}

// invalidate sets aside the pledges the form chooses, taking them off the
// counts in the same transaction, and records it in the audit log. It
// takes two steps: the dashboard's form leads to a page that counts the
// pledges matching and asks to confirm (previewInvalidation), changing
// nothing; only that page's button, sending the same criteria with
// confirm=yes, sets them aside. One click on a mistyped prefix, or a bare
// office address, cannot empty a live campaign unseen.
func (a *Admin) invalidate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("invalidate: %w", err)
	}
	f, filter := readInvalidateForm(r, &c)
	if len(f.Errors) > 0 {
		d, err := a.dashboard(r, &c)
		if err != nil {
			return err
		}
		d.Invalidate = f
		a.render(w, r, http.StatusUnprocessableEntity, "campaign", a.newPage(r, d.Title, d))
		return nil
	}
	if r.PostForm.Get("confirm") != "yes" {
		return a.previewInvalidation(w, r, &c, f, filter)
	}
	act := a.campaignAction(r, c.Slug, KindInvalidate, fmt.Sprintf("%s: %s; reason: %s", c.Slug, filter.Describe(consoleTime), f.Reason))
	inv, err := a.store.Invalidate(ctx, c.ID, filter, f.Reason, act.Actor, act)
	if err != nil {
		return fmt.Errorf("invalidate %s: %w", c.Slug, err)
	}
	http.Redirect(w, r, "/admin/c/"+c.Slug+"?invalidated="+strconv.FormatInt(inv.ID, 10)+"#invalidations", http.StatusSeeOther)
	return nil
}

// revertInvalidation counts an invalidation's pledges again.
func (a *Admin) revertInvalidation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("revert invalidation: %w", err)
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	act := a.campaignAction(r, c.Slug, KindInvalidateRevert, fmt.Sprintf("%s: invalidation #%d reverted", c.Slug, id))
	if err := a.store.RevertInvalidation(ctx, c.ID, id, act); err != nil {
		return fmt.Errorf("revert invalidation of %s: %w", c.Slug, err)
	}
	http.Redirect(w, r, "/admin/c/"+c.Slug+"?reverted="+strconv.FormatInt(id, 10)+"#invalidations", http.StatusSeeOther)
	return nil
}

// anonymise removes the e-mail and network addresses of a closed
// campaign's pledges, and deletes its unconfirmed pledges, names and
// addresses with them; names, numbers, certificates and counts of the
// pledges stay. It cannot be undone, so the form's box must be ticked.
func (a *Admin) anonymise(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.store.Campaign(ctx, r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("anonymise: %w", err)
	}
	if r.PostForm.Get("confirm") != "yes" {
		return errUnconfirmed
	}
	res, err := a.store.Anonymise(ctx, c.ID, a.campaignAction(r, c.Slug, KindAnonymise, c.Slug+": e-mail and network addresses removed"))
	if err != nil {
		return fmt.Errorf("anonymise %s: %w", c.Slug, err)
	}
	a.setNotice(r, c.Slug, fmt.Sprintf("Anonymised: e-mail and network addresses removed from %s; %s deleted, with their names and addresses (their confirmation links no longer work).",
		plural(res.Pledges, "pledge", "pledges"), plural(res.Pending, "unconfirmed pledge", "unconfirmed pledges")))
	http.Redirect(w, r, "/admin/c/"+c.Slug, http.StatusSeeOther)
	return nil
}

// plural is n with the noun in the number it takes.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// doneMessage words the outcome a redirect after an action points at: an
// invalidation in list, or the anonymisation of a campaign that was.
func doneMessage(q url.Values, list []pledge.Invalidation) string {
	find := func(key string) (pledge.Invalidation, bool) {
		id, err := strconv.ParseInt(q.Get(key), 10, 64)
		if err != nil {
			return pledge.Invalidation{}, false
		}
		for _, inv := range list {
			if inv.ID == id {
				return inv, true
			}
		}
		return pledge.Invalidation{}, false
	}
	if inv, ok := find("invalidated"); ok && inv.Rows == 0 {
		return fmt.Sprintf("Invalidation #%d matched no pledges (%s): nothing changed.", inv.ID, inIST(inv.Filter))
	}
	if inv, ok := find("invalidated"); ok {
		return fmt.Sprintf("Invalidation #%d set aside %d pledges (%s). They are no longer counted.", inv.ID, inv.Rows, inIST(inv.Filter))
	}
	if inv, ok := find("reverted"); ok {
		return fmt.Sprintf("Invalidation #%d reverted: the %d pledges it set aside count again, but for any withdrawn meanwhile.", inv.ID, inv.Rows)
	}
	return ""
}
