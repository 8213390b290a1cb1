package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

const newCampaignPath = "/admin/campaigns/new"

// upload sends a regions CSV as the regions page's multipart form does.
func (b *browser) upload(path, csrf, action, csv string) response {
	b.t.Helper()
	return b.uploadForm(path, url.Values{"csrf": {csrf}, "action": {action}}, csv)
}

// uploadForm sends a regions CSV with the fields of form.
func (b *browser) uploadForm(path string, form url.Values, csv string) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			if v != "" {
				_ = mw.WriteField(k, v)
			}
		}
	}
	fw, err := mw.CreateFormFile("file", "regions.csv")
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = fw.Write([]byte(csv))
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	return b.do(http.MethodPost, path, &body, "Content-Type", mw.FormDataContentType())
}

func (c *console) campaign(t *testing.T, slug string) pledge.Campaign {
	t.Helper()
	camp, err := c.Store.Campaign(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return camp
}

func (c *console) mustCreate(t *testing.T, slug string) *pledge.Campaign {
	t.Helper()
	camp := storetest.Campaign(slug)
	if err := c.Store.CreateCampaign(context.Background(), camp, nil); err != nil {
		t.Fatal(err)
	}
	return camp
}

func campaignValues(tok string) url.Values {
	return url.Values{
		"csrf": {tok}, "slug": {"plant-trees"}, "lang": {"en", "hi"},
		"title_en": {"Plant a tree"}, "title_hi": {"पेड़ लगाओ"},
		"pledge_en": {"I will plant a tree."}, "pledge_hi": {"मैं पेड़ लगाऊँगा।"},
		"opens_at": {"2025-01-01T09:30"}, "closes_at": {""}, "email": {"optional"}, "goal": {"5000"},
		"regions": {"code,parent,name_en,name_hi\r\nRAI,,Raipur,रायपुर\r\nBIL,,Bilaspur,बिलासपुर\r\n"},
	}
}

func TestCampaignCreate(t *testing.T) {
	c := newConsole(t, withPublicSite())
	adm := c.adminBrowser(t)
	mustContain(t, adm.get(homePath).Body, `href="/admin/campaigns/new"`)

	form := campaignValues(adm.csrf(newCampaignPath))
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")
	got := c.campaign(t, "plant-trees")
	if got.Goal != 5000 || got.Email != pledge.EmailOptional || got.Title["hi"] != "पेड़ लगाओ" || len(got.Regions) != 2 ||
		!got.OpensAt.Equal(time.Date(2025, 1, 1, 4, 0, 0, 0, time.UTC)) || got.Paused {
		t.Errorf("stored campaign = %+v", got)
	}
	// The entry gives the campaign's settings, the opening time as it was
	// typed, in IST.
	if a := c.lastAction(t, "campaign-create"); a.Actor != adminUser || !strings.HasPrefix(a.Detail,
		`plant-trees: "Plant a tree", languages en,hi, email optional, goal 5000, opens 2025-01-01 09:30:00 IST, closes never, 2 regions, pledge text en `) {
		t.Errorf("campaign-create entry = %+v, want the campaign's settings, times in IST", a)
	}
	// The public site lists it within seconds.
	deadline := time.Now().Add(7 * time.Second)
	for {
		r := adm.get("/api/v1/campaigns")
		if strings.Contains(r.Body, `"plant-trees"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the public list does not show the new campaign: %s", r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A second one with the same slug, and a bad one: errors by the fields,
	// nothing stored.
	form = campaignValues(adm.csrf(newCampaignPath))
	r := adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "a campaign with this slug exists already")
	form.Set("slug", "Bad Slug")
	form.Set("pledge_hi", "")
	form.Set("goal", "lots")
	form.Set("regions", "code,parent,name_en,name_hi\nA,,Alpha,अ\nB,Z,Beta,ब\n")
	r = adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="goal">goal must be a whole number`, "line 3: region B has unknown parent Z",
		// each note tied to its field, for screen readers
		`id="goal" name="goal" type="number" min="0" step="1" value="lots" aria-invalid="true" aria-describedby="goal-error">`,
		`<div id="goal-error"><p class="error" data-field="goal">`, `aria-describedby="regions-error"`, `<div id="regions-error">`)
	form.Set("goal", "10")
	form.Set("regions", "code,parent,name_en,name_hi\nA,,Alpha,अ\n")
	r = adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="slug">slug must be 1-64 lower-case`, `data-field="text_hi">title and pledge text are needed in hi`,
		`<input id="title_hi" name="title_hi" aria-invalid="true" aria-describedby="text_hi-error" value="पेड़ लगाओ"`, `<div id="text_hi-error">`)
	if n := c.count(t, "campaign-create"); n != 1 {
		t.Errorf("%d campaign-create entries, want 1", n)
	}
	if list, _ := c.Store.Campaigns(context.Background()); len(list) != 1 {
		t.Errorf("%d campaigns stored, want 1", len(list))
	}
}

func TestCampaignEdit(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"

	r := adm.get(editPath)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `value="Test pledge"`, `value="2024-01-01T05:30"`, "I will vote.")
	tok := csrfField.FindStringSubmatch(r.Body)[1]
	form := url.Values{"csrf": {tok}, "lang": {"en", "hi"},
		"title_en": {"Vote on the 5th"}, "title_hi": {"पाँच को मतदान"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "closes_at": {"2000-01-01T00:00"}, "email": {"none"}, "goal": {"100"},
		"signatory_en": {"Collector, Bilaspur"}, "certificate_title_hi": {"मतदाता संकल्प पत्र"},
		"slug": {"renamed"}}
	r = adm.post(editPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="closes_at">closing time must be after opening time`)
	if got := c.campaign(t, "vote"); got.Title["en"] != "Test pledge" {
		t.Fatalf("refused edit changed the title to %q", got.Title["en"])
	}

	form.Set("closes_at", "")
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	got := c.campaign(t, "vote")
	if got.Title["en"] != "Vote on the 5th" || got.Goal != 100 || got.Slug != "vote" || len(got.Regions) != 4 {
		t.Errorf("after edit: %+v", got)
	}
	if got.Signatory["en"] != "Collector, Bilaspur" || got.CertificateTitle["hi"] != "मतदाता संकल्प पत्र" || got.Signatory["hi"] != "" {
		t.Errorf("certificate wording after edit: title %v, signatory %v", got.CertificateTitle, got.Signatory)
	}
	mustContain(t, adm.get(editPath).Body, `value="Collector, Bilaspur"`)
	mustContain(t, adm.get("/admin/c/vote").Body, "<h1>Vote on the 5th</h1>", `id="goal">100<`)
	mustContain(t, adm.get(homePath).Body, "Vote on the 5th")
	if a := c.lastAction(t, "campaign-edit"); !strings.HasPrefix(a.Detail, "vote: ") || a.Actor != adminUser ||
		!strings.Contains(a.Detail, `title (en) "Test pledge" → "Vote on the 5th"`) || !strings.Contains(a.Detail, "goal none → 100") ||
		strings.Contains(a.Detail, "opens") || strings.Contains(a.Detail, "closes") {
		t.Errorf("campaign-edit entry = %+v, want the title and goal changed, the times not", a)
	}
	// The closing time decides when addresses may be erased: moving it
	// shows in the log, as it was typed.
	form.Set("closes_at", "2031-06-01T17:30")
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	if a := c.lastAction(t, "campaign-edit"); a.Detail != "vote: closes never → 2031-06-01 17:30:00 IST" {
		t.Errorf("campaign-edit entry = %+v, want the new closing time in IST", a)
	}
	wantStatus(t, adm.get("/admin/c/nope/edit"), http.StatusNotFound)
}

// TestCampaignEditEntryNamesChanges: the audit entry of an edit names each
// setting that changed, old → new, the pledge text in full (certificates
// already issued show the new one, so the log keeps what they said); a save
// that changes nothing says so.
func TestCampaignEditEntryNamesChanges(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	form := url.Values{"csrf": {adm.csrf(editPath)}, "lang": {"en", "hi"},
		"title_en": {"Test pledge"}, "title_hi": {"परीक्षण संकल्प"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "closes_at": {""}, "email": {"none"}, "goal": {""}}
	save := func() string {
		t.Helper()
		form.Set("version", strconv.FormatInt(c.campaign(t, "vote").Version, 10))
		wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
		return c.lastAction(t, "campaign-edit").Detail
	}

	if got := save(); got != "vote: no changes" {
		t.Errorf("entry of a save that changes nothing = %q", got)
	}

	form.Set("title_hi", "पाँच को मतदान")
	form.Set("signatory_hi", "ज़िला निर्वाचन अधिकारी")
	form.Set("certificate_title_hi", "मतदाता संकल्प पत्र")
	want := `vote: title (hi) "परीक्षण संकल्प" → "पाँच को मतदान"; certificate title (hi) "" → "मतदाता संकल्प पत्र"; ` +
		`signatory (hi) "" → "ज़िला निर्वाचन अधिकारी"`
	if got := save(); got != want {
		t.Errorf("entry of a Hindi edit = %q\nwant %q", got, want)
	}

	newPledge := "I will vote, and bring a neighbour."
	form.Set("pledge_en", newPledge)
	form.Set("goal", "100")
	form.Set("email", "optional")
	form.Set("closes_at", "2031-06-01T17:30")
	form.Set("opens_at", "2024-01-02T09:00")
	form["lang"] = []string{"en"}
	got := save()
	for _, w := range []string{
		"languages en,hi → en",
		`title (hi) "पाँच को मतदान" → ""`,
		`pledge text (en) "I will vote." → "I will vote, and bring a neighbour."`,
		"email none → optional",
		"goal none → 100",
		"opens 2024-01-01 05:30:00 IST → 2024-01-02 09:00:00 IST",
		"closes never → 2031-06-01 17:30:00 IST",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("entry %q does not say %q", got, w)
		}
	}
	if strings.Contains(got, `title (en)`) {
		t.Errorf("entry %q names a text that did not change", got)
	}
}

func TestRegionsImport(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	r := adm.get(path)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, "code,parent,name_en,name_hi", `enctype="multipart/form-data"`, `data-code="N2"`,
		"At most 1 MiB and 10,000 regions.")
	tok := csrfField.FindStringSubmatch(r.Body)[1]
	before := c.campaign(t, "vote")

	bad := "code,parent,name_en,name_hi\n" +
		"NORTH,,North,उत्तर\n" +
		"N1,NORTH,North One\n" + // line 3
		"N1,NORTH,Again,फिर\n" + // line 4 (N1 on line 3 was bad, so this is its first good definition)
		"N9,NOWHERE,Nine,नौ\n" + // line 5
		"S1,,South,\n" // line 6
	r = adm.upload(path, tok, "apply", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "nothing was changed",
		"<li>line 3: 3 columns, want 4 (code,parent,name_en,name_hi)</li>",
		"<li>line 5: region N9 has unknown parent NOWHERE</li>",
		"<li>line 6: the name in hi is missing</li>")
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a bad file changed the campaign:\n%s", diff)
	}

	good := "code,parent,name_en,name_hi\n" +
		"NORTH,,North,उत्तर\n" +
		"N1,NORTH,Northern One,उत्तर एक\n" +
		"N2,NORTH,North Two,उत्तर दो\n" +
		"N3,NORTH,North Three,उत्तर तीन\n"
	r = adm.upload(path, tok, "preview", good)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, "Preview: 4 regions", "Added: N3", "Removed: S1", "Renamed or moved: N1")
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a preview changed the campaign:\n%s", diff)
	}
	if n := c.count(t, "regions-import"); n != 0 {
		t.Errorf("%d regions-import entries before applying, want 0", n)
	}

	wantRedirect(t, adm.upload(path, tok, "apply", good), "/admin/c/vote")
	got := c.campaign(t, "vote")
	var codes []string
	for _, reg := range got.Regions {
		codes = append(codes, reg.Code)
	}
	if diff := cmp.Diff([]string{"NORTH", "N1", "N2", "N3"}, codes); diff != "" || got.Regions[1].Name["en"] != "Northern One" {
		t.Errorf("regions after import (-want +got):\n%s; N1 = %v", diff, got.Regions[1].Name)
	}
	if a := c.lastAction(t, "regions-import"); !strings.Contains(a.Detail, "vote: 4 regions") {
		t.Errorf("regions-import entry = %+v", a)
	}
}

// TestRegionsUploadTooLarge: a regions file over 1 MiB, by a little or by
// far (its form then too large to read), gets the regions page saying so,
// with the limit, and changes nothing.
func TestRegionsUploadTooLarge(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	file := func(size int) string {
		csv := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\n"
		line := "N1,NORTH,North One,उत्तर एक\n"
		return csv + strings.Repeat(line, (size-len(csv))/len(line)+1)
	}
	for _, size := range []int{1<<20 + 1, 2_200_000, 12 << 20} {
		r := adm.upload(path, tok, "apply", file(size))
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("%d-byte file: status %d, want 413; body: %s", size, r.Status, clip(r.Body))
			continue
		}
		mustContain(t, r.Body, "<h1>Regions of vote</h1>", "nothing was changed",
			"<li>the file is larger than 1 MiB (1048576 bytes), the most a regions file may have; nothing was read from it</li>",
			"<nav>", `name="csrf" value="`+tok+`"`)
	}
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a file too large changed the campaign:\n%s", diff)
	}
	if n := c.count(t, "regions-import"); n != 0 {
		t.Errorf("%d regions-import entries, want 0", n)
	}
	// Only for an admin, as the page itself.
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	wantStatus(t, viewer.upload(path, viewer.csrf(homePath), "apply", file(2_200_000)), http.StatusForbidden)
	wantLogin(t, c.browser(t).upload(path, "", "apply", file(2_200_000)))
}

// TestRegionsImportOfACampaignToMend: a campaign stored before a rule it
// breaks was added (here a control character in its title) takes no
// regions, and the page says what to mend, rather than failing.
func TestRegionsImportOfACampaignToMend(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	c.storeDirectly(t, `UPDATE campaigns SET title = '{"en":"Vote\u0007","hi":"मतदान"}' WHERE slug = 'vote'`)
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := csrfField.FindStringSubmatch(adm.get(path).Body)[1]
	before := c.campaign(t, "vote")
	r := adm.upload(path, tok, "apply", "code,parent,name_en,name_hi\nN1,,North,उत्तर\n")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "needs mending on its edit page", "the title has bytes that are not text, or control characters (en)")
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("the regions were saved:\n%s", diff)
	}
}

// TestRegionsImportRefusesNamesNotShownAsTyped: region names and codes
// follow the rules of the campaign's texts: no control characters, no
// characters that turn the direction of the text, names of at most 100
// characters. Each bad line is listed, and nothing is changed.
func TestRegionsImportRefusesNamesNotShownAsTyped(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	file := "code,parent,name_en,name_hi\n" +
		"NORTH,,North,उत्तर\n" +
		"N1,NORTH,North\aOne,उत्तर एक\n" + // line 3: BEL
		"N2,NORTH,\x1b[2JNorth Two,उत्तर दो\n" + // line 4: ESC
		"S1,,South One,\u202eदक्षिण एक\n" + // line 5: right-to-left override
		"S2,," + strings.Repeat("S", 3000) + ",दक्षिण दो\n" + // line 6: 3,000 characters
		"S3\u2066,,South Three,दक्षिण तीन\n" // line 7: an isolate in the code
	for _, action := range []string{"preview", "apply"} {
		r := adm.upload(path, tok, action, file)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r.Body, "nothing was changed",
			"<li>line 3: the name in en has bytes that are not text, or control characters</li>",
			"<li>line 4: the name in en has bytes that are not text, or control characters</li>",
			"<li>line 5: the name in hi has a character that changes the direction of the text around it (U&#43;202E)</li>",
			"<li>line 6: the name in en has at most 100 characters</li>",
			"<li>line 7: code &#34;S3\\u2066&#34; has control characters or characters that change the direction of text</li>")
	}
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a bad file changed the campaign:\n%s", diff)
	}
	if n := c.count(t, "regions-import"); n != 0 {
		t.Errorf("%d regions-import entries, want 0", n)
	}

	// A new campaign's regions are checked the same way.
	form := campaignValues(adm.csrf(newCampaignPath))
	form.Set("regions", "code,parent,name_en,name_hi\nRAI,,Rai\u202epur,रायपुर\n")
	r := adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="regions">line 2: the name in en has a character that changes the direction of the text around it (U&#43;202E)`)
}

// TestCampaignEditOfRegionsToMend: a campaign whose stored region names
// break a rule added since is not saved by the edit form, which has no
// regions, and the page says where to mend them.
func TestCampaignEditOfRegionsToMend(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	c.storeDirectly(t, `UPDATE regions SET name = '{"en":"North\u0007","hi":"उत्तर"}' WHERE code = 'NORTH'`)
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	form := url.Values{"csrf": {adm.csrf(editPath)}, "lang": {"en", "hi"},
		"title_en": {"Vote on the 5th"}, "title_hi": {"पाँच को मतदान"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "email": {"none"}}
	r := adm.post(editPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `<p class="alert" role="alert">The regions need mending on the regions page (import them again) before the campaign can be saved: `+
		"region NORTH: the name in en has bytes that are not text, or control characters</p>")
	if got := c.campaign(t, "vote"); got.Title["en"] != "Test pledge" {
		t.Errorf("the edit was saved: title %q", got.Title["en"])
	}
	// Imported again, mended, the regions let the edit be saved.
	wantRedirect(t, adm.upload("/admin/c/vote/regions", adm.csrf("/admin/c/vote/regions"), "apply",
		"code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\nS1,,South One,दक्षिण एक\n"), "/admin/c/vote")
	form.Set("csrf", adm.csrf(editPath))
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
}

func TestRegionsImportKeepsRegionsWithPledges(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	h := pledge.NewHasher([]byte("admin test secret"))
	if _, err := c.Store.CommitBatch(context.Background(), []pledge.Submission{storetest.Submission(h, camp.ID, 1, "N2")}); err != nil {
		t.Fatal(err)
	}
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	r := adm.upload(path, tok, "apply", "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\n")
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, "region N2 has pledges and cannot be removed")
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a refused import changed the campaign:\n%s", diff)
	}
	// Without pledges, S1 may go.
	wantRedirect(t, adm.upload(path, tok, "apply", "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\n"), "/admin/c/vote")
	if got := c.campaign(t, "vote"); len(got.Regions) != 3 {
		t.Errorf("regions after removing S1: %+v", got.Regions)
	}
}

// publicPledge sends one pledge to the public API and returns the status.
func publicPledge(t *testing.T, b *browser, slug string, i int) int {
	t.Helper()
	body := fmt.Sprintf(`{"name":"Citizen %d","phone":"98765%05d","region":"N1"}`, i, i)
	return b.do(http.MethodPost, "/api/v1/campaigns/"+slug+"/pledges", strings.NewReader(body), "Content-Type", "application/json").Status
}

// waitStatus sends pledges until the public API answers want, for up to 7 s
// (the public site reloads campaigns every 5 s).
func waitStatus(t *testing.T, b *browser, slug string, next *int, want int) {
	t.Helper()
	deadline := time.Now().Add(7 * time.Second)
	for {
		*next++
		got := publicPledge(t, b, slug, *next)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("public pledge answers %d, want %d within 7 s", got, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestPauseResume(t *testing.T) {
	c := newConsole(t, withPublicSite())
	c.mustCreate(t, "vote")
	adm, citizen := c.browser(t), c.browser(t)
	adm.mustLogin(adminUser, adminPass)
	i := 0
	waitStatus(t, citizen, "vote", &i, http.StatusCreated)

	dash := adm.get("/admin/c/vote")
	mustContain(t, dash.Body, `action="/admin/c/vote/pause"`, `id="status">open<`)
	tok := csrfField.FindStringSubmatch(dash.Body)[1]
	wantRedirect(t, adm.post("/admin/c/vote/pause", url.Values{"csrf": {tok}}), "/admin/c/vote")
	if !c.campaign(t, "vote").Paused {
		t.Fatal("campaign not paused in the store")
	}
	mustContain(t, adm.get("/admin/c/vote").Body, `action="/admin/c/vote/resume"`, `id="status">paused<`)
	waitStatus(t, citizen, "vote", &i, http.StatusForbidden)
	// The public page shows no form while paused.
	if r := citizen.get("/c/vote"); strings.Contains(r.Body, `name="phone"`) {
		t.Errorf("the public page of a paused campaign shows the form")
	}

	wantRedirect(t, adm.post("/admin/c/vote/resume", url.Values{"csrf": {tok}}), "/admin/c/vote")
	waitStatus(t, citizen, "vote", &i, http.StatusCreated)
	if a := c.lastAction(t, "campaign-pause"); a.Detail != "vote: paused" || a.Actor != adminUser {
		t.Errorf("campaign-pause entry = %+v", a)
	}
	if a := c.lastAction(t, "campaign-resume"); a.Detail != "vote: resumed" {
		t.Errorf("campaign-resume entry = %+v", a)
	}
}

// A campaign that has closed is not offered "Pause collecting" and does not
// take a pause; one paused before it closed reads "closed" on the list and
// its dashboard, and may still be resumed.
func TestClosedCampaignIsNotPaused(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	ended := storetest.Campaign("ended")
	ended.OpensAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ended.ClosesAt = time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	pausedThenClosed := storetest.Campaign("paused-then-closed")
	pausedThenClosed.OpensAt, pausedThenClosed.ClosesAt = ended.OpensAt, ended.ClosesAt
	for _, camp := range []*pledge.Campaign{ended, pausedThenClosed} {
		if err := c.Store.CreateCampaign(ctx, camp, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Store.SetPaused(ctx, pausedThenClosed.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	adm := c.adminBrowser(t)

	dash := adm.get("/admin/c/ended")
	mustContain(t, dash.Body, `<span id="status">closed</span>`)
	if strings.Contains(dash.Body, "/admin/c/ended/pause") {
		t.Error("a closed campaign's dashboard offers to pause it")
	}
	tok := csrfField.FindStringSubmatch(dash.Body)[1]
	r := adm.post("/admin/c/ended/pause", url.Values{"csrf": {tok}})
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, "has closed")
	if c.campaign(t, "ended").Paused {
		t.Error("a closed campaign was paused")
	}
	if n := c.count(t, "campaign-pause"); n != 0 {
		t.Errorf("%d campaign-pause entries after a refused pause, want 0", n)
	}

	dash = adm.get("/admin/c/paused-then-closed")
	mustContain(t, dash.Body, `<span id="status">closed</span>`, `action="/admin/c/paused-then-closed/resume"`, `id="paused-closed"`)
	if strings.Contains(dash.Body, `id="status">paused`) {
		t.Error("a campaign paused before it closed reads paused on its dashboard")
	}
	home := adm.get(homePath).Body
	row := regexp.MustCompile(`(?s)<span class="muted">paused-then-closed</span>.*?</td>\s*<td>(.*?)</td>`).FindStringSubmatch(home)
	if row == nil || row[1] != "closed" {
		t.Errorf("the campaign list's status of a campaign paused before it closed: %v, want closed", row)
	}
	wantRedirect(t, adm.post("/admin/c/paused-then-closed/resume", url.Values{"csrf": {tok}}), "/admin/c/paused-then-closed")
	if c.campaign(t, "paused-then-closed").Paused {
		t.Error("resume did not resume a campaign paused before it closed")
	}
}

func TestCampaignPagesViewerForbidden(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	viewer := c.browser(t)
	viewer.mustLogin(viewerUser, viewerPass)
	tok := viewer.csrf(homePath)
	if strings.Contains(viewer.get("/admin/c/vote").Body, "/admin/c/vote/pause") {
		t.Error("the viewer's dashboard offers the pause button")
	}
	for _, path := range []string{newCampaignPath, "/admin/c/vote/edit", "/admin/c/vote/regions"} {
		wantStatus(t, viewer.get(path), http.StatusForbidden)
	}
	form := campaignValues(tok)
	for _, path := range []string{newCampaignPath, "/admin/c/vote/edit", "/admin/c/vote/pause", "/admin/c/vote/resume"} {
		wantStatus(t, viewer.post(path, form), http.StatusForbidden)
	}
	wantStatus(t, viewer.upload("/admin/c/vote/regions", tok, "apply", "code,parent,name_en,name_hi\nA,,a,b\n"), http.StatusForbidden)
	if got := c.campaign(t, "vote"); got.Paused || len(got.Regions) != 4 {
		t.Errorf("viewer changed the campaign: %+v", got)
	}
}

func TestCampaignFormsNeedCSRF(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	form := campaignValues("wrong")
	wantStatus(t, adm.post(newCampaignPath, form), http.StatusForbidden)
	form.Del("csrf")
	wantStatus(t, adm.post("/admin/c/vote/pause", form), http.StatusForbidden)
	wantStatus(t, adm.upload("/admin/c/vote/regions", "", "apply", "code,parent,name_en,name_hi\nA,,a,b\n"), http.StatusForbidden)
	// A cross-site upload is refused even with the right token.
	tok := adm.csrf("/admin/c/vote/regions")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", tok)
	_ = mw.Close()
	r := adm.do(http.MethodPost, "/admin/c/vote/regions", &body, "Content-Type", mw.FormDataContentType(), "Sec-Fetch-Site", "cross-site")
	wantStatus(t, r, http.StatusForbidden)
	if list, _ := c.Store.Campaigns(context.Background()); len(list) != 1 || list[0].Paused {
		t.Errorf("campaigns after refused forms: %+v", list)
	}
	if n := c.count(t, "campaign-create") + c.count(t, "campaign-pause") + c.count(t, "regions-import"); n != 0 {
		t.Errorf("%d audit entries for refused forms, want 0", n)
	}
}

// TestNewCampaignFormDefaultsAgree: the languages the empty form ticks are
// those its regions header names, so that filling in the texts and regions
// under that header is accepted as it stands.
func TestNewCampaignFormDefaultsAgree(t *testing.T) {
	c := newConsole(t)
	adm := c.adminBrowser(t)
	r := adm.get(newCampaignPath)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `value="en" checked`, `value="hi" checked`, ">code,parent,name_en,name_hi\n</textarea>")

	form := campaignValues(csrfField.FindStringSubmatch(r.Body)[1])
	form.Set("regions", "code,parent,name_en,name_hi\nRAI,,Raipur,रायपुर\n")
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")
}

// TestCampaignClosingTimeInThePast: a closing time already past would end
// a live campaign on Save (an AM/PM or date slip); the edit is refused by
// the field, keeping what was typed, and offers a box to close it on
// purpose, which then saves. A new campaign with a past closing time is
// refused; a campaign closed already may have its closing time moved
// within the past.
func TestCampaignClosingTimeInThePast(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	editPath := "/admin/c/vote/edit"
	form := url.Values{"csrf": {adm.csrf(editPath)}, "lang": {"en", "hi"},
		"title_en": {"Vote on the 5th"}, "title_hi": {"परीक्षण संकल्प"},
		"pledge_en": {"I will vote."}, "pledge_hi": {"मैं मतदान करूँगा।"},
		"opens_at": {"2024-01-01T05:30"}, "closes_at": {"2025-01-01T09:00"}, "email": {"none"}, "goal": {""}}
	before := c.campaign(t, "vote")
	r := adm.post(editPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="closes_at">closing time 2025-01-01 09:00:00 IST has passed: saving would close the campaign at once`,
		`<input type="checkbox" name="close_now" value="yes"> Close the campaign now`, `value="Vote on the 5th"`, `value="2025-01-01T09:00"`)
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Fatalf("the refused edit changed the campaign:\n%s", diff)
	}
	if strings.Contains(adm.get(editPath).Body, "close_now") {
		t.Error("the edit form offers to close the campaign before a past closing time was typed")
	}

	// Ticked, it closes as it is saved, not at the time typed: the pledges
	// taken since were counted, and none may postdate its close.
	form.Set("close_now", "yes")
	saving := time.Now().Truncate(time.Second)
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")
	got := c.campaign(t, "vote")
	if got.ClosesAt.Before(saving) || got.ClosesAt.After(time.Now()) || got.Title["en"] != "Vote on the 5th" {
		t.Fatalf("after closing on purpose at %v: closes %v, title %q", saving, got.ClosesAt, got.Title["en"])
	}

	// Closed already: its closing time moves within the past unasked.
	form.Del("close_now")
	form.Set("closes_at", "2024-06-01T09:00")
	form.Set("version", strconv.FormatInt(got.Version, 10))
	wantRedirect(t, adm.post(editPath, form), "/admin/c/vote")

	create := campaignValues(adm.csrf(newCampaignPath))
	create.Set("closes_at", "2025-06-01T09:00")
	create.Set("close_now", "yes")
	r = adm.post(newCampaignPath, create)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="closes_at">closing time 2025-06-01 09:00:00 IST has passed already: a new campaign must close later than now`)
	if _, err := c.Store.Campaign(context.Background(), "plant-trees"); err == nil {
		t.Error("a campaign closing in the past was created")
	}
}
