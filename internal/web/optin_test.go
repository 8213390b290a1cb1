package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/web"
)

// The double opt-in and withdrawal pages. No test here needs a mail to be
// sent: the store has no job client, and the tokens a mail would carry are
// made with the portal's own Links.

// sameOrigin are the headers of a browser posting from the portal's page.
func (p *portal) sameOrigin() []string {
	return []string{"Origin", p.URL, "Sec-Fetch-Site", "same-origin"}
}

// press posts an empty form to path as the page's button does.
func (p *portal) press(t *testing.T, path string, header ...string) response {
	t.Helper()
	return p.postForm(t, path, url.Values{}, append(p.sameOrigin(), header...)...)
}

// requiredCampaign asks for an address and counts a pledge only once it is
// confirmed.
func requiredCampaign(slug string) *pledge.Campaign {
	c := storetest.Campaign(slug)
	c.Email = pledge.EmailRequired
	return c
}

func emailForm(name, phone, email, region, lang string) url.Values {
	f := pledgeForm(name, phone, region, lang)
	f.Set("email", email)
	return f
}

var pendingRE = regexp.MustCompile(`^/c/must/pending/([A-Za-z0-9_-]{22})\?lang=(en|hi)$`)

// pendingPledge pledges to "must" through the form and returns the pending
// page's path and the pending pledge's ID.
func (p *portal) pendingPledge(t *testing.T, c *pledge.Campaign, phone, lang string) (string, int64) {
	t.Helper()
	r := p.postForm(t, "/c/must", emailForm("Asha Verma", phone, "asha"+phone+"@example.org", "N1", lang), p.sameOrigin()...)
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.Header.Get("Location")
	m := pendingRE.FindStringSubmatch(loc)
	if m == nil || m[2] != lang {
		t.Fatalf("Location = %q, want /c/must/pending/{token}?lang=%s", loc, lang)
	}
	campaignID, id, err := p.Links.Pending.Decode(m[1])
	if err != nil || campaignID != c.ID || id <= 0 {
		t.Fatalf("pending token decodes to (%d, %d, %v), want campaign %d", campaignID, id, err, c.ID)
	}
	return loc, id
}

// confirmPath is the link of the opt-in mail.
func (p *portal) confirmPath(c *pledge.Campaign, id int64) string {
	return p.Links.ConfirmPath(c.Slug, c.ID, id)
}

func (p *portal) pending(t *testing.T, c *pledge.Campaign, id int64) pledge.Pending {
	t.Helper()
	pp, err := p.Store.Pending(context.Background(), c.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return pp
}

// wantLinkHeaders checks what every page with a token in its URL sends.
func wantLinkHeaders(t *testing.T, r response) {
	t.Helper()
	// strict-origin: no token in a Referer, and the page's forms post a
	// real Origin (under no-referrer it is "null", refused where
	// Sec-Fetch-Site is not sent).
	if rp := r.Header.Get("Referrer-Policy"); rp != "strict-origin" {
		t.Errorf("Referrer-Policy = %q, want strict-origin", rp)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

// wantCounts checks the campaign's total and its rows stored.
func (p *portal) wantCounts(t *testing.T, c *pledge.Campaign, total, rows int64) {
	t.Helper()
	st := p.state(t, c)
	if st.Counts.Total != total || st.Audit.Rows != rows {
		t.Errorf("total %d with %d rows stored, want %d with %d rows", st.Counts.Total, st.Audit.Rows, total, rows)
	}
}

func TestRequiredFormGoesToPendingPage(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))

	campaign := p.get(t, "/c/must?lang=en")
	mustContain(t, campaign.text(), htmlText(msg(t, "en", "email_confirm_hint")), `aria-describedby="email-hint"`)

	for i, lang := range []string{"en", "hi"} {
		t.Run(lang, func(t *testing.T) {
			loc, _ := p.pendingPledge(t, must, fmt.Sprintf("987654321%d", i), lang)
			p.wantCounts(t, must, 0, 0)

			r := p.get(t, loc)
			wantStatus(t, r, http.StatusOK)
			wantLinkHeaders(t, r)
			mustContain(t, r.text(), `<html lang="`+lang+`">`)
			body := bodyOnly(r.text())
			mustContain(t, body,
				htmlText(msg(t, lang, "pending_title")), htmlText(msg(t, lang, "pending_body")),
				htmlText(fmt.Sprintf(msg(t, lang, "pending_expires"), "72")),
				`<form method="post" action="`+strings.TrimSuffix(loc, "?lang="+lang)+`/resend?lang=`+lang+`"`,
				htmlText(msg(t, lang, "resend_button")))
			// The page cannot confirm and shows nothing personal but the
			// address's domain, for a typo there to be seen.
			mustContain(t, body, htmlText(fmt.Sprintf(msg(t, lang, "pending_sent_to"), fmt.Sprintf("a•••%d@example.org", i))))
			mustNotContain(t, body, "/confirm/", "Asha", "asha", "98765")
			// The language switch stays on the page.
			other := map[string]string{"en": "hi", "hi": "en"}[lang]
			mustContain(t, body, `href="`+strings.TrimSuffix(loc, "?lang="+lang)+`?lang=`+other+`"`)
		})
	}
	p.wantCounts(t, must, 0, 0)
}

// TestMistypedAddressReplaced: a citizen who typed the address wrong takes
// the pledge again with the same number and the right address; that
// pledge waits for confirmation instead, the first one's links stop
// working, and the pledge counts once when confirmed.
func TestMistypedAddressReplaced(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	r := p.postForm(t, "/c/must", emailForm("Asha Verma", "9876543210", "asha@exmaple.org", "N1", "en"), p.sameOrigin()...)
	wantStatus(t, r, http.StatusSeeOther)
	wrong := r.Header.Get("Location")
	mustContain(t, p.get(t, wrong).text(), htmlText(msg(t, "en", "pending_wrong_address")))
	loc, id := p.pendingPledge(t, must, "9876543210", "en") // the same number, the right address
	if loc == wrong {
		t.Fatal("the new pledge went to the first one's page")
	}
	r = p.get(t, wrong)
	wantStatus(t, r, http.StatusNotFound)
	mustContain(t, r.text(), htmlText(msg(t, "en", "link_invalid")))
	// The mistyped address stays taken while the first pledge would have
	// waited: freeing it would let anyone mail one address again and again.
	other := pledgeReq("Someone Else", "9876500001", "N1", "en")
	other["email"] = "asha@exmaple.org"
	wantStatus(t, p.postJSON(t, pledgesPath("must"), other), http.StatusConflict)
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	p.wantCounts(t, must, 1, 1)
	// Confirmed, the number is taken for good.
	taken := pledgeReq("Asha Verma", "9876543210", "N1", "en")
	taken["email"] = "asha2@example.org"
	wantStatus(t, p.postJSON(t, pledgesPath("must"), taken), http.StatusConflict)
	p.wantCounts(t, must, 1, 1)
}

func TestRequiredAPIAnswers202(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	for i, lang := range []string{"en", "hi"} {
		req := pledgeReq("Asha Verma", fmt.Sprintf("987654321%d", i), "N1", lang)
		req["email"] = fmt.Sprintf("asha%d@example.org", i)
		r := p.postJSON(t, pledgesPath("must"), req)
		wantStatus(t, r, http.StatusAccepted)
		got := decode[map[string]string](t, r)
		if diff := cmp.Diff(map[string]string{"status": "pending", "message": msg(t, lang, "pending_api")}, got); diff != "" {
			t.Errorf("%s body (-want +got):\n%s", lang, diff)
		}
		if loc := r.Header.Get("Location"); loc != "" {
			t.Errorf("a pending pledge has Location %q", loc)
		}
	}
	p.wantCounts(t, must, 0, 0)

	// The same number and address again, or the address with another number,
	// is a duplicate while it waits, and the refusal names both, as either
	// may be the one.
	again := pledgeReq("Someone", "9876543210", "S1", "hi")
	again["email"] = "asha0@example.org"
	sameEmail := pledgeReq("Someone", "9876500000", "S1", "hi")
	sameEmail["email"] = "asha0@example.org"
	for _, req := range []map[string]string{again, sameEmail} {
		r := p.postJSON(t, pledgesPath("must"), req)
		wantStatus(t, r, http.StatusConflict)
		want := map[string]string{"error": "duplicate", "message": msg(t, "hi", "duplicate_contact")}
		if diff := cmp.Diff(want, decode[map[string]string](t, r)); diff != "" {
			t.Errorf("duplicate body (-want +got):\n%s", diff)
		}
	}
	// A campaign without the opt-in still counts at once.
	wantStatus(t, p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9876543210", "N1", "en")), http.StatusCreated)
	p.wantCounts(t, must, 0, 0)
}

var mustThanksRE = regexp.MustCompile(`^/c/must/thanks/([A-Za-z0-9_-]{22})\?lang=(en|hi)$`)

func TestConfirm(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	pendingLoc, id := p.pendingPledge(t, must, "9876543210", "hi")
	confirm := p.confirmPath(must, id)

	// Following the mail's link (as a scanner would, twice) confirms nothing.
	for range 2 {
		r := p.get(t, confirm)
		wantStatus(t, r, http.StatusOK)
		wantLinkHeaders(t, r)
		// No ?lang=: the page speaks the language the citizen pledged in.
		// The name typed is shown masked: whoever typed the address need
		// not own it, and the page is the office's.
		mustContain(t, r.text(), `<html lang="hi">`, "परीक्षण संकल्प", "मैं मतदान करूँगा।", `<dd dir="auto" lang="en">`+maskedHTML("A*** V***")+`</dd>`, "उत्तर एक",
			`<form method="post" action="`+confirm+`?lang=hi"`, msg(t, "hi", "confirm_button"))
		mustNotContain(t, r.text(), "Asha", "Verma")
	}
	en := p.get(t, confirm+"?lang=en")
	mustContain(t, en.text(), `<html lang="en">`, "I will vote.", msg(t, "en", "confirm_button"), `action="`+confirm+`?lang=en"`)
	p.wantCounts(t, must, 0, 0)

	// The button counts the pledge once.
	r := p.press(t, confirm+"?lang=hi")
	wantStatus(t, r, http.StatusSeeOther)
	wantLinkHeaders(t, r)
	loc := r.Header.Get("Location")
	m := mustThanksRE.FindStringSubmatch(loc)
	if m == nil || m[2] != "hi" {
		t.Fatalf("Location = %q, want the thanks page in Hindi", loc)
	}
	if cid, n, err := p.Tokens.Decode(m[1]); err != nil || cid != must.ID || n != 1 {
		t.Fatalf("thanks token decodes to (%d, %d, %v), want (%d, 1)", cid, n, err, must.ID)
	}
	p.wantCounts(t, must, 1, 1)
	thanks := p.get(t, loc)
	wantStatus(t, thanks, http.StatusOK)
	mustContain(t, thanks.text(), htmlText(fmt.Sprintf(msg(t, "hi", "you_are_pledge"), "1")), `href="/certificate/`+m[1]+`?lang=hi"`,
		// the confirmation mail, on its way, has the link too
		htmlText(msg(t, "hi", "thanks_keep_link")), htmlText(msg(t, "hi", "thanks_mailed")))

	// Again: the same number, counted once.
	again := p.press(t, confirm)
	wantStatus(t, again, http.StatusSeeOther)
	if got := again.Header.Get("Location"); got != loc {
		t.Errorf("second confirmation went to %q, want %q", got, loc)
	}
	p.wantCounts(t, must, 1, 1)

	// The link now leads to the certificate instead of a button.
	after := p.get(t, confirm+"?lang=en")
	wantStatus(t, after, http.StatusOK)
	mustContain(t, after.text(), htmlText(fmt.Sprintf(msg(t, "en", "confirm_confirmed"), "1")), `href="/certificate/`+m[1]+`?lang=en"`)
	mustNotContain(t, bodyOnly(after.text()), "<form", msg(t, "en", "confirm_button"))

	// So does the pending page, and its resend button sends nothing more.
	pend := p.get(t, pendingLoc)
	wantStatus(t, pend, http.StatusOK)
	mustContain(t, pend.text(), msg(t, "hi", "already_confirmed"), `href="/certificate/`+m[1]+`?lang=hi"`)
	mustNotContain(t, bodyOnly(pend.text()), "<form")
	resend := p.press(t, strings.Replace(pendingLoc, "?", "/resend?", 1))
	wantStatus(t, resend, http.StatusOK)
	mustContain(t, resend.text(), msg(t, "hi", "already_confirmed"))
	if got := p.pending(t, must, id).Sends; got != 1 {
		t.Errorf("sends = %d after confirming, want 1", got)
	}
	p.wantCounts(t, must, 1, 1)
}

func TestResendUpToTheLimit(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	loc, id := p.pendingPledge(t, must, "9876543210", "en")
	resend := strings.Replace(loc, "?", "/resend?", 1)

	// The first mail counts: two more make the default limit of three.
	// Each press goes back to the page, which says so: reloading it sends
	// nothing more.
	for want := 2; want <= 3; want++ {
		sent := p.press(t, resend)
		wantStatus(t, sent, http.StatusSeeOther)
		if got := sent.Header.Get("Location"); got != loc {
			t.Fatalf("Location = %q, want %q", got, loc)
		}
		wantLinkHeaders(t, sent)
		r := p.get(t, sent.Header.Get("Location"), "Cookie", "resent=1")
		wantStatus(t, r, http.StatusOK)
		wantLinkHeaders(t, r)
		mustContain(t, r.text(), msg(t, "en", "resend_done"), msg(t, "en", "pending_title"))
		wantStatus(t, p.get(t, sent.Header.Get("Location")), http.StatusOK)
		// Its language switch leads to the page, not to the POST.
		mustContain(t, r.text(), `href="`+strings.TrimSuffix(loc, "?lang=en")+`?lang=hi"`)
		if got := p.pending(t, must, id).Sends; got != want {
			t.Fatalf("sends = %d, want %d", got, want)
		}
	}
	for _, lang := range []string{"en", "hi"} {
		r := p.press(t, strings.Replace(resend, "lang=en", "lang="+lang, 1))
		wantStatus(t, r, http.StatusTooManyRequests)
		mustContain(t, r.text(), htmlText(msg(t, lang, "resend_limit")))
		mustNotContain(t, r.text(), htmlText(msg(t, lang, "resend_done")), "<form")
	}
	if got := p.pending(t, must, id).Sends; got != 3 {
		t.Errorf("sends = %d past the limit, want 3", got)
	}
	page := p.get(t, loc)
	wantStatus(t, page, http.StatusOK)
	mustContain(t, page.text(), msg(t, "en", "resend_limit"))
	mustNotContain(t, bodyOnly(page.text()), "<form")
	p.wantCounts(t, must, 0, 0)

	// The limit is the server's to set.
	other := requiredCampaign("must")
	q := newPortal(t, withCampaign(other), withDeps(func(d *web.Deps) { d.ResendLimit = 1 }))
	loc, _ = q.pendingPledge(t, other, "9876543210", "en")
	wantStatus(t, q.press(t, strings.Replace(loc, "?", "/resend?", 1)), http.StatusTooManyRequests)
}

func TestWithdraw(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	p.mustPledge(t, "vote", "Ravi", "9876543211", "N1", "en")
	withdraw := p.Links.WithdrawPath("vote", p.Campaign.ID, rec.Number)

	for range 2 {
		r := p.get(t, withdraw)
		wantStatus(t, r, http.StatusOK)
		wantLinkHeaders(t, r)
		mustContain(t, r.text(), msg(t, "en", "withdraw_title"), htmlText(fmt.Sprintf(msg(t, "en", "withdraw_explain"), "1")),
			`<form method="post" action="`+withdraw+`?lang=en"`, msg(t, "en", "withdraw_button"))
	}
	p.wantCounts(t, p.Campaign, 2, 2)

	for range 2 { // withdrawing again says the same and changes nothing
		r := p.press(t, withdraw+"?lang=hi")
		wantStatus(t, r, http.StatusSeeOther)
		if got := r.Header.Get("Location"); got != withdraw+"?lang=hi" {
			t.Errorf("withdrawing went to %q, want back to %q", got, withdraw+"?lang=hi")
		}
		r = p.get(t, r.Header.Get("Location"))
		wantStatus(t, r, http.StatusOK)
		wantLinkHeaders(t, r)
		mustContain(t, r.text(), `<html lang="hi">`, fmt.Sprintf(msg(t, "hi", "withdrawn_done"), "1"), msg(t, "hi", "withdrawn_after"))
		mustNotContain(t, bodyOnly(r.text()), "<form")
		p.wantCounts(t, p.Campaign, 1, 2)
	}
	st := p.state(t, p.Campaign)
	if diff := cmp.Diff(map[string]int64{"N1": 1}, st.Counts.Regions); diff != "" {
		t.Errorf("region counts (-want +got):\n%s", diff)
	}

	cert := p.get(t, rec.CertificateURL)
	wantStatus(t, cert, http.StatusOK)
	wantLinkHeaders(t, cert)
	mustContain(t, cert.text(), `id="withdrawn"`, msg(t, "en", "certificate_withdrawn"), msg(t, "en", "certificate_void"),
		`class="cert void"`, "<title>Certificate #1 (Not valid)</title>")
	mustNotContain(t, cert.text(), `id="invalidated"`)

	thanks := p.get(t, "/c/vote/thanks/"+rec.Token+"?lang=en")
	wantStatus(t, thanks, http.StatusOK)
	mustContain(t, thanks.text(), msg(t, "en", "withdrawn_title"), fmt.Sprintf(msg(t, "en", "withdrawn_done"), "1"))
	mustNotContain(t, thanks.text(), msg(t, "en", "thanks_title"), "You are pledge", msg(t, "en", "view_certificate"),
		htmlText(msg(t, "en", "thanks_keep_link")), htmlText(msg(t, "en", "thanks_mailed")))

	// The other pledge is untouched.
	ravi := p.get(t, "/certificate/"+p.Tokens.Encode(p.Campaign.ID, 2))
	mustNotContain(t, bodyOnly(ravi.text()), `id="withdrawn"`, "void")
	after := p.get(t, withdraw+"?lang=en")
	mustContain(t, after.text(), fmt.Sprintf(msg(t, "en", "withdrawn_done"), "1"))
	mustNotContain(t, bodyOnly(after.text()), "<form")

	// The withdrawn number cannot pledge again, and whoever types it is
	// told no more than of any number that pledged.
	form := p.postForm(t, "/c/vote", pledgeForm("Someone Else", "9876543210", "N1", "en"))
	wantStatus(t, form, http.StatusOK)
	mustContain(t, form.text(), htmlText(msg(t, "en", "duplicate")))
	mustNotContain(t, bodyOnly(form.text()), "withdrawn", "Withdrawn")
	api := p.postJSON(t, pledgesPath("vote"), pledgeReq("Someone Else", "9876543210", "N1", "hi"))
	wantStatus(t, api, http.StatusConflict)
	if got := decode[apiError](t, api); got.Message != msg(t, "hi", "duplicate") {
		t.Errorf("API refusal of a withdrawn number = %+v, want the usual duplicate", got)
	}
	p.wantCounts(t, p.Campaign, 1, 2)
}

func TestConfirmedThenWithdrawn(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	pending, id := p.pendingPledge(t, must, "9876543210", "en")
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	p.wantCounts(t, must, 1, 1)
	mustContain(t, p.get(t, p.confirmPath(must, id)).text(), htmlText(fmt.Sprintf(msg(t, "en", "confirm_confirmed"), "1")))
	wantStatus(t, p.press(t, p.Links.WithdrawPath("must", must.ID, 1)), http.StatusSeeOther)
	p.wantCounts(t, must, 0, 1)
	// The mail's links say it was withdrawn, not that it is confirmed.
	for _, path := range []string{p.confirmPath(must, id), pending} {
		r := p.get(t, path)
		wantStatus(t, r, http.StatusOK)
		mustContain(t, r.text(), htmlText(fmt.Sprintf(msg(t, "en", "confirm_withdrawn"), "1")))
		mustNotContain(t, r.text(), htmlText(fmt.Sprintf(msg(t, "en", "confirm_confirmed"), "1")), msg(t, "en", "already_confirmed"))
	}
	// Pledging again with the number and the address is refused.
	again := p.postForm(t, "/c/must", emailForm("Asha Verma", "9876543210", "asha9876543210@example.org", "N1", "en"), p.sameOrigin()...)
	mustContain(t, again.text(), htmlText(msg(t, "en", "duplicate_contact")))
	// Confirming the withdrawn pledge again does not count it again.
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	p.wantCounts(t, must, 0, 1)
	cert := p.get(t, p.Links.CertificatePath(must.ID, 1))
	mustContain(t, cert.text(), msg(t, "en", "certificate_withdrawn"))
}

func TestLinkTokensChecked(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	other := requiredCampaign("other")
	p := newPortal(t, withCampaign(must), withCampaign(other))
	_, id := p.pendingPledge(t, must, "9876543210", "en")
	rec := p.mustPledge(t, "vote", "Ravi", "9876543211", "N1", "en")
	before := p.state(t, must)
	l := p.Links

	tests := []struct{ desc, path, post string }{
		{"certificate token at confirm", "/c/must/confirm/" + l.Certificate.Encode(must.ID, id), ""},
		{"pending token at confirm", "/c/must/confirm/" + l.Pending.Encode(must.ID, id), ""},
		{"withdraw token at confirm", "/c/must/confirm/" + l.Withdraw.Encode(must.ID, id), ""},
		{"confirm token at pending", "/c/must/pending/" + l.Confirm.Encode(must.ID, id), "/resend"},
		{"certificate token at withdraw", "/c/vote/withdraw/" + rec.Token, ""},
		{"confirm token at withdraw", "/c/vote/withdraw/" + l.Confirm.Encode(p.Campaign.ID, rec.Number), ""},
		{"confirm token under another campaign", l.ConfirmPath("other", must.ID, id), ""},
		{"pending token under another campaign", l.PendingPath("other", must.ID, id), "/resend"},
		{"withdraw token under another campaign", l.WithdrawPath("must", p.Campaign.ID, rec.Number), ""},
		{"other campaign's ID under this slug", l.ConfirmPath("must", other.ID, id), ""},
		{"no such pending pledge", l.ConfirmPath("must", must.ID, id+100), ""},
		{"no such pledge to withdraw", l.WithdrawPath("vote", p.Campaign.ID, 99), ""},
		{"no such campaign", l.ConfirmPath("nope", must.ID, id), ""},
		{"garbage", "/c/must/confirm/not-a-token", ""},
		{"forged", "/c/must/pending/AAAAAAAAAAAAAAAAAAAAAA", "/resend"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			for _, lang := range []string{"en", "hi"} {
				r := p.get(t, tc.path+"?lang="+lang)
				wantStatus(t, r, http.StatusNotFound)
				wantLinkHeaders(t, r)
				mustContain(t, r.text(), `<html lang="`+lang+`">`, htmlText(msg(t, lang, "link_invalid")))
				r = p.press(t, tc.path+tc.post+"?lang="+lang)
				wantStatus(t, r, http.StatusNotFound)
				mustContain(t, r.text(), htmlText(msg(t, lang, "link_invalid")))
			}
		})
	}
	p.requireUnchanged(t, must, before)
	p.wantCounts(t, p.Campaign, 1, 1)
	if got := p.pending(t, must, id); got.Sends != 1 || got.Confirmed() {
		t.Errorf("pending pledge = %+v, want untouched", got)
	}
}

func TestLinkPostsCrossOriginRefused(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	loc, id := p.pendingPledge(t, must, "9876543210", "en")
	rec := p.mustPledge(t, "vote", "Ravi", "9876543211", "N1", "en")
	before, beforeVote := p.state(t, must), p.state(t, p.Campaign)
	paths := []string{
		strings.Replace(loc, "?", "/resend?", 1),
		p.confirmPath(must, id),
		p.Links.WithdrawPath("vote", p.Campaign.ID, rec.Number),
	}
	for _, path := range paths {
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Origin", "http://evil.example"},
		} {
			r := p.postForm(t, path, url.Values{}, h...)
			wantStatus(t, r, http.StatusForbidden)
		}
	}
	p.requireUnchanged(t, must, before)
	p.requireUnchanged(t, p.Campaign, beforeVote)
	if got := p.pending(t, must, id); got.Sends != 1 || got.Confirmed() {
		t.Errorf("pending pledge = %+v, want untouched", got)
	}
}

// clock is a settable server clock.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time           { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration)  { c.offset.Add(int64(d)) }
func (c *clock) set(d time.Duration)      { c.offset.Store(int64(d)) }
func withTestClock(c *clock) portalOption { return withClock(c.now) }

func TestPendingExpires(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	var c clock
	p := newPortal(t, withCampaign(must), withTestClock(&c), withDeps(func(d *web.Deps) { d.PendingTTL = 48 * time.Hour }))
	loc, id := p.pendingPledge(t, must, "9876543210", "en")
	mustContain(t, p.get(t, loc).text(), fmt.Sprintf(msg(t, "en", "pending_expires"), "48"))

	c.set(47*time.Hour + 30*time.Minute)
	mustContain(t, p.get(t, loc).text(), msg(t, "en", "pending_expires_one"))

	c.set(48 * time.Hour)
	for _, path := range []string{loc, p.confirmPath(must, id)} {
		r := p.get(t, path)
		wantStatus(t, r, http.StatusNotFound)
		// It says how to go on: pledge again, from the campaign's page.
		mustContain(t, r.text(), msg(t, "en", "link_invalid"), htmlText(msg(t, "en", "link_invalid_hint")),
			`<a href="/c/must?lang=en">`+msg(t, "en", "back")+`</a>`)
	}
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusNotFound)
	wantStatus(t, p.press(t, strings.Replace(loc, "?", "/resend?", 1)), http.StatusNotFound)
	p.wantCounts(t, must, 0, 0)
	if got := p.pending(t, must, id); got.Sends != 1 {
		t.Errorf("sends = %d after expiry, want 1", got.Sends)
	}
}

func TestConfirmAfterCampaignClosed(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	var c clock
	p := newPortal(t, withCampaign(must), withTestClock(&c))
	_, id := p.pendingPledge(t, must, "9876543210", "en")

	closed := *must
	closed.ClosesAt = time.Now().Add(time.Minute).UTC().Truncate(time.Microsecond)
	if err := p.Store.UpdateCampaign(context.Background(), &closed, nil); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Hour) // past the close, and past the campaign cache's age
	r := p.postForm(t, "/c/must", emailForm("Ravi", "9876543211", "ravi@example.org", "N1", "en"), p.sameOrigin()...)
	wantStatus(t, r, http.StatusForbidden)
	mustContain(t, r.text(), strings.SplitN(msg(t, "en", "not_recorded_ended"), "{date}", 2)[0])

	// The pledge made while it was open is still confirmed.
	wantStatus(t, p.get(t, p.confirmPath(must, id)), http.StatusOK)
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	p.wantCounts(t, must, 1, 1)
}

func TestConfirmDuplicateIsKind(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	_, id := p.pendingPledge(t, must, "9000000005", "en")
	// Meanwhile the same number was counted by another way.
	sub := storetest.Submission(pledge.NewHasher(secret), must.ID, 5, "S1")
	res, err := p.Store.CommitBatch(context.Background(), []pledge.Submission{sub})
	if err != nil || res[0].Err != nil {
		t.Fatalf("CommitBatch = %v, %v", res, err)
	}
	before := p.state(t, must)
	for _, lang := range []string{"en", "hi"} {
		r := p.press(t, p.confirmPath(must, id)+"?lang="+lang)
		wantStatus(t, r, http.StatusConflict)
		wantLinkHeaders(t, r)
		mustContain(t, r.text(), htmlText(msg(t, lang, "duplicate_title")), htmlText(msg(t, lang, "confirm_duplicate")))
		mustNotContain(t, bodyOnly(r.text()), "Citizen 5", "/certificate/")
	}
	p.requireUnchanged(t, must, before)
}

func TestDepsLinks(t *testing.T) {
	t.Parallel()
	// A server wired with certificate tokens only still serves certificates;
	// the opt-in links are then not served.
	p := newPortal(t, withDeps(func(d *web.Deps) { d.Links, d.Tokens = nil, pledge.NewTokens(secret) }))
	rec := p.mustPledge(t, "vote", "Asha", "9876543210", "N1", "en")
	wantStatus(t, p.get(t, rec.CertificateURL), http.StatusOK)
	wantStatus(t, p.get(t, p.Links.WithdrawPath("vote", p.Campaign.ID, 1)), http.StatusNotFound)

	if _, err := web.New(web.Deps{Log: discard}); err == nil {
		t.Error("New without Links succeeded")
	}
	if _, err := web.New(web.Deps{Links: pledge.NewLinks(secret), Tokens: pledge.NewTokens([]byte("another secret")), Log: discard}); err == nil {
		t.Error("New with Tokens and Links of different secrets succeeded")
	}
	if _, err := web.New(web.Deps{Links: pledge.NewLinks(secret), Tokens: pledge.NewTokens(secret), Log: discard}); err != nil {
		t.Errorf("New with agreeing Tokens and Links: %v", err)
	}
}

// TestLinkPagesWhenTheDatabaseFails: a confirm, withdraw or resend press
// while the database is away answers 503 with Retry-After (press again),
// not a server error or "link not valid".
func TestLinkPagesWhenTheDatabaseFails(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	pendingLoc, id := p.pendingPledge(t, must, "9876543210", "en")
	confirm := p.confirmPath(must, id)
	resend := strings.Split(pendingLoc, "?")[0] + "/resend"
	if err := p.Store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{confirm, resend} {
		r := p.press(t, path)
		wantStatus(t, r, http.StatusServiceUnavailable)
		if got := r.Header.Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After %q", path, got)
		}
	}
}

// receiptCookie returns the receipt cookie r sets, as a Cookie header.
func receiptCookie(t *testing.T, c *pledge.Campaign, r response) string {
	t.Helper()
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == fmt.Sprintf("pledged-%d", c.ID) {
			return ck.Name + "=" + ck.Value
		}
	}
	t.Fatalf("no receipt cookie; Set-Cookie %q", r.Header.Values("Set-Cookie"))
	return ""
}

// requiredWithClock is a portal with campaign "must", which requires an
// address, on clk, with pending pledges waiting 48 hours; and the answer
// to form, the first pledge through its form.
func requiredWithClock(t *testing.T, clk *clock, form url.Values) (*portal, *pledge.Campaign, response) {
	t.Helper()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must), withTestClock(clk), withDeps(func(d *web.Deps) { d.PendingTTL = 48 * time.Hour }))
	first := p.postForm(t, "/c/must", form, p.sameOrigin()...)
	wantStatus(t, first, http.StatusSeeOther)
	return p, must, first
}

// A second tap in a campaign that requires an address goes back to the
// "check your mail" page of the pledge it repeats, and once that pledge is
// confirmed to its certificate; another browser gets no page of it. (Past
// its expiry the pledge gives way: TestExpiredPendingGivesWay.)
func TestRequiredSecondTapGoesBackToItsPage(t *testing.T) {
	t.Parallel()
	var clk clock
	form := emailForm("Asha Verma", "9876543210", "asha@example.org", "N1", "hi")
	p, must, first := requiredWithClock(t, &clk, form)
	page := first.Header.Get("Location")
	cookie := receiptCookie(t, must, first)
	if strings.Contains(cookie, "98765") || strings.Contains(cookie, "asha") {
		t.Errorf("receipt cookie %q holds the number or the address", cookie)
	}

	again := p.postForm(t, "/c/must", form, append(p.sameOrigin(), "Cookie", cookie)...)
	wantStatus(t, again, http.StatusSeeOther)
	if got := again.Header.Get("Location"); got != page {
		t.Errorf("the same form again went to %q, want its pending page %q", got, page)
	}
	// Another browser, past the minutes in which the same form leads back
	// without the cookie.
	clk.advance(11 * time.Minute)
	refused := p.postForm(t, "/c/must", form, p.sameOrigin()...)
	if refused.Status != http.StatusOK || refused.Header.Get("Location") != "" {
		t.Errorf("without the cookie: %d to %q, want the refusal", refused.Status, refused.Header.Get("Location"))
	}
	p.wantCounts(t, must, 0, 0)

	m := pendingRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("pending page %q", page)
	}
	_, id, err := p.Links.Pending.Decode(m[1])
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	again = p.postForm(t, "/c/must", form, append(p.sameOrigin(), "Cookie", cookie)...)
	wantStatus(t, again, http.StatusSeeOther)
	if got := again.Header.Get("Location"); !strings.Contains(got, "/c/must/thanks/") {
		t.Errorf("once confirmed, the same form again went to %q, want its thank-you page", got)
	}
	p.wantCounts(t, must, 1, 1)
}

// Once its links say it has expired, a pending pledge no longer holds its
// number or address: the citizen pledges again at once, without waiting
// for the periodic expiry, and gets a new "check your mail" page.
func TestExpiredPendingGivesWay(t *testing.T) {
	t.Parallel()
	var clk clock
	form := emailForm("Asha Verma", "9876543210", "asha@example.org", "N1", "en")
	p, must, first := requiredWithClock(t, &clk, form)

	clk.set(47 * time.Hour) // in time: refused, the first page still works
	if r := p.postForm(t, "/c/must", form, p.sameOrigin()...); r.Status != http.StatusOK || r.Header.Get("Location") != "" {
		t.Errorf("in time: %d to %q, want the refusal", r.Status, r.Header.Get("Location"))
	}
	clk.set(48 * time.Hour)
	wantStatus(t, p.get(t, first.Header.Get("Location")), http.StatusNotFound)
	for i, f := range []url.Values{form, emailForm("Asha Verma", "9876543211", "asha@example.org", "N1", "en")} {
		if i == 1 { // another number with the address the second pledge holds, once it has expired
			clk.set(96 * time.Hour)
		}
		r := p.postForm(t, "/c/must", f, p.sameOrigin()...)
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		if !pendingRE.MatchString(loc) || loc == first.Header.Get("Location") {
			t.Fatalf("pledge %d after expiry went to %q, want a new pending page", i, loc)
		}
		mustContain(t, p.get(t, loc).text(), htmlText(msg(t, "en", "pending_wrong_address")))
	}
	p.wantCounts(t, must, 0, 0)
}

// TestOptionalEmailOncePerCampaign: where an address is optional, one given
// is one pledge per address, as a number is, so no one can have the
// campaign mail an address again and again; the refusal names both, as
// either may be the one. A pledge without an address is not limited by it.
func TestOptionalEmailOncePerCampaign(t *testing.T) {
	opt := storetest.Campaign("opt")
	opt.Email = pledge.EmailOptional
	p := newPortal(t, withCampaign(opt))

	first := p.postForm(t, "/c/opt", emailForm("Asha Verma", "9876543210", "asha@example.org", "N1", "en"), p.sameOrigin()...)
	wantStatus(t, first, http.StatusSeeOther)
	before := p.state(t, opt)

	form := p.postForm(t, "/c/opt", emailForm("Someone Else", "9876500000", "ASHA@example.org", "S1", "en"), p.sameOrigin()...)
	wantStatus(t, form, http.StatusOK)
	mustContain(t, form.text(), htmlText(msg(t, "en", "duplicate_either")), `value="ASHA@example.org"`)
	req := pledgeReq("Someone Else", "9876500000", "S1", "hi")
	req["email"] = "asha@example.org"
	api := p.postJSON(t, pledgesPath("opt"), req)
	wantStatus(t, api, http.StatusConflict)
	want := apiError{Error: "duplicate", Message: msg(t, "hi", "duplicate_either")}
	if got := decode[apiError](t, api); !cmp.Equal(got, want) {
		t.Errorf("API refusal = %+v, want %+v", got, want)
	}
	p.requireUnchanged(t, opt, before)

	// The number that pledged, without an address: the usual refusal.
	again := p.postJSON(t, pledgesPath("opt"), pledgeReq("Asha Verma", "9876543210", "N1", "en"))
	wantStatus(t, again, http.StatusConflict)
	if got := decode[apiError](t, again); got.Message != msg(t, "en", "duplicate") {
		t.Errorf("refusal of a number without an address = %+v, want the usual duplicate", got)
	}
	// Another number without an address is taken.
	wantStatus(t, p.postJSON(t, pledgesPath("opt"), pledgeReq("Ravi", "9876500000", "S1", "en")), http.StatusCreated)
	p.wantCounts(t, opt, 2, 2)
}

// TestOptionalEmailHint: where an address is optional, the field says
// what it is for and that one address serves one pledge, before a family
// sharing one finds out from a refusal; the field is described by it, and
// by its error too.
func TestOptionalEmailHint(t *testing.T) {
	t.Parallel()
	opt := storetest.Campaign("opt")
	opt.Email = pledge.EmailOptional
	p := newPortal(t, withCampaign(opt))
	for _, lang := range []string{"en", "hi"} {
		page := p.get(t, "/c/opt?lang="+lang)
		wantStatus(t, page, http.StatusOK)
		mustContain(t, page.text(), `<p class="hint" id="email-hint">`+htmlText(msg(t, lang, "email_optional_hint"))+`</p>`,
			`autocomplete="email" maxlength="254" aria-describedby="email-hint"`)
		mustNotContain(t, page.text(), htmlText(msg(t, lang, "email_confirm_hint")))
	}
	mustContain(t, msg(t, "en", "email_optional_hint"), "certificate", "one pledge")

	bad := p.postForm(t, "/c/opt", emailForm("Asha Verma", "9876543210", "not an address", "N1", "en"), p.sameOrigin()...)
	wantStatus(t, bad, http.StatusBadRequest)
	mustContain(t, bad.text(), `aria-describedby="email-hint email-error" aria-invalid="true"`)

	// Where no address is asked for, there is no field and no hint.
	mustNotContain(t, p.get(t, "/c/vote?lang=en").text(), "email-hint", htmlText(msg(t, "en", "email_optional_hint")))
}

// TestBrokenLinkHints: a broken confirmation or "check your mail" link
// says the pledge can be taken again; a broken thank-you or withdrawal
// link does not (its number has pledged, and someone withdrawing does not
// want to pledge again), but says to check the link was copied whole.
func TestBrokenLinkHints(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	_, id := p.pendingPledge(t, must, "9876543210", "en")
	l := p.Links
	tests := []struct {
		desc, path string
		post       bool
		again      bool // the page says to pledge again
	}{
		{"confirm", "/c/must/confirm/not-a-token", false, true},
		{"confirm pressed", l.ConfirmPath("must", must.ID, id+100), true, true},
		{"pending", "/c/must/pending/not-a-token", false, true},
		{"resend pressed", "/c/must/pending/AAAAAAAAAAAAAAAAAAAAAA/resend", true, true},
		{"withdraw", "/c/vote/withdraw/xxxx", false, false},
		{"withdraw pressed", l.WithdrawPath("vote", p.Campaign.ID, 99), true, false},
		{"thanks", "/c/vote/thanks/xxxx", false, false},
		{"thanks of no pledge", "/c/must/thanks/" + l.Certificate.Encode(must.ID, 5), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			for _, lang := range []string{"en", "hi"} {
				var r response
				if tc.post {
					r = p.press(t, tc.path+"?lang="+lang)
				} else {
					r = p.get(t, tc.path+"?lang="+lang)
				}
				wantStatus(t, r, http.StatusNotFound)
				again, copied := htmlText(msg(t, lang, "link_invalid_hint")), htmlText(msg(t, lang, "link_invalid_copy_hint"))
				mustContain(t, r.text(), htmlText(msg(t, lang, "link_invalid")), `href="/c/`)
				if tc.again {
					mustContain(t, r.text(), again)
					mustNotContain(t, r.text(), copied)
				} else {
					mustContain(t, r.text(), copied)
					mustNotContain(t, r.text(), again)
				}
			}
		})
	}
}

// TestResentNoticeOnce: the pending page says the mail went again right
// after the button was pressed, and not when it is reloaded or opened
// again later (nor from a link that says sent=1).
func TestResentNoticeOnce(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must))
	loc, _ := p.pendingPledge(t, must, "9876543210", "en")
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 20 * time.Second} // follows the redirect, as a browser does
	do := func(method, path string) response {
		t.Helper()
		req, err := http.NewRequest(method, p.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", p.URL)
		}
		r, err := send(browser, req)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, r, http.StatusOK)
		return r
	}
	done := htmlText(msg(t, "en", "resend_done"))
	mustNotContain(t, do(http.MethodGet, loc).text(), done)
	mustContain(t, do(http.MethodPost, strings.Replace(loc, "?", "/resend?", 1)).text(), done)
	mustNotContain(t, do(http.MethodGet, loc).text(), done)           // reloaded
	mustNotContain(t, do(http.MethodGet, loc+"&sent=1").text(), done) // a link that says so
}

// TestRequiredSecondTapWithoutCookie: in a campaign that requires an
// address, a double tap on a slow link (the first answer, and its cookie,
// lost) leads to the "check your mail" page of the pledge it repeats, as
// a counted pledge's leads to its thank-you page: taps at once, or the
// very same form sent again within minutes. Another name or region with
// the number, or the same form once the minutes have passed, is refused.
func TestRequiredSecondTapWithoutCookie(t *testing.T) {
	t.Parallel()
	var clk clock
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must), withTestClock(&clk))
	form := emailForm("Double Tap", "9555555502", "dt@example.org", "N1", "en")

	const taps = 3
	answers := make([]response, taps)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, p.URL+"/c/must", strings.NewReader(form.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", p.URL)
			if answers[i], err = send(p.Client, req); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	page := answers[0].Header.Get("Location")
	if !pendingRE.MatchString(page) {
		t.Fatalf("first tap: %v to %q, want a pending page", answers[0], page)
	}
	for i, r := range answers {
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != page {
			t.Errorf("tap %d: %v to %q, want 303 to %q", i, r, r.Header.Get("Location"), page)
		}
	}
	mustContain(t, p.get(t, page).text(), htmlText(msg(t, "en", "pending_title")))

	clk.advance(2 * time.Minute)
	again := p.postForm(t, "/c/must", form, p.sameOrigin()...)
	if again.Status != http.StatusSeeOther || again.Header.Get("Location") != page {
		t.Errorf("the same form again: %d to %q, want %q", again.Status, again.Header.Get("Location"), page)
	}
	for name, f := range map[string]url.Values{
		"other name":   emailForm("Someone Else", "9555555502", "dt@example.org", "N1", "en"),
		"other region": emailForm("Double Tap", "9555555502", "dt@example.org", "S1", "en"),
	} {
		if r := p.postForm(t, "/c/must", f, p.sameOrigin()...); r.Status != http.StatusOK || r.Header.Get("Location") != "" {
			t.Errorf("%s: %d to %q, want the refusal", name, r.Status, r.Header.Get("Location"))
		}
	}
	clk.advance(time.Hour)
	if r := p.postForm(t, "/c/must", form, p.sameOrigin()...); r.Status != http.StatusOK || r.Header.Get("Location") != "" {
		t.Errorf("an hour later: %d to %q, want the refusal", r.Status, r.Header.Get("Location"))
	}
	p.wantCounts(t, must, 0, 0)
}
