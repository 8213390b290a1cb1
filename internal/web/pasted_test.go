package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A name pasted with invisible characters inside it (a zero width space,
// a soft hyphen) is taken as it reads, over the API and through the form,
// and its certificate shows it without them.
func TestPastedNameWithInvisibleCharacters(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	rc := p.mustPledge(t, "vote", "रवि\u200bकुमार", "9876543210", "N1", "hi")
	cert := p.get(t, rc.CertificateURL)
	wantStatus(t, cert, http.StatusOK)
	mustContain(t, cert.text(), ">रविकुमार</p>")

	r := p.postForm(t, "/c/vote", pledgeForm("Ravi\u00adKumar", "9876543211", "N1", "en"), p.sameOrigin()...)
	wantStatus(t, r, http.StatusSeeOther)
	thanks := p.get(t, r.Header.Get("Location"))
	wantStatus(t, thanks, http.StatusOK)
	href := regexp.MustCompile(`href="(/certificate/[^"]+)"`).FindStringSubmatch(thanks.text())
	if href == nil {
		t.Fatalf("no certificate link on the thanks page: %v", thanks)
	}
	cert = p.get(t, strings.ReplaceAll(href[1], "&amp;", "&"))
	wantStatus(t, cert, http.StatusOK)
	mustContain(t, cert.text(), ">RaviKumar</p>")
	mustNotContain(t, cert.text(), "\u00ad", "\u200b")
}

// A number written with the trunk 0 after +91, or with a fullwidth plus,
// is taken, through the API and the form, and is the same number written
// plainly: it pledges once.
func TestPastedPhoneForms(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, c := range []struct{ written, plain string }{
		{"+91 098765 43214", "9876543214"},
		{"+91 (0) 98765 43224", "09876543224"},
		{"\uff0b91 9876543231", "+919876543231"},
	} {
		p.mustPledge(t, "vote", "Asha Verma", c.written, "N1", "en")
		again := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha Verma", c.plain, "N1", "en"))
		wantStatus(t, again, http.StatusConflict)
	}
	r := p.postForm(t, "/c/vote", pledgeForm("Ravi Kumar", "+91 (0) 91234 56780", "N1", "hi"), p.sameOrigin()...)
	wantStatus(t, r, http.StatusSeeOther)
	again := p.postJSON(t, pledgesPath("vote"), pledgeReq("Ravi Kumar", "9123456780", "N1", "en"))
	wantStatus(t, again, http.StatusConflict)
}
