package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDashboardConfirmsSaveAndImport: after Save on the edit page, and
// after a regions import, the dashboard the browser lands on says what was
// done, once; the import's numbers are the import's, and another browser
// (another session) is told nothing.
func TestDashboardConfirmsSaveAndImport(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	other := c.adminBrowser(t)
	const dash = "/admin/c/vote"

	form := url.Values{"csrf": {adm.csrf("/admin/c/vote/edit")}, "lang": {"en", "hi"},
		"title_en": {"Vote on the 5th"}, "title_hi": {"परीक्षण संकल्प"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "closes_at": {""}, "email": {"none"}}
	wantRedirect(t, adm.post("/admin/c/vote/edit", form), dash)
	if body := other.get(dash).Body; strings.Contains(body, `id="done"`) {
		t.Errorf("another session's dashboard confirms the save: %s", clip(body))
	}
	mustContain(t, adm.get(dash).Body, `<p class="notice" role="status" id="done">Campaign saved.</p>`)
	if body := adm.get(dash).Body; strings.Contains(body, `id="done"`) {
		t.Errorf("the dashboard confirms the save again on reload: %s", clip(body))
	}

	// The test campaign has NORTH, N1, N2, S1: N2 is removed, N1 renamed,
	// S2 added.
	path := "/admin/c/vote/regions"
	file := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North First,उत्तर एक\nS1,,South One,दक्षिण एक\nS2,,South Two,दक्षिण दो\n"
	wantRedirect(t, adm.upload(path, adm.csrf(path), "apply", file), dash)
	r := adm.get(dash)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `id="done">Regions imported: 1 added, 1 removed, 1 changed.</p>`)
	if body := adm.get(dash).Body; strings.Contains(body, "Regions imported") {
		t.Errorf("the dashboard confirms the import again on reload: %s", clip(body))
	}
}
