package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// TestRegionRemovedWhileCached: an admin removes region S1 while the
// portal still has the campaign cached with it. A pledge for S1 is refused
// as naming an unknown region, and nothing is stored or counted there; a
// pledge for a region still there, checked against the stale campaign, is
// taken without the citizen noticing; the form shown again no longer offers S1.
func TestRegionRemovedWhileCached(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	wantStatus(t, p.get(t, "/c/vote"), http.StatusOK) // cached, with S1
	edit := *p.Campaign
	edit.Regions = nil
	for _, r := range p.Campaign.Regions {
		if r.Code != "S1" {
			edit.Regions = append(edit.Regions, r)
		}
	}
	if err := p.Store.UpdateCampaign(context.Background(), &edit); err != nil {
		t.Fatal(err)
	}

	r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha Devi", "9876543210", "S1", "en"))
	wantStatus(t, r, http.StatusBadRequest)
	if e := decode[struct {
		Error, Message string
		Fields         map[string]string
	}](t, r); e.Fields["region"] != msg(t, "en", pledge.MsgRegionUnknown) {
		t.Errorf("fields %v, want the region refused as unknown", e.Fields)
	}

	form := p.postForm(t, "/c/vote", pledgeForm("Ravi Kumar", "9876543211", "S1", "en"))
	wantStatus(t, form, http.StatusBadRequest)
	mustContain(t, form.text(), `value="N1"`)
	mustNotContain(t, form.text(), `value="S1"`)

	if got := p.mustPledge(t, "vote", "Meena Kumari", "9876543212", "N2", "en"); got.Number != 1 {
		t.Errorf("pledge in N2 numbered %d, want 1", got.Number)
	}
	st := p.state(t, p.Campaign)
	if st.Counts.Total != 1 || st.Counts.Regions["S1"] != 0 {
		t.Errorf("counts %+v, want one pledge, none in S1", st.Counts)
	}
}
