package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAPINotFoundIsJSON: unknown API paths answer in the API's own shape.
func TestAPINotFoundIsJSON(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, path := range []string{"/api/v1/nothing", "/api/v2/campaigns", "/api/v1/campaigns/vote/unknown"} {
		r := p.get(t, path)
		wantStatus(t, r, http.StatusNotFound)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON", path, ct)
		}
		if e := decode[map[string]any](t, r); e["error"] != "not_found" {
			t.Errorf("%s: body %v", path, e)
		}
	}
	// Pages keep their HTML 404.
	r := p.get(t, "/no/such/page")
	wantStatus(t, r, http.StatusNotFound)
	mustContain(t, r.text(), "<html")
}

// TestDuplicateFormForgetsTheRegion: the kind refusal shows a clean form,
// not even the region the earlier pledge was made in. (The very same name,
// number and region within minutes is a second tap, and leads back to the
// certificate: TestFormSecondTapWithoutCookie.)
func TestDuplicateFormForgetsTheRegion(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.mustPledge(t, "vote", "Asha", "9876543210", "N2", "en")
	r := p.do(t, http.MethodPost, "/c/vote", strings.NewReader(pledgeForm("Asha Devi", "9876543210", "N2", "en").Encode()),
		"Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.text(), msg(t, "en", "duplicate"))
	mustNotContain(t, r.text(), `value="N2" selected`, `value="Asha`)
	// The title, the first thing a screen reader says, and the notice
	// before the pledge text say that it was not taken.
	mustContain(t, r.text(), "<title>"+msg(t, "en", "duplicate_title")+": ")
	if notice, text := strings.Index(r.text(), msg(t, "en", "duplicate")), strings.Index(r.text(), `class="pledge"`); notice > text {
		t.Error("the refusal comes after the pledge text")
	}
}

// TestCampaignLinkTypedLoosely: a campaign link in capitals or with a
// trailing slash, as people type and pass them on, leads to the campaign's
// page, query and all; such a link to no campaign is still a 404.
func TestCampaignLinkTypedLoosely(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for path, want := range map[string]string{
		"/c/VOTE":          "/c/vote",
		"/c/Vote?lang=hi":  "/c/vote?lang=hi",
		"/c/vote/":         "/c/vote",
		"/c/Vote/?lang=hi": "/c/vote?lang=hi",
	} {
		r := p.get(t, path)
		if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 301 to %q", path, r.Status, r.Header.Get("Location"), want)
		}
	}
	for _, path := range []string{"/c/NOPE", "/c/nope/", "/c/Nope/"} {
		wantStatus(t, p.get(t, path), http.StatusNotFound)
	}
}

// TestNotFoundLanguageLinksStayOnSite: the 404 page's language switch
// leads to the path asked for, escaped, never to another site, as
// "//evil.example?lang=en" would (a browser reads it as that host).
func TestNotFoundLanguageLinksStayOnSite(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for path, want := range map[string]string{
		"/%2F%2Fevil.example":  `href="/%2F%2Fevil.example?lang=hi"`,
		"/%5C%5Cevil.example":  `href="/%5C%5Cevil.example?lang=hi"`,
		"/no/such%20page":      `href="/no/such%20page?lang=hi"`,
		"/%2Fevil.example/x/y": `href="/%2Fevil.example/x/y?lang=hi"`,
	} {
		r := p.get(t, path)
		wantStatus(t, r, http.StatusNotFound)
		mustContain(t, r.text(), want)
		for _, bad := range []string{`href="//`, `href="/\`, `href="/%2F%2F?`} {
			mustNotContain(t, r.text(), bad)
		}
	}
	// "//evil.example" sent as it is: whatever answers, no link off the site.
	req, err := http.NewRequest(http.MethodGet, p.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = "//evil.example"
	resp, err := p.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("GET //evil.example: %d", resp.StatusCode)
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "//") {
		t.Errorf("GET //evil.example redirects to %q", loc)
	}
	mustNotContain(t, string(body), `href="//`, `href="/\`)
}
