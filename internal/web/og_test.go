package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/web"
)

// ogContent is the content of the <meta property|name="prop"> of page, and
// whether it has one.
func ogContent(page, prop string) (string, bool) {
	m := regexp.MustCompile(`<meta (?:property|name)="` + regexp.QuoteMeta(prop) + `" content="([^"]*)">`).FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func wantOG(t *testing.T, page string, want map[string]string) {
	t.Helper()
	for prop, v := range want {
		got, ok := ogContent(page, prop)
		switch {
		case v == "" && ok:
			t.Errorf("%s = %q, want none", prop, got)
		case v != "" && got != htmlText(v):
			t.Errorf("%s = %q (found: %v), want %q", prop, got, ok, htmlText(v))
		}
	}
}

// A shared campaign link previews with its title and its pledge, in the
// page's language; its own URL only where the public URL is configured,
// as the page is cached whatever Host a request names.
func TestCampaignPagePreview(t *testing.T) {
	t.Parallel()
	long := storetest.Campaign("long")
	long.Pledge = pledge.Text{"en": strings.Repeat("I will vote and ask my neighbours to vote. ", 10), "hi": "मैं मतदान करूँगा।"}
	p := newPortal(t, withCampaign(long), withDeps(func(d *web.Deps) { d.BaseURL = "https://pledge.example.org" }))
	wantOG(t, p.get(t, "/c/vote?lang=en").text(), map[string]string{
		"og:type": "website", "og:title": "Test pledge", "og:description": "I will vote.",
		"og:url": "https://pledge.example.org/c/vote?lang=en", "twitter:card": "summary", "og:image": "",
	})
	wantOG(t, p.get(t, "/c/vote?lang=hi").text(), map[string]string{
		"og:title": "परीक्षण संकल्प", "og:description": "मैं मतदान करूँगा।", "og:url": "https://pledge.example.org/c/vote?lang=hi",
	})
	// A long pledge is cut at the end of a word, with an ellipsis.
	desc, _ := ogContent(p.get(t, "/c/long?lang=en").text(), "og:description")
	kept := strings.TrimSuffix(desc, "…")
	full := strings.TrimSpace(long.Pledge["en"])
	if n := len([]rune(desc)); n > 200 || n < 150 || kept == desc || !strings.HasPrefix(full, kept) ||
		full[len(kept)] != ' ' && full[len(kept)-1] != '.' || strings.HasSuffix(kept, " ") {
		t.Errorf("og:description of a long pledge = %q (%d characters)", desc, n)
	}

	// Without a configured public URL, no og:url from the request's Host.
	q := newPortal(t)
	page := q.get(t, "/c/vote", "Accept-Language", "en").text()
	wantOG(t, page, map[string]string{"og:title": "Test pledge", "og:url": ""})
}

// A shared certificate link previews as who took which pledge, with the
// share picture at its absolute URL; a void one says it is not valid and
// claims nothing.
func TestCertificatePagePreview(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	en := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	hi := p.mustPledge(t, "vote", "आशा वर्मा", "9876543211", "N1", "hi")

	page := p.get(t, en.CertificateURL).text()
	share := regexp.MustCompile(`<img src="([^"]+/share\.png[^"]*)"`).FindStringSubmatch(page)
	if share == nil {
		t.Fatalf("no share picture on the page:\n%s", clip(page))
	}
	wantOG(t, page, map[string]string{
		"og:type": "website", "og:title": "Certificate of pledge #1",
		"og:description": "Asha Verma took the pledge: Test pledge",
		"og:url":         p.URL + "/certificate/" + en.Token + "?lang=en",
		"og:image":       p.URL + strings.ReplaceAll(share[1], "&amp;", "&"),
		"og:image:alt":   msg(t, "en", "certificate_image_alt"),
		"twitter:card":   "summary_large_image",
	})
	img, _ := ogContent(page, "og:image")
	wantStatus(t, p.get(t, strings.ReplaceAll(img, "&amp;", "&")), http.StatusOK)

	wantOG(t, p.get(t, hi.CertificateURL).text(), map[string]string{
		"og:title":       "संकल्प प्रमाणपत्र #2",
		"og:description": "आशा वर्मा ने संकल्प लिया: परीक्षण संकल्प",
		"og:url":         p.URL + "/certificate/" + hi.Token + "?lang=hi",
	})

	// Set aside: no claim, no picture.
	void := p.mustPledge(t, "vote", "Ravi Kumar", "9876543212", "S1", "en")
	if _, err := p.Store.Invalidate(context.Background(), p.Campaign.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "tester", nil); err != nil {
		t.Fatal(err)
	}
	page = p.get(t, void.CertificateURL).text()
	wantOG(t, page, map[string]string{
		"og:title": "Certificate of pledge #3 (Not valid)", "og:description": "", "og:image": "", "twitter:card": "summary",
	})
	mustNotContain(t, page, "took the pledge: ")
}
