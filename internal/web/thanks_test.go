package web_test

import (
	"net/http"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// The thank-you page tells the citizen to keep the certificate's link, as
// nobody can find it for them later; it says the mail has the link too
// only when the pledge gave an address, so a mail is on its way.
func TestThanksSaysToKeepTheLink(t *testing.T) {
	t.Parallel()
	opt := storetest.Campaign("opt")
	opt.Email = pledge.EmailOptional
	p := newPortal(t, withCampaign(opt))
	tests := []struct {
		desc, slug, email, lang string
		mailed                  bool
	}{
		{"no address asked", "vote", "", "en", false},
		{"no address asked, in Hindi", "vote", "", "hi", false},
		{"address left out", "opt", "", "en", false},
		{"address given", "opt", "asha@example.org", "en", true},
		{"address given, in Hindi", "opt", "ravi@example.org", "hi", true},
	}
	for i, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			phone := "98765432" + string(rune('0'+i/10)) + string(rune('0'+i%10))
			form := emailForm("Asha Verma", phone, tc.email, "N1", tc.lang)
			if tc.email == "" {
				form.Del("email")
			}
			r := p.postForm(t, "/c/"+tc.slug, form, p.sameOrigin()...)
			wantStatus(t, r, http.StatusSeeOther)
			thanks := p.get(t, r.Header.Get("Location"))
			wantStatus(t, thanks, http.StatusOK)
			mustContain(t, thanks.text(), htmlText(msg(t, tc.lang, "thanks_keep_link")))
			if tc.mailed {
				mustContain(t, thanks.text(), htmlText(msg(t, tc.lang, "thanks_mailed")))
			} else {
				mustNotContain(t, thanks.text(), htmlText(msg(t, tc.lang, "thanks_mailed")))
			}
		})
	}
}
