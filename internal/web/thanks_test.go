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

// TestWithdrawnPledgeNameMasked: once its pledger withdraws it, a
// pledge's certificate and thank-you pages (and their previews) show the
// name only masked, as the verification page does; an invalidated one's
// certificate still names its pledger, who asked for nothing.
func TestWithdrawnPledgeNameMasked(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	ctx := context.Background()
	withdrawn := map[string]receipt{
		"en": p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en"),
		"hi": p.mustPledge(t, "vote", "आशा वर्मा", "9876543211", "N1", "hi"),
	}
	invalid := p.mustPledge(t, "vote", "Ravi Kumar", "9876543212", "S1", "en")
	for _, rec := range withdrawn {
		if err := p.Store.Withdraw(ctx, p.Campaign.ID, rec.Number, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Store.Invalidate(ctx, p.Campaign.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "tester", nil); err != nil {
		t.Fatal(err)
	}
	for lang, rec := range withdrawn {
		names := map[string][2]string{"en": {"Asha Verma", "A*** V***"}, "hi": {"आशा वर्मा", "आ*** व***"}}[lang]
		full, masked := names[0], names[1]
		if got := pledge.MaskName(full); got != masked {
			t.Fatalf("MaskName(%q) = %q, want %q", full, got, masked)
		}
		cert := p.get(t, "/certificate/"+rec.Token)
		wantStatus(t, cert, http.StatusOK)
		mustContain(t, cert.text(), `<p class="name" dir="auto"`, htmlText(masked)+`</p>`, htmlText(msg(t, lang, "certificate_withdrawn")))
		thanks := p.get(t, "/c/vote/thanks/"+rec.Token)
		wantStatus(t, thanks, http.StatusOK)
		for _, r := range []response{cert, thanks} {
			mustNotContain(t, r.text(), htmlText(full), strings.Fields(full)[1])
		}
	}
	cert := p.get(t, "/certificate/"+invalid.Token)
	wantStatus(t, cert, http.StatusOK)
	mustContain(t, cert.text(), ">Ravi Kumar</p>", htmlText(msg(t, "en", "certificate_invalidated")))
}
