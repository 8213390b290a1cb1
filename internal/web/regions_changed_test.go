package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// TestRegionsChangedWhileCached: admins edit the campaign's regions while
// the portal still has it cached as it was. A pledge for a region that is
// gone is refused as naming an unknown region, and nothing is stored or
// counted there; a pledge for a region still there, checked against the
// stale campaign, is taken without the citizen noticing, from the API and
// from the form alike.
func TestRegionsChangedWhileCached(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	c := *p.Campaign
	edit := func(regions ...pledge.Region) {
		t.Helper()
		wantStatus(t, p.get(t, "/c/vote"), http.StatusOK) // cached as it is
		c.Regions = regions
		if err := p.Store.UpdateCampaign(context.Background(), &c, nil); err != nil {
			t.Fatal(err)
		}
	}
	region := func(code, parent string) pledge.Region {
		return pledge.Region{Code: code, Parent: parent, Name: pledge.Text{"en": code, "hi": code}}
	}
	north, n1, n2 := region("NORTH", ""), region("N1", "NORTH"), region("N2", "NORTH")

	s2, s2a := region("S2", ""), region("S2A", "S2")
	edit(north, n1, n2, s2) // S1 removed, S2 added
	r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha Devi", "9876543210", "S1", "en"))
	wantStatus(t, r, http.StatusBadRequest)
	if e := decode[struct {
		Error, Message string
		Fields         map[string]string
	}](t, r); e.Fields["region"] != msg(t, "en", pledge.MsgRegionUnknown) {
		t.Errorf("fields %v, want the region refused as unknown", e.Fields)
	}

	edit(north, n1, n2, s2, s2a) // S2 made a parent
	form := p.postForm(t, "/c/vote", pledgeForm("Ravi Kumar", "9876543211", "N2", "en"))
	wantStatus(t, form, http.StatusSeeOther)

	edit(north, n1, n2, s2) // S2A removed
	if got := p.mustPledge(t, "vote", "Meena Kumari", "9876543212", "N2", "en"); got.Number != 2 {
		t.Errorf("API pledge in N2 numbered %d, want 2", got.Number)
	}

	form = p.postForm(t, "/c/vote", pledgeForm("Ravi Kumar", "9876543213", "S1", "en"))
	wantStatus(t, form, http.StatusBadRequest)
	mustContain(t, form.text(), `value="N1"`)
	mustNotContain(t, form.text(), `value="S1"`)

	st := p.state(t, p.Campaign)
	if st.Counts.Total != 2 || st.Counts.Regions["N2"] != 2 || st.Counts.Regions["S1"] != 0 {
		t.Errorf("counts %+v, want two pledges, both in N2", st.Counts)
	}
}
