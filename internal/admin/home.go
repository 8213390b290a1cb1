package admin

import (
	"fmt"
	"net/http"
	"time"
)

// campaignRow is one campaign on the dashboard.
type campaignRow struct {
	Slug      string
	Title     string
	Open      bool
	Scheduled bool // not open yet: its opening time is still to come
	Paused    bool
	Closed    bool // its closing time has come: "closed", paused or not
	OpensAt   time.Time
	ClosesAt  time.Time
	Total     int64
	Regions   int
}

// home is the dashboard: every campaign with its total, for any role.
func (a *Admin) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cs, err := a.store.Campaigns(ctx)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	now := a.now()
	rows := make([]campaignRow, 0, len(cs))
	for _, c := range cs {
		n, err := a.store.Counts(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("dashboard: counts of %s: %w", c.Slug, err)
		}
		rows = append(rows, campaignRow{
			Slug: c.Slug, Title: c.Title.In("en", c.DefaultLang()), Open: c.OpenAt(now), Paused: c.Paused, Scheduled: now.Before(c.OpensAt),
			Closed:  closedAt(&c, now),
			OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, Total: n.Total, Regions: len(c.Leaves()),
		})
	}
	a.render(w, r, http.StatusOK, "home", a.newPage(r, "Dashboard", rows))
	return nil
}
