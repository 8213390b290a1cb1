package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// wardCampaign calls its regions wards, in both languages.
func wardCampaign(slug string) *pledge.Campaign {
	c := storetest.Campaign(slug)
	c.RegionLabel = pledge.Text{"en": "Ward", "hi": "वार्ड"}
	return c
}

// constituency is the portal's own word for a region, on any page in any
// language, as the pages write it.
func constituency(t *testing.T) []string {
	t.Helper()
	return []string{htmlText(msg(t, "en", "region")), msg(t, "hi", "region"),
		htmlText(msg(t, "en", "your_region")), msg(t, "hi", "your_region")}
}

// TestRegionLabelOnCitizenPages: a campaign's region label names the
// region on its form (the form with its errors too), its certificate and
// verification pages and in its API detail, in the page's language, and
// the portal's "Constituency" appears nowhere on them.
func TestRegionLabelOnCitizenPages(t *testing.T) {
	t.Parallel()
	ward := wardCampaign("ward")
	p := newPortal(t, withCampaign(ward))

	for lang, label := range map[string]string{"en": "Ward", "hi": "वार्ड"} {
		r := p.get(t, "/c/ward?lang="+lang)
		wantStatus(t, r, http.StatusOK)
		mustContain(t, r.text(), `<label for="region">`+label+`</label>`)
		mustNotContain(t, r.text(), constituency(t)...)

		// A form without a region comes back with the error by the
		// field, and the summary names the field in the campaign's word;
		// none names a constituency.
		r = p.postForm(t, "/c/ward", pledgeForm("Asha Verma", "9876543210", "", lang))
		wantStatus(t, r, http.StatusBadRequest)
		mustContain(t, r.text(), `<label for="region">`+label+`</label>`,
			`<p class="error" id="region-error">`+htmlText(msg(t, lang, pledge.MsgRegionUnknown))+`</p>`,
			`<li><a href="#region">`+label+`: `+htmlText(msg(t, lang, pledge.MsgRegionUnknown))+`</a></li>`)
		mustNotContain(t, r.text(), constituency(t)...)
	}
	// Without a word of the campaign's, the summary names the portal's.
	plain := p.postForm(t, "/c/vote", pledgeForm("Asha Verma", "9876543210", "", "en"))
	wantStatus(t, plain, http.StatusBadRequest)
	mustContain(t, plain.text(), `<li><a href="#region">`+htmlText(msg(t, "en", "your_region"))+`: `+htmlText(msg(t, "en", pledge.MsgRegionUnknown))+`</a></li>`)

	rec := p.mustPledge(t, "ward", "Asha Verma", "9876543211", "N1", "hi")
	verify := p.Links.VerifyPath(ward.ID, rec.Number)
	for _, tc := range []struct{ path, want string }{
		{rec.CertificateURL + "?lang=hi", "<dt>वार्ड</dt><dd>उत्तर एक</dd>"},
		{rec.CertificateURL + "?lang=en", "<dt>Ward</dt><dd>North One</dd>"},
		{verify + "?lang=hi", "<dt>वार्ड</dt><dd>उत्तर एक</dd>"},
		{verify + "?lang=en", "<dt>Ward</dt><dd>North One</dd>"},
	} {
		r := p.get(t, tc.path)
		wantStatus(t, r, http.StatusOK)
		mustContain(t, r.text(), tc.want)
		mustNotContain(t, r.text(), constituency(t)...)
	}

	r := p.get(t, "/api/v1/campaigns/ward")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.text(), `"region_label":{"en":"Ward","hi":"वार्ड"}`)
}

// TestRegionLabelInOneLanguageOnly: a label set for Hindi alone stays off
// the English pages, which keep the portal's wording, on the form, the
// confirmation page of a pledge waiting for its address, and in the API.
func TestRegionLabelInOneLanguageOnly(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	must.RegionLabel = pledge.Text{"hi": "ज़िला"}
	p := newPortal(t, withCampaign(must))

	mustContain(t, p.get(t, "/c/must?lang=hi").text(), `<label for="region">ज़िला</label>`)
	en := p.get(t, "/c/must?lang=en").text()
	mustContain(t, en, `<label for="region">`+htmlText(msg(t, "en", "your_region"))+`</label>`)
	mustNotContain(t, en, "ज़िला")

	_, id := p.pendingPledge(t, must, "9876543210", "hi")
	confirm := p.confirmPath(must, id)
	hi := p.get(t, confirm+"?lang=hi").text()
	mustContain(t, hi, "<dt>ज़िला</dt><dd>उत्तर एक</dd>")
	mustNotContain(t, hi, constituency(t)...)
	en = p.get(t, confirm+"?lang=en").text()
	mustContain(t, en, "<dt>"+htmlText(msg(t, "en", "region"))+"</dt><dd>North One</dd>")
	mustNotContain(t, en, "ज़िला")

	r := p.get(t, "/api/v1/campaigns/must")
	mustContain(t, r.text(), `"region_label":{"en":"`+msg(t, "en", "region")+`","hi":"ज़िला"}`)
}

// TestCampaignPageFollowsRegionLabelEdit: the campaign page, rendered once
// and served from memory, shows a region label given or taken away by an
// edit once the campaigns are read again, with a new ETag.
func TestCampaignPageFollowsRegionLabelEdit(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.get(t, "/c/vote?lang=en")
	wantStatus(t, before, http.StatusOK)
	mustContain(t, before.text(), `<label for="region">`+htmlText(msg(t, "en", "your_region"))+`</label>`)

	edit := func(label pledge.Text, want string) response {
		t.Helper()
		c, err := p.Store.Campaign(context.Background(), "vote")
		if err != nil {
			t.Fatal(err)
		}
		c.RegionLabel = label
		if err := p.Store.UpdateCampaign(context.Background(), &c, nil); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := p.get(t, "/c/vote?lang=en")
			if strings.Contains(r.text(), `<label for="region">`+want+`</label>`) {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("the campaign page does not show the region label %q after the edit:\n%s", want, clip(r.text()))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	after := edit(pledge.Text{"en": "District"}, "District")
	if after.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Errorf("the page changed but kept its ETag %s", after.Header.Get("ETag"))
	}
	edit(nil, htmlText(msg(t, "en", "your_region")))
}
