package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// TestCampaignRegionLabel: the campaign form sets a region label per
// language, shows it when editing, names it in the audit entries, and
// refuses one that breaks the campaign texts' rules by its field.
func TestCampaignRegionLabel(t *testing.T) {
	c := newConsole(t)
	adm := c.adminBrowser(t)

	r := adm.get(newCampaignPath)
	mustContain(t, r.Body, `<input id="region_label_en" name="region_label_en" value="" maxlength="60"`,
		`<input id="region_label_hi" name="region_label_hi" value="" maxlength="60"`)
	form := campaignValues(csrfField.FindStringSubmatch(r.Body)[1])
	form.Set("region_label_en", " District ")
	form.Set("region_label_hi", "ज़िला")
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")
	if got := c.campaign(t, "plant-trees").RegionLabel; !cmp.Equal(got, pledge.Text{"en": "District", "hi": "ज़िला"}) {
		t.Errorf("stored region label %v, want en District, hi ज़िला", got)
	}
	if a := c.lastAction(t, "campaign-create"); !strings.HasSuffix(a.Detail, `, region label en "District", hi "ज़िला"`) {
		t.Errorf("campaign-create entry = %q, want the region label at its end", a.Detail)
	}

	editPath := "/admin/c/plant-trees/edit"
	mustContain(t, adm.get(editPath).Body, `name="region_label_en" value="District"`, `name="region_label_hi" value="ज़िला"`)
	save := c.editor(t, adm, "plant-trees", form)
	form.Set("region_label_en", "Ward")
	form.Set("region_label_hi", "")
	wantRedirect(t, save(), "/admin/c/plant-trees")
	if got := c.campaign(t, "plant-trees").RegionLabel; !cmp.Equal(got, pledge.Text{"en": "Ward"}) {
		t.Errorf("region label after the edit %v, want en Ward alone", got)
	}
	want := `plant-trees: region label (en) "District" → "Ward"; region label (hi) "ज़िला" → ""`
	if a := c.lastAction(t, "campaign-edit"); a.Detail != want {
		t.Errorf("campaign-edit entry = %q\nwant %q", a.Detail, want)
	}

	// Too long (the field's maxlength is only the browser's), or turning
	// the text around it: the note is by the label of its language, and
	// nothing is saved.
	for _, bad := range []string{strings.Repeat("व", pledge.MaxRegionLabel+1), "\u202eवार्ड"} {
		form.Set("region_label_hi", bad)
		r = save()
		wantStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r.Body, "The campaign was not saved: see the notes by the fields.",
			`aria-describedby="region_label_hi-hint region_label_hi-error" aria-invalid="true">`,
			`<div id="region_label_hi-error"><p class="error" data-field="region_label_hi">the region label has `)
		mustContain(t, r.Body, `value="`+bad+`"`)
		if strings.Contains(r.Body, "regions page") {
			t.Errorf("the region label's note sends the admin to the regions page:\n%s", clip(r.Body))
		}
	}
	if got := c.campaign(t, "plant-trees").RegionLabel; !cmp.Equal(got, pledge.Text{"en": "Ward"}) {
		t.Errorf("a refused edit changed the region label to %v", got)
	}
	if n := c.count(t, "campaign-edit"); n != 1 {
		t.Errorf("%d campaign-edit entries, want 1", n)
	}
}
