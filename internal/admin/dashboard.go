package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Dashboard settings.
const (
	chartMinutes = 24 * 60 // minutes the chart shows, one bucket each
	refreshEvery = 30      // seconds between reloads of the dashboard
)

// dashboardData is the page of one campaign.
type dashboardData struct {
	Slug       string
	Title      string
	Open       bool
	Scheduled  bool // not open yet: its opening time is still to come
	Paused     bool
	Goal       int64
	Email      pledge.EmailMode
	Total      int64
	LastMinute int64
	LastHour   int64
	LastDay    int64
	Chart      template.HTML // inline SVG, built by minuteChart
	Summary    string        // the chart in words
	Regions    []regionRow
	At         time.Time

	Uncounted  pledge.Uncounted // waiting for confirmation, withdrawn
	Closed     bool             // closed for good: it can be anonymised
	Anonymised time.Time        // when it was (zero: never)
	// Reopened: set to close after it was anonymised, by an edit from
	// before the rule against it; pledges since keep their addresses.
	Reopened      bool
	Leaves        []regionRow
	Invalidations []pledge.Invalidation
	Invalidate    invalidateForm
	Done          string // what the last action did, shown once
	Live          bool   // reloading itself (?live=1), for a wall display
	// Manage offers the admin's actions (edit, pause, invalidate, revert,
	// anonymise, the pledge export): an admin's page, not a wall display,
	// which a hall sees and whose reload would lose a half-typed form.
	Manage bool
}

// campaignDashboard shows one campaign, for any role: totals, the pledges
// of the last minute and hour, a per-minute chart of the last 24 hours and
// the regions. Every number comes from count rows, never from counting
// pledges, so the page costs the same at a million pledges as at ten. With
// ?live=1 it reloads itself (meta refresh, no script), for a wall display;
// not by default, since a reload throws away whatever is being typed into
// its forms (and WCAG 2.2.1 wants a timed reload to be the user's choice).
func (a *Admin) campaignDashboard(w http.ResponseWriter, r *http.Request) error {
	c, err := a.store.Campaign(r.Context(), r.PathValue("slug"))
	if err != nil {
		return fmt.Errorf("campaign dashboard: %w", err)
	}
	d, err := a.dashboard(r, &c)
	if err != nil {
		return err
	}
	d.Done = a.takeNotice(r, c.Slug)
	if d.Done == "" {
		d.Done = doneMessage(r.URL.Query(), d.Invalidations)
	}
	d.Live = r.URL.Query().Get("live") == "1"
	d.Manage = d.Manage && !d.Live
	p := a.newPage(r, d.Title, d)
	if d.Live {
		p.Refresh = refreshEvery
	}
	a.render(w, r, http.StatusOK, "campaign", p)
	return nil
}

// dashboard gathers the dashboard of campaign c.
func (a *Admin) dashboard(r *http.Request, c *pledge.Campaign) (dashboardData, error) {
	ctx := r.Context()
	counts, err := a.store.Counts(ctx, c.ID)
	if err != nil {
		return dashboardData{}, fmt.Errorf("campaign dashboard: counts of %s: %w", c.Slug, err)
	}
	now := a.now().UTC()
	end := now.Truncate(time.Minute) // start of the current minute, the chart's last bucket
	start := end.Add(-(chartMinutes - 1) * time.Minute)
	rows, err := a.store.MinuteCounts(ctx, c.ID, start)
	if err != nil {
		return dashboardData{}, fmt.Errorf("campaign dashboard: minutes of %s: %w", c.Slug, err)
	}
	series := minuteSeries(rows, start)
	svg, summary := minuteChart(series, start)
	d := dashboardData{
		Slug: c.Slug, Title: c.Title.In("en", c.DefaultLang()), Open: c.OpenAt(now), Paused: c.Paused, Goal: c.Goal, Email: c.Email,
		Scheduled:  now.Before(c.OpensAt),
		Total:      counts.Total,
		LastMinute: lastMinutes(series, 1),
		LastHour:   lastMinutes(series, 60),
		LastDay:    lastMinutes(series, chartMinutes),
		Chart:      svg, Summary: summary,
		Regions: regionTable(c, counts), At: now,
		Closed: closedAt(c, now), Anonymised: c.AnonymisedAt,
		Reopened: c.OpenSinceAnonymised(),
		Leaves:   leafRegions(c),
		Manage:   userFrom(ctx).Role == pledge.RoleAdmin,
	}
	// Whatever the campaign asks now: one that asked for addresses before
	// may still have pledges waiting for confirmation, or withdrawn.
	if d.Uncounted, err = a.store.Uncounted(ctx, c.ID); err != nil {
		return dashboardData{}, fmt.Errorf("campaign dashboard: uncounted pledges of %s: %w", c.Slug, err)
	}
	if d.Invalidations, err = a.store.Invalidations(ctx, c.ID); err != nil {
		return dashboardData{}, fmt.Errorf("campaign dashboard: invalidations of %s: %w", c.Slug, err)
	}
	return d, nil
}

// minuteSeries spreads count rows over chartMinutes buckets from start, one
// a minute; rows outside the window are left out.
func minuteSeries(rows []pledge.MinuteCount, start time.Time) []int64 {
	series := make([]int64, chartMinutes)
	for _, m := range rows {
		i := int(m.Minute.Sub(start) / time.Minute)
		if i >= 0 && i < chartMinutes {
			series[i] += m.N
		}
	}
	return series
}

// lastMinutes sums the pledges of the last n minutes. Counts are kept per
// clock minute, so the window is the current minute and the n before it:
// it covers the last n minutes whole and never counts short, at the price
// of up to one extra minute.
func lastMinutes(series []int64, n int) int64 {
	var sum int64
	for _, v := range series[max(0, len(series)-n-1):] {
		sum += v
	}
	return sum
}
