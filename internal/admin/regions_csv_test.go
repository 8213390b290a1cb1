package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestRegionsImportOfASpreadsheetFile: a file as Excel saves it, header in
// capitals and empty columns beside the data, previews and imports as the
// same file typed by hand; one with a value in an unnamed column is
// refused, naming its line.
func TestRegionsImportOfASpreadsheetFile(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)

	held := "Code,Parent,Name_EN,Name_HI,,\r\nNORTH,,North,उत्तर,,\r\nN1,NORTH,North One,उत्तर एक,,see ward map\r\n"
	r := adm.upload(path, tok, "preview", held)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "nothing was changed",
		"<li>line 3: column 6 has no name in the header, but holds &#34;see ward map&#34;: a column without a name must be empty</li>")

	file := "Code,Parent,Name_EN,Name_HI,,\r\n" +
		"NORTH,,North,उत्तर,,\r\n" +
		"N1,NORTH,North One,उत्तर एक,,\r\n" +
		"N2,NORTH,North Two,उत्तर दो,,\r\n" +
		",,,,,\r\n" +
		"S1,,South One,दक्षिण एक,,\r\n" +
		"S2,,South Two,दक्षिण दो,,\r\n"
	r = adm.upload(path, tok, "preview", file)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, "Preview: 5 regions", "Added: S2")
	want := append(c.campaign(t, "vote").Regions, pledge.Region{Code: "S2", Name: pledge.Text{"en": "South Two", "hi": "दक्षिण दो"}})
	wantRedirect(t, adm.upload(path, tok, "apply", file), "/admin/c/vote")
	if diff := cmp.Diff(want, c.campaign(t, "vote").Regions); diff != "" {
		t.Errorf("regions after the import (-want +got):\n%s", diff)
	}
}

// TestCampaignCreateWithALanguageUnticked: the form's regions box starts
// with a name column for every language; a clerk who unticks Hindi and
// leaves its column empty gets the campaign, and one who typed Hindi names
// is told what to do.
func TestCampaignCreateWithALanguageUnticked(t *testing.T) {
	c := newConsole(t)
	adm := c.adminBrowser(t)
	mustContain(t, adm.get(newCampaignPath).Body, ">code,parent,name_en,name_hi\n</textarea>")

	form := campaignValues(adm.csrf(newCampaignPath))
	form["lang"] = []string{"en"}
	form.Set("regions", "code,parent,name_en,name_hi\r\nRAI,,Raipur,रायपुर\r\nBIL,,Bilaspur,\r\n")
	r := adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="regions">line 2: column name_hi holds a name (&#34;रायपुर&#34;), but the campaign is not in hi: `+
		`delete the column, or add hi to the campaign&#39;s languages</p>`)

	form.Set("regions", "code,parent,name_en,name_hi\r\nRAI,,Raipur,\r\nBIL,,Bilaspur,\r\n")
	wantRedirect(t, adm.post(newCampaignPath, form), "/admin/c/plant-trees")
	want := []pledge.Region{
		{Code: "RAI", Name: pledge.Text{"en": "Raipur"}},
		{Code: "BIL", Name: pledge.Text{"en": "Bilaspur"}},
	}
	got := c.campaign(t, "plant-trees")
	if diff := cmp.Diff(want, got.Regions); diff != "" || !slices.Equal(got.Languages, []string{"en"}) {
		t.Errorf("campaign in %v, regions (-want +got):\n%s", got.Languages, diff)
	}
}

// TestRegionsImportRefusesCodesDifferingInCase: codes are matched exactly
// as written, so a and A would be two regions that read as one; the file
// is refused, naming both lines, in the preview and the import.
func TestRegionsImportRefusesCodesDifferingInCase(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	file := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nn1,NORTH,North Two,उत्तर दो\n"
	for _, action := range []string{"preview", "apply"} {
		r := adm.upload(path, tok, action, file)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		mustContain(t, r.Body, "nothing was changed", "<li>line 4: code n1 differs only in case from code N1 on line 3: "+
			"codes are matched exactly as written, so these would be two regions easily taken for one</li>")
	}
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("the file changed the campaign:\n%s", diff)
	}
}

// TestRegionsImportRefusesTwinNames: two regions under one parent named
// alike in a language would be the same choice twice on the citizen's
// form; the file is refused, naming both lines, and the same name under
// another parent is fine.
func TestRegionsImportRefusesTwinNames(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	file := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\nN2,NORTH,North Two,उत्तर दो\n" +
		"S1,,South One,दक्षिण एक\nKOTA1,,Kota,कोटा\nKOTA2,,Kota,कोटा शहर\n"
	r := adm.upload(path, tok, "preview", file)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, "nothing was changed", "<li>line 7: region KOTA2 is called &#34;Kota&#34; in en, as is region KOTA1 on line 6, "+
		"both at the top level: citizens could not tell them apart</li>")
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("the file changed the campaign:\n%s", diff)
	}
	file = strings.Replace(file, "KOTA2,,", "KOTA2,NORTH,", 1)
	wantRedirect(t, adm.upload(path, tok, "apply", file), "/admin/c/vote")
	if got := c.campaign(t, "vote"); len(got.Regions) != 6 {
		t.Errorf("regions after the import: %+v", got.Regions)
	}
}

// TestRegionsPreviewWarnsOfRegionsWithPledges: the preview of a file that
// leaves out a region with pledges, or gives one sub-regions, says up front
// that the import would be refused, in the words the import then refuses
// with, each said once.
func TestRegionsPreviewWarnsOfRegionsWithPledges(t *testing.T) {
	c := newConsole(t)
	camp := c.mustCreate(t, "vote")
	h := pledge.NewHasher([]byte("admin test secret"))
	if _, err := c.Store.CommitBatch(context.Background(), []pledge.Submission{
		storetest.Submission(h, camp.ID, 1, "N2"), storetest.Submission(h, camp.ID, 2, "S1"),
	}); err != nil {
		t.Fatal(err)
	}
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	file := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North One,उत्तर एक\n" + // N2 left out
		"S1,,South One,दक्षिण एक\nS1A,S1,South One A,दक्षिण एक ए\n" // S1 made a parent
	const says = "region N2 has pledges and cannot be removed; region S1 has pledges and cannot get sub-regions"

	r := adm.upload(path, tok, "preview", file)
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, `<h2>Preview: 4 regions (not applied yet)</h2>`+"\n"+
		`<p class="alert" role="alert" id="blocked">This file cannot be imported as it stands: `+says+`.</p>`,
		"Added: S1A", "Removed: N2")

	r = adm.upload(path, tok, "apply", file)
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.Body, `<p class="alert" role="alert" id="refused">Nothing was changed: `+says+`.</p>`)
	if strings.Contains(r.Body, "region has pledges") {
		t.Errorf("the refusal says twice that the regions have pledges: %s", clip(r.Body))
	}
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a refused import changed the campaign:\n%s", diff)
	}

	// A file that keeps them previews without a warning.
	r = adm.upload(path, tok, "preview", "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN2,NORTH,North Two,उत्तर दो\nS1,,South One,दक्षिण एक\n")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.Body, "Removed: N1")
	if strings.Contains(r.Body, `id="blocked"`) {
		t.Errorf("the preview of a file that can be imported warns: %s", clip(r.Body))
	}
}

// TestRegionsImportRefusesFilesSavedWithoutUTF8: Excel's plain "CSV (Comma
// delimited)" turns Hindi into question marks, and some locales save with
// semicolons or tabs; each file is refused, saying how to save it, and
// nothing is changed. The new-campaign form's regions box is read the same
// way.
func TestRegionsImportRefusesFilesSavedWithoutUTF8(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	before := c.campaign(t, "vote")
	const howTo = "save it as &#34;CSV UTF-8 (Comma delimited)&#34;"
	for _, tc := range []struct{ file, want string }{
		{"code,parent,name_en,name_hi\r\nNORTH,,North,?????\r\nN1,NORTH,North One,????? ??\r\nS1,,??,South\r\n",
			"<li>line 2: the name in hi is only question marks (&#34;?????&#34;): the file lost its letters when it was saved; " + howTo + " and upload it again</li>"},
		{"code,parent,name_en,name_hi\r\nNORTH,,North,?????\r\nN1,NORTH,North One,????? ??\r\nS1,,??,South\r\n",
			"<li>line 3: the name in hi is only question marks (&#34;????? ??&#34;)"},
		{"code,parent,name_en,name_hi\r\nNORTH,,North,?????\r\nN1,NORTH,North One,????? ??\r\nS1,,??,South\r\n",
			"<li>line 4: the name in en is only question marks (&#34;??&#34;)"},
		{"code;parent;name_en;name_hi\r\nNORTH;;North;उत्तर\r\n",
			"<li>line 1: the header must start with code,parent, but the file uses semicolons between columns; " + howTo + "</li>"},
		{"\ufeffcode\tparent\tname_en\tname_hi\r\nNORTH\t\tNorth\tउत्तर\r\n",
			"<li>line 1: the header must start with code,parent, but the file uses tabs between columns; " + howTo + "</li>"},
		{utf16LE("\ufeffcode\tparent\tname_en\tname_hi\r\nNORTH\t\tNorth\tउत्तर\r\n"),
			"<li>line 1: the file is saved as Unicode Text (UTF-16), which this import does not read; " + howTo + " and upload it again</li>"},
		{utf16LE("code,parent,name_en,name_hi\r\nNORTH,,North,उत्तर\r\n"), "saved as Unicode Text (UTF-16)"},
		{"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "the file is a spreadsheet workbook (.xlsx, .xls or .ods), not CSV"},
		{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00", "the file is a spreadsheet workbook"},
	} {
		for _, action := range []string{"preview", "apply"} {
			r := adm.upload(path, tok, action, tc.file)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			mustContain(t, r.Body, "nothing was changed", tc.want)
		}
	}
	if diff := cmp.Diff(before, c.campaign(t, "vote")); diff != "" {
		t.Errorf("a refused file changed the campaign:\n%s", diff)
	}
	// A name with a question mark and letters is a name.
	wantRedirect(t, adm.upload(path, tok, "apply", "code,parent,name_en,name_hi\r\nQ,,Who? North,उत्तर?\r\n"), "/admin/c/vote")

	form := campaignValues(adm.csrf(newCampaignPath))
	form.Set("regions", "code,parent,name_en,name_hi\r\nRAI,,Raipur,??????\r\n")
	r := adm.post(newCampaignPath, form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	mustContain(t, r.Body, `data-field="regions">line 2: the name in hi is only question marks`)
}

// TestRegionsImportEntryNamesChanges: the regions-import entry names the
// codes added and removed, and each changed region's parent and names,
// old → new; a long list stops at 50 with how many more.
func TestRegionsImportEntryNamesChanges(t *testing.T) {
	c := newConsole(t)
	c.mustCreate(t, "vote")
	adm := c.adminBrowser(t)
	path := "/admin/c/vote/regions"
	tok := adm.csrf(path)
	// The test campaign has NORTH, N1 and N2 under it, and S1.
	file := "code,parent,name_en,name_hi\nNORTH,,North,उत्तर\nN1,NORTH,North First,उत्तर एक\nS1,,South One,दक्षिण एक\n" +
		"N2,,North Two,उत्तर दो\nS2,,South Two,दक्षिण दो\n"
	wantRedirect(t, adm.upload(path, tok, "apply", file), "/admin/c/vote")
	want := `vote: 5 regions from "regions.csv" (1 added, 0 removed, 2 changed); added S2; ` +
		`changed N1 en "North One" → "North First", N2 parent NORTH → (top level)`
	if a := c.lastAction(t, "regions-import"); a.Detail != want {
		t.Errorf("regions-import entry = %q\nwant %q", a.Detail, want)
	}

	var b strings.Builder
	b.WriteString("code,parent,name_en,name_hi\nNORTH,,North,उत्तर\n")
	for i := range 60 {
		fmt.Fprintf(&b, "X%02d,,Extra %d,अतिरिक्त %d\n", i, i, i)
	}
	wantRedirect(t, adm.upload(path, adm.csrf(path), "apply", b.String()), "/admin/c/vote")
	a := c.lastAction(t, "regions-import")
	if !strings.Contains(a.Detail, "; added X00, X01, ") || !strings.Contains(a.Detail, ", X49 and 10 more; removed N1, S1, N2, S2") ||
		strings.Contains(a.Detail, "X50") {
		t.Errorf("regions-import entry = %q, want the first 50 added and how many more", a.Detail)
	}
}

// utf16LE is s as Excel's "Unicode Text" saves it: UTF-16, little-endian.
func utf16LE(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}
