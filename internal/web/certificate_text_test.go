package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// TestCertificateShowsCampaignWording: a campaign's own heading and
// signatory appear on its certificates, in the page's language.
func TestCertificateShowsCampaignWording(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec, r := certificateWithWording(t, p,
		pledge.Text{"en": "Certificate of Electoral Participation", "hi": "मतदान सहभागिता प्रमाणपत्र"},
		pledge.Text{"en": "District Election Officer, Bilaspur", "hi": "ज़िला निर्वाचन अधिकारी, बिलासपुर"},
		"ज़िला निर्वाचन अधिकारी, बिलासपुर")
	mustContain(t, r.text(), "मतदान सहभागिता प्रमाणपत्र", "ज़िला निर्वाचन अधिकारी, बिलासपुर")
	r = p.get(t, rec.CertificateURL+"?lang=en")
	mustContain(t, r.text(), "Certificate of Electoral Participation", "District Election Officer, Bilaspur")
}

// TestCertificateHeadingInOneLanguageOnly: a heading set for Hindi alone
// stays off the English certificate, which has the catalogue's instead.
func TestCertificateHeadingInOneLanguageOnly(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec, r := certificateWithWording(t, p, pledge.Text{"hi": "मतदाता संकल्प प्रमाणपत्र"}, nil, "मतदाता संकल्प प्रमाणपत्र")
	mustContain(t, r.text(), "मतदाता संकल्प प्रमाणपत्र")
	r = p.get(t, rec.CertificateURL+"?lang=en")
	mustContain(t, r.text(), htmlText(msg(t, "en", "certificate_of")))
	mustNotContain(t, r.text(), "मतदाता संकल्प प्रमाणपत्र")
}

// certificateWithWording gives p's campaign heading and signatory, makes a
// pledge in Hindi and returns it with its Hindi certificate page once that
// shows seen. The public site reloads campaigns every few seconds and the
// certificate page reads the campaign through the same cache, so it polls
// briefly.
func certificateWithWording(t *testing.T, p *portal, heading, signatory pledge.Text, seen string) (receipt, response) {
	t.Helper()
	c := *p.Campaign
	c.CertificateTitle, c.Signatory = heading, signatory
	if err := p.Store.UpdateCampaign(context.Background(), &c, nil); err != nil {
		t.Fatal(err)
	}
	rec := p.mustPledge(t, "vote", "Asha", "9876543210", "N1", "hi")
	var r response
	for range 80 {
		r = p.get(t, rec.CertificateURL+"?lang=hi")
		if r.Status == http.StatusOK && strings.Contains(r.text(), seen) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return rec, r
}

// TestNameMarkedWithItsLanguage: a name written in another language's
// script carries that language on the certificate and verification pages,
// so that a screen reader reads it in the right voice; a name in the
// page's own script carries none.
func TestNameMarkedWithItsLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	hi := p.mustPledge(t, "vote", "आशा वर्मा", "9876543210", "N1", "hi")
	en := p.mustPledge(t, "vote", "Asha Verma", "9876543211", "N1", "en")
	bn := p.mustPledge(t, "vote", "রবীন্দ্রনাথ ঠাকুর", "9876543212", "N1", "hi")
	ta := p.mustPledge(t, "vote", "முருகன்", "9876543213", "N1", "en")
	for _, tc := range []struct {
		path, want, not string
	}{
		{hi.CertificateURL + "?lang=en", `<p class="name" dir="auto" lang="hi">आशा वर्मा</p>`, ""},
		{hi.CertificateURL + "?lang=hi", `<p class="name" dir="auto">आशा वर्मा</p>`, ""},
		{en.CertificateURL + "?lang=hi", `<p class="name" dir="auto" lang="en">Asha Verma</p>`, ""},
		{en.CertificateURL + "?lang=en", `<p class="name" dir="auto">Asha Verma</p>`, ""},
		{p.verifyPath(hi.Number) + "?lang=en", `<span class="masked" dir="auto" lang="hi">`, ""},
		{p.verifyPath(en.Number) + "?lang=en", `<span class="masked" dir="auto">`, `class="masked" dir="auto" lang=`},
		{bn.CertificateURL + "?lang=hi", `<p class="name" dir="auto" lang="bn">রবীন্দ্রনাথ ঠাকুর</p>`, ""},
		{bn.CertificateURL + "?lang=en", `<p class="name" dir="auto" lang="bn">`, ""},
		{ta.CertificateURL + "?lang=en", `<p class="name" dir="auto" lang="ta">முருகன்</p>`, ""},
		{p.verifyPath(ta.Number) + "?lang=hi", `<span class="masked" dir="auto" lang="ta">`, ""},
	} {
		r := p.get(t, tc.path)
		wantStatus(t, r, http.StatusOK)
		mustContain(t, r.text(), tc.want)
		if tc.not != "" {
			mustNotContain(t, r.text(), tc.not)
		}
	}
}
