package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
)

var versionField = regexp.MustCompile(`name="version" value="(\d+)"`)

// formVersion is the campaign version a rendered console form carries.
func formVersion(t *testing.T, r response) string {
	t.Helper()
	m := versionField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no version field in the form:\n%s", r.Body)
	}
	return m[1]
}

func editForm(tok, version, goal string) url.Values {
	return url.Values{"csrf": {tok}, "version": {version}, "lang": {"en", "hi"},
		"title_en": {"Test pledge"}, "title_hi": {"परीक्षण"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "email": {"none"}, "goal": {goal}}
}

// Two admins open the edit form of one campaign; the second to save is told
// of the first's edit instead of silently undoing it.
func TestCampaignEditConflict(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"

	first := adm.get(editPath)
	second := adm.get(editPath)
	tok := csrfField.FindStringSubmatch(first.Body)[1]
	v1 := formVersion(t, first)
	if v2 := formVersion(t, second); v1 != "1" || v2 != "1" {
		t.Fatalf("forms carry versions %s and %s, want 1", v1, v2)
	}

	wantRedirect(t, adm.post(editPath, editForm(tok, v1, "100")), "/admin/c/vote")
	conflict := adm.post(editPath, editForm(tok, formVersion(t, second), "200"))
	wantStatus(t, conflict, http.StatusConflict)
	mustContain(t, conflict.Body, "Someone else saved this campaign", `value="200"`)
	if strings.Contains(conflict.Body, "see the notes by the fields") {
		t.Error("the conflict note points to notes by the fields; there are none")
	}
	if got := c.campaign(t, "vote"); got.Goal != 100 || got.Version != 2 {
		t.Fatalf("after the refused edit: goal %d, version %d; want 100, 2", got.Goal, got.Version)
	}
	if n := c.count(t, "campaign-edit"); n != 1 {
		t.Errorf("%d campaign-edit entries, want 1 (the refused edit is not one)", n)
	}

	// A third form is opened; then the second admin, having seen the note,
	// saves again, which now replaces the first edit.
	third := adm.get(editPath)
	wantRedirect(t, adm.post(editPath, editForm(tok, formVersion(t, conflict), "200")), "/admin/c/vote")
	if got := c.campaign(t, "vote"); got.Goal != 200 || got.Version != 3 {
		t.Fatalf("after saving again: goal %d, version %d; want 200, 3", got.Goal, got.Version)
	}
	// The third form comes back with a mistake in it. It keeps the version
	// it was opened at, so the edit saved meanwhile is still noticed.
	r := adm.post(editPath, editForm(tok, formVersion(t, third), "-1"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if v := formVersion(t, r); v != "2" {
		t.Errorf("form with a mistake came back with version %s, want 2", v)
	}
	wantStatus(t, adm.post(editPath, editForm(tok, formVersion(t, r), "300")), http.StatusConflict)
	wantStatus(t, adm.post(editPath, editForm(tok, "x", "300")), http.StatusBadRequest) // no form sends that
	if got := c.campaign(t, "vote"); got.Goal != 200 {
		t.Errorf("goal %d after edits of old versions, want 200", got.Goal)
	}
}

// Regions previewed against the campaign as it was are not imported once
// it has been saved since; the page shows the changes against it as it is.
func TestRegionsImportAfterAnotherEdit(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	page := adm.get(path)
	tok := csrfField.FindStringSubmatch(page.Body)[1]
	csv := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\n"
	preview := adm.uploadForm(path, url.Values{"csrf": {tok}, "action": {"preview"}, "version": {formVersion(t, page)}}, csv)
	wantStatus(t, preview, http.StatusOK)
	mustContain(t, preview.Body, "Removed: S1")

	// Meanwhile another admin adds a region by editing the campaign's
	// regions from its own copy.
	other := c.campaign(t, "vote")
	other.Regions = append(other.Regions, other.Regions[len(other.Regions)-1])
	other.Regions[len(other.Regions)-1].Code = "S2"
	if err := c.Store.UpdateCampaign(t.Context(), &other, nil); err != nil {
		t.Fatal(err)
	}

	r := adm.uploadForm(path, url.Values{"csrf": {tok}, "action": {"apply"}, "version": {formVersion(t, preview)}}, csv)
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, "saved by someone else", "Removed: S1 S2", `data-code="S2"`)
	if got := c.campaign(t, "vote"); len(got.Regions) != len(other.Regions) {
		t.Fatalf("refused import left %d regions, want %d", len(got.Regions), len(other.Regions))
	}
	if n := c.count(t, "regions-import"); n != 0 {
		t.Errorf("%d regions-import entries after a refused import, want 0", n)
	}

	wantRedirect(t, adm.uploadForm(path, url.Values{"csrf": {tok}, "action": {"apply"}, "version": {formVersion(t, r)}}, csv), "/admin/c/vote")
	if got := c.campaign(t, "vote"); len(got.Regions) != 3 {
		t.Errorf("after importing again: %d regions, want 3", len(got.Regions))
	}
}

// A second click on Save sends the same form again, made to the version the
// first click replaced: the campaign is already as it asks, so it is not
// called a conflict, and the log holds one edit.
func TestCampaignEditSavedTwice(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	form := adm.get(editPath)
	tok, v := csrfField.FindStringSubmatch(form.Body)[1], formVersion(t, form)

	wantRedirect(t, adm.post(editPath, editForm(tok, v, "100")), "/admin/c/vote")
	wantRedirect(t, adm.post(editPath, editForm(tok, v, "100")), "/admin/c/vote")
	if got := c.campaign(t, "vote"); got.Goal != 100 || got.Version != 2 {
		t.Fatalf("goal %d, version %d; want 100, 2", got.Goal, got.Version)
	}
	if n := c.count(t, "campaign-edit"); n != 1 {
		t.Errorf("%d campaign-edit entries, want 1", n)
	}
	// The same stale form asking for something else is still a conflict.
	wantStatus(t, adm.post(editPath, editForm(tok, v, "200")), http.StatusConflict)
}

// A second click on Import sends the same file again, made to the version
// the first click replaced: the regions are already as it asks.
func TestRegionsImportedTwice(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	page := adm.get(path)
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(page.Body)[1]}, "action": {"apply"}, "version": {formVersion(t, page)}}
	csv := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\n"

	wantRedirect(t, adm.uploadForm(path, form, csv), "/admin/c/vote")
	wantRedirect(t, adm.uploadForm(path, form, csv), "/admin/c/vote")
	if n := c.count(t, "regions-import"); n != 1 {
		t.Errorf("%d regions-import entries, want 1", n)
	}
	// The same stale page with another file is still a conflict.
	wantStatus(t, adm.uploadForm(path, form, csv+"N3,NORTH,North Three,उत्तर तीन\n"), http.StatusConflict)
}

// A save that left the regions alone (a new title) does not stand in the
// way of an import prepared before it: the changes the page listed are
// still the changes, and the title stays as saved.
func TestRegionsImportAfterAnEditOfSomethingElse(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	page := adm.get(path)
	tok := csrfField.FindStringSubmatch(page.Body)[1]
	digest := regexp.MustCompile(`name="regions" value="([0-9a-f]+)"`).FindStringSubmatch(page.Body)
	if digest == nil {
		t.Fatalf("the regions page sends no digest of its regions:\n%s", page.Body)
	}
	csv := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\n"

	other := c.campaign(t, "vote")
	other.Title = map[string]string{"en": "A new title", "hi": "नया शीर्षक"}
	if err := c.Store.UpdateCampaign(t.Context(), &other, nil); err != nil {
		t.Fatal(err)
	}

	form := url.Values{"csrf": {tok}, "action": {"apply"}, "version": {formVersion(t, page)}, "regions": {digest[1]}}
	wantRedirect(t, adm.uploadForm(path, form, csv), "/admin/c/vote")
	got := c.campaign(t, "vote")
	if len(got.Regions) != 3 || got.Title["en"] != "A new title" {
		t.Errorf("after the import: %d regions, title %q; want 3 and the title saved meanwhile", len(got.Regions), got.Title["en"])
	}
	if n := c.count(t, "regions-import"); n != 1 {
		t.Errorf("%d regions-import entries, want 1", n)
	}
}

var (
	inputTag    = regexp.MustCompile(`<input [^>]*>`)
	tagAttr     = regexp.MustCompile(`(\w+)(?:="([^"]*)")?`)
	textareaTag = regexp.MustCompile(`(?s)<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
	selectTag   = regexp.MustCompile(`(?s)<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	selected    = regexp.MustCompile(`<option value="([^"]*)" selected>`)
)

// formFields are the fields the campaign form of body sends unchanged, as
// a browser sends them: inputs (boxes only when ticked), texts and choices.
func formFields(t *testing.T, body string) url.Values {
	t.Helper()
	_, form, ok := strings.Cut(body, `<form class="wide"`)
	if !ok {
		t.Fatalf("no form in the page: %s", clip(body))
	}
	form, _, _ = strings.Cut(form, "</form>")
	out := url.Values{}
	for _, tag := range inputTag.FindAllString(form, -1) {
		attrs := map[string]string{}
		for _, m := range tagAttr.FindAllStringSubmatch(strings.TrimPrefix(tag, "<input"), -1) {
			attrs[m[1]] = html.UnescapeString(m[2])
		}
		_, checked := attrs["checked"]
		if typ := attrs["type"]; (typ == "checkbox" || typ == "radio") && !checked || attrs["name"] == "" {
			continue
		}
		out.Add(attrs["name"], attrs["value"])
	}
	for _, m := range textareaTag.FindAllStringSubmatch(form, -1) {
		out.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range selectTag.FindAllStringSubmatch(form, -1) {
		if s := selected.FindStringSubmatch(m[2]); s != nil {
			out.Add(m[1], html.UnescapeString(s[1]))
		}
	}
	return out
}

// Two admins edit one campaign at once, each changing other fields: the
// second is shown what the first changed, and saving again keeps both
// edits. A field both changed is named, and the second's value replaces
// the first's only on that second save.
func TestCampaignEditConflictMerges(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	if _, err := c.Accounts.Add(t.Context(), admin.Who{Actor: "test", Remote: "local"}, "it", pledge.RoleAdmin, "assistant it passphrase"); err != nil {
		t.Fatal(err)
	}
	deo := c.adminBrowser(t)
	it := c.browser(t)
	it.mustLogin("it", "assistant it passphrase")
	editPath := "/admin/c/vote/edit"

	first, second := formFields(t, deo.get(editPath).Body), formFields(t, it.get(editPath).Body)
	first.Set("certificate_title_hi", "संकल्प प्रमाण पत्र")
	wantRedirect(t, deo.post(editPath, first), "/admin/c/vote")
	second.Set("goal", "12000")
	conflict := it.post(editPath, second)
	wantStatus(t, conflict, http.StatusConflict)
	page := html.UnescapeString(conflict.Body)
	mustContain(t, page, "Someone else saved this campaign", `<li>certificate title (hi) "" → "संकल्प प्रमाण पत्र"</li>`)
	if strings.Contains(page, `id="edit-conflicts"`) {
		t.Error("edits of different fields are called a conflict")
	}
	if got := c.campaign(t, "vote"); got.Goal != 0 || got.CertificateTitle["hi"] != "संकल्प प्रमाण पत्र" {
		t.Fatalf("after the refused save: goal %d, heading %q", got.Goal, got.CertificateTitle["hi"])
	}
	again := formFields(t, conflict.Body)
	if again.Get("goal") != "12000" || again.Get("certificate_title_hi") != "संकल्प प्रमाण पत्र" {
		t.Fatalf("the merged form holds goal %q, heading %q; want this officer's goal and the other's heading",
			again.Get("goal"), again.Get("certificate_title_hi"))
	}
	wantRedirect(t, it.post(editPath, again), "/admin/c/vote")
	if got := c.campaign(t, "vote"); got.Goal != 12000 || got.CertificateTitle["hi"] != "संकल्प प्रमाण पत्र" {
		t.Errorf("after saving again: goal %d, heading %q; want both edits kept", got.Goal, got.CertificateTitle["hi"])
	}
	if a := c.lastAction(t, "campaign-edit"); a.Actor != "it" || a.Detail != "vote: goal none → 12000" {
		t.Errorf("the second save's entry = %+v, want the goal alone", a)
	}

	// Both change the goal; the first also the English title.
	first, second = formFields(t, deo.get(editPath).Body), formFields(t, it.get(editPath).Body)
	first.Set("goal", "15000")
	first.Set("title_en", "Vote for sure")
	wantRedirect(t, deo.post(editPath, first), "/admin/c/vote")
	second.Set("goal", "20000")
	conflict = it.post(editPath, second)
	wantStatus(t, conflict, http.StatusConflict)
	mustContain(t, html.UnescapeString(conflict.Body), `<li>goal 12000 → 15000</li>`, `<li>title (en) "Test pledge" → "Vote for sure"</li>`,
		`id="edit-conflicts">You both changed: goal.`)
	if got := c.campaign(t, "vote"); got.Goal != 15000 {
		t.Fatalf("goal %d after the conflicting save, want the first's 15000 until saved again", got.Goal)
	}
	again = formFields(t, conflict.Body)
	if again.Get("goal") != "20000" || again.Get("title_en") != "Vote for sure" {
		t.Fatalf("the merged form holds goal %q, title %q", again.Get("goal"), again.Get("title_en"))
	}
	wantRedirect(t, it.post(editPath, again), "/admin/c/vote")
	if got := c.campaign(t, "vote"); got.Goal != 20000 || got.Title["en"] != "Vote for sure" {
		t.Errorf("after saving again: goal %d, title %q; want 20000 and the first's title", got.Goal, got.Title["en"])
	}
}
