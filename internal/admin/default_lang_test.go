package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestCampaignDefaultLanguage: the campaign form chooses the default
// language, which the campaign's languages start with, whatever the order
// of the ticks; the edit form shows it, the audit entry names a change of
// it, and a default that is not ticked is refused by its field.
func TestCampaignDefaultLanguage(t *testing.T) {
	c := newConsole(t, withPublicSite())
	adm := c.adminBrowser(t)

	r := adm.get(newCampaignPath)
	mustContain(t, r.Body, `<input type="radio" name="default_lang" value="en" checked> en`,
		`<input type="radio" name="default_lang" value="hi"> hi`)
	form := campaignValues(csrfField.FindStringSubmatch(r.Body)[1])
	form.Set("default_lang", "hi")
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")
	if got := c.campaign(t, "plant-trees").Languages; !slices.Equal(got, []string{"hi", "en"}) {
		t.Fatalf("languages %v, want hi first", got)
	}
	if a := c.lastAction(t, "campaign-create"); !strings.Contains(a.Detail, ", languages hi,en, ") {
		t.Errorf("campaign-create entry = %q, want the languages default first", a.Detail)
	}
	// A visitor whose browser names no language gets the Hindi page.
	pub := c.browser(t)
	r = pub.get("/c/plant-trees")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `<html lang="hi">`, "पेड़ लगाओ")

	editPath := "/admin/c/plant-trees/edit"
	mustContain(t, adm.get(editPath).Body, `<input type="radio" name="default_lang" value="en"> en`,
		`<input type="radio" name="default_lang" value="hi" checked> hi`)
	save := c.editor(t, adm, "plant-trees", form)

	form.Set("default_lang", "en")
	wantRedirect(t, save(), "/admin/c/plant-trees")
	if got := c.campaign(t, "plant-trees").Languages; !slices.Equal(got, []string{"en", "hi"}) {
		t.Errorf("languages %v after choosing en, want en first", got)
	}
	if a := c.lastAction(t, "campaign-edit"); a.Detail != "plant-trees: default language hi → en" {
		t.Errorf("campaign-edit entry = %q, want the default language changed and nothing else", a.Detail)
	}

	// A default that is no language of the console: refused by the field,
	// nothing saved, the texts and the choice as sent.
	for _, bad := range []string{"ta", "EN"} {
		form.Set("default_lang", bad)
		r = save()
		wantStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r.Body, "The campaign was not saved: see the notes by the fields.",
			`<fieldset aria-describedby="default_lang-hint default_lang-error"><legend>Default language</legend>`,
			`data-field="default_lang">the default language (`+bad+`) must be one of the ticked languages`,
			`value="Plant a tree"`)
	}
	if got := c.campaign(t, "plant-trees").Languages; !slices.Equal(got, []string{"en", "hi"}) {
		t.Errorf("a refused edit changed the languages to %v", got)
	}
	if n := c.count(t, "campaign-edit"); n != 1 {
		t.Errorf("%d campaign-edit entries, want 1", n)
	}

	// Hindi alone, with English still chosen: the one language ticked is
	// the default, whatever the radio says.
	form["lang"] = []string{"hi"}
	form.Set("default_lang", "en")
	wantRedirect(t, save(), "/admin/c/plant-trees")
	if got := c.campaign(t, "plant-trees").Languages; !slices.Equal(got, []string{"hi"}) {
		t.Errorf("languages %v, want hi alone", got)
	}
	if a := c.lastAction(t, "campaign-edit"); !strings.Contains(a.Detail, "languages en,hi → hi; default language en → hi") {
		t.Errorf("campaign-edit entry = %q, want the languages and the default changed", a.Detail)
	}
}

// TestCampaignFormWithoutDefaultKeepsIt: a form sent without the default
// language (opened before the choice was offered) keeps a campaign's
// default where it is still ticked, and otherwise takes the first ticked.
func TestCampaignFormWithoutDefaultKeepsIt(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	camp.Languages = []string{"hi", "en"}
	if err := c.Store.UpdateCampaign(t.Context(), camp, nil); err != nil {
		t.Fatal(err)
	}
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	form := url.Values{"csrf": {adm.csrf(editPath)}, "lang": {"en", "hi"},
		"title_en": {"Test pledge"}, "title_hi": {"परीक्षण संकल्प"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "email": {"none"}}
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	if got := c.campaign(t, "vote").Languages; !slices.Equal(got, []string{"hi", "en"}) {
		t.Errorf("languages %v, want hi still first", got)
	}
	if a := c.lastAction(t, "campaign-edit"); a.Detail != "vote: no changes" {
		t.Errorf("campaign-edit entry = %q, want no changes", a.Detail)
	}
	form.Set("csrf", adm.csrf(editPath))
	form["lang"] = []string{"en"}
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	if got := c.campaign(t, "vote").Languages; !slices.Equal(got, []string{"en"}) {
		t.Errorf("languages %v, want en alone", got)
	}
}

// TestCampaignFormKeepsUntickedTexts: a language unticked keeps its texts
// on a form that comes back with a note, so ticking it again loses
// nothing; the form says that saving without it removes them, and it does.
func TestCampaignFormKeepsUntickedTexts(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	r := adm.get(editPath)
	mustContain(t, r.Body, `<p class="muted" id="lang-hint">Only the ticked languages' texts are saved: saving with a language unticked removes its texts from the campaign.</p>`)
	form := url.Values{"csrf": {csrfField.FindStringSubmatch(r.Body)[1]}, "lang": {"en"}, "default_lang": {"en"},
		"title_en": {"Test pledge"}, "title_hi": {"परीक्षण संकल्प"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"region_label_hi": {"वार्ड"}, "signatory_hi": {"कलेक्टर"}, "certificate_title_hi": {"संकल्प पत्र"},
		"opens_at": {"2024-01-01T05:30"}, "email": {"none"}, "goal": {"many"}}
	r = adm.post(editPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `<input type="checkbox" name="lang" value="hi"> hi`,
		`value="परीक्षण संकल्प"`, ">मैं मतदान करूँगा।</textarea>", `value="वार्ड"`, `value="कलेक्टर"`, `value="संकल्प पत्र"`)
	if got := c.campaign(t, "vote"); !slices.Equal(got.Languages, []string{"en", "hi"}) {
		t.Errorf("a refused edit changed the languages to %v", got.Languages)
	}

	form.Set("goal", "")
	form.Set("csrf", adm.csrf(editPath))
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	got := c.campaign(t, "vote")
	if got.Title["hi"] != "" || got.Pledge["hi"] != "" || got.RegionLabel != nil || got.Signatory != nil || got.CertificateTitle != nil {
		t.Errorf("Hindi texts kept after saving without Hindi: %+v", got)
	}
}
