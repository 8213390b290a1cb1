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

// A certificate or verification link copied with the punctuation after it
// (a full stop, a comma, a closing bracket or quote) or with a slash added
// leads to its page with a permanent redirect, ?lang= kept; what is still
// not a link of the kind after trimming is refused as before.
func TestCopiedLinkWithTrailingPunctuation(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rc := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	cert := "/certificate/" + rc.Token
	verify := p.Links.VerifyPath(p.Campaign.ID, rc.Number)
	for _, c := range []struct{ path, want string }{
		{cert + ".", cert},
		{cert + ",", cert},
		{cert + ")", cert},
		{cert + ").", cert},
		{cert + "]", cert},
		{cert + "/", cert},
		{cert + "'", cert},
		{cert + "%22", cert},
		{cert + ".?lang=hi", cert + "?lang=hi"},
		{cert + "/?lang=hi", cert + "?lang=hi"},
		{cert + ").?lang=hi&utm_source=x", cert + "?lang=hi"},
		{verify + ".", verify},
		{verify + "/", verify},
		{verify + ")", verify},
		{verify + "./?lang=en", verify + "?lang=en"},
	} {
		r := p.get(t, c.path)
		if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != c.want {
			t.Errorf("GET %s: %d, Location %q; want 301 to %s", c.path, r.Status, r.Header.Get("Location"), c.want)
			continue
		}
		wantStatus(t, p.get(t, c.want), http.StatusOK)
	}
	for _, path := range []string{
		cert + "x.",                        // not a token once trimmed
		cert[:len(cert)-1] + ".",           // a character short
		"/certificate/),",                  // nothing left
		"/certificate/" + verify[8:] + ".", // a verification token under /certificate/
		"/verify/" + rc.Token + "/",        // and the other way round
		cert + "-",                         // not punctuation a sentence adds
	} {
		r := p.get(t, path)
		if r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %v, want 404", path, r)
		}
	}
}
