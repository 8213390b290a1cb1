package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// ---------------------------------------------------------------------------
// 1. JSON API: POST /api/v1/campaigns/{slug}/pledges

func TestAPIPledgeCreatesCertificate(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha Verma", "+91 98765-43210", "N1", "en"))
	wantStatus(t, r, http.StatusCreated)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	rec := decode[receipt](t, r)
	if rec.Number != 1 || rec.Campaign != "vote" || rec.Token == "" {
		t.Fatalf("receipt = %+v, want number 1 in vote with a token", rec)
	}
	if want := p.URL + "/certificate/" + rec.Token; rec.CertificateURL != want {
		t.Errorf("certificate_url = %q, want the absolute %q", rec.CertificateURL, want)
	}
	if u, err := url.Parse(rec.CertificateURL); err != nil || !u.IsAbs() || u.Host == "" {
		t.Errorf("certificate_url %q is not absolute (%v)", rec.CertificateURL, err)
	}
	if loc := r.Header.Get("Location"); loc != rec.CertificateURL {
		t.Errorf("Location = %q, want %q", loc, rec.CertificateURL)
	}
	if id, n, err := p.Tokens.Decode(rec.Token); err != nil || id != p.Campaign.ID || n != 1 {
		t.Errorf("token decodes to (%d, %d, %v), want (%d, 1, nil)", id, n, err, p.Campaign.ID)
	}

	cert := p.get(t, rec.CertificateURL)
	wantStatus(t, cert, http.StatusOK)
	if ct := cert.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("certificate Content-Type = %q, want text/html", ct)
	}
	mustContain(t, cert.text(), `<p class="name" dir="auto">Asha Verma</p>`, "<dd>#1</dd>", "<title>Certificate #1</title>", "<dd>North One</dd>", msg(t, "en", "certificate_of"))
	// The certificate is public behind its token: no mobile number on it,
	// kept out of caches (a withdrawal shows at once) and search engines.
	mustNotContain(t, cert.text(), "98765", "43210")
	if cc := cert.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("certificate Cache-Control = %q, want no-store", cc)
	}
	if rp := cert.Header.Get("Referrer-Policy"); rp != "strict-origin" {
		t.Errorf("certificate Referrer-Policy = %q, want strict-origin (no token in a Referer)", rp)
	}
	if xr := cert.Header.Get("X-Robots-Tag"); xr != "noindex" {
		t.Errorf("certificate X-Robots-Tag = %q, want noindex", xr)
	}

	st := p.state(t, p.Campaign)
	if diff := cmp.Diff(pledge.Counts{Total: 1, Regions: map[string]int64{"N1": 1}}, st.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	// The next pledge, charset parameter and all, gets the next number.
	r = p.do(t, http.MethodPost, pledgesPath("vote"), strings.NewReader(jsonText(t, pledgeReq("Ravi", "7000000001", "S1", ""))),
		"Content-Type", "application/json; charset=utf-8")
	wantStatus(t, r, http.StatusCreated)
	if rec2 := decode[receipt](t, r); rec2.Number != 2 || rec2.Token == rec.Token {
		t.Errorf("second receipt = %+v, want number 2 and a new token", rec2)
	}
}

func TestAPIPledgeDuplicateWrittenDifferently(t *testing.T) {
	t.Parallel()
	other := storetest.Campaign("other")
	p := newPortal(t, withCampaign(other))
	first := p.mustPledge(t, "vote", "Asha Verma", "+91 98765-43210", "N1", "en")
	if first.Number != 1 {
		t.Fatalf("first pledge got number %d", first.Number)
	}
	before := p.state(t, p.Campaign)

	tests := []struct {
		phone, lang, wantMsgLang string
	}{
		{"09876543210", "", "en"},
		{"0091 98765 43210", "en", "en"},
		{"(+91) 98765 43210", "en", "en"},
		{"919876543210", "en", "en"},
		{"+919876543210", "en", "en"},
		{"98765.43210", "en", "en"},
		{"९८७६५ ४३२१०", "hi", "hi"}, // Devanagari digits
		{"+91 98765 43210", "hi", "hi"},
	}
	for _, tc := range tests {
		t.Run(tc.phone, func(t *testing.T) {
			// Another name and region: only the number makes it a repeat.
			r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Someone Else", tc.phone, "S1", tc.lang))
			wantStatus(t, r, http.StatusConflict)
			got := decode[apiError](t, r)
			want := apiError{Error: "duplicate", Message: msg(t, tc.wantMsgLang, "duplicate")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if r.Header.Get("Location") != "" {
				t.Errorf("a refused pledge has Location %q", r.Header.Get("Location"))
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
	// The same person may take another campaign's pledge; numbers are per campaign.
	if rec := p.mustPledge(t, "other", "Asha Verma", "09876543210", "S1", ""); rec.Number != 1 || rec.Campaign != "other" {
		t.Errorf("pledge to another campaign = %+v, want number 1 in other", rec)
	}
	p.requireUnchanged(t, p.Campaign, before)
}

func TestAPIPledgeRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.mustPledge(t, "vote", "Already There", "9000000000", "N2", "en")
	before := p.state(t, p.Campaign)

	valid := func(mod func(m map[string]string)) string {
		m := pledgeReq("Asha Verma", "9876543210", "N1", "")
		mod(m)
		return jsonText(t, m)
	}
	set := func(k, v string) func(map[string]string) { return func(m map[string]string) { m[k] = v } }
	type field struct{ name, lang, key string }
	tests := []struct {
		name        string
		path        string // default: pledges of "vote"
		query       string
		contentType string // default: application/json; "-" for none
		body        string
		wantStatus  int
		wantError   string
		wantFields  []field // exactly these fields, with these catalogue messages
		wantMessage string  // if set
		wantDetail  string  // if set, a part of the detail
	}{
		{name: "phone too short", body: valid(set("phone", "12345")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone US", body: valid(set("phone", "+1 415 555 0100")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone starts with 5", body: valid(set("phone", "5876543210")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone +91 then 5", body: valid(set("phone", "+91 58765 43210")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone letters", body: valid(set("phone", "98765abcde")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone eleven digits", body: valid(set("phone", "98765432101")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneInvalid}}},
		{name: "phone empty", body: valid(set("phone", "  ")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"phone", "en", pledge.MsgPhoneRequired}}},
		{name: "phone invalid in Hindi", body: valid(func(m map[string]string) { m["phone"], m["lang"] = "12345", "hi" }),
			wantStatus: 400, wantError: "invalid", wantFields: []field{{"phone", "hi", pledge.MsgPhoneInvalid}}},
		{name: "region unknown", body: valid(set("region", "ZZ")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"region", "en", pledge.MsgRegionUnknown}}},
		{name: "region is a parent", body: valid(set("region", "NORTH")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"region", "en", pledge.MsgRegionUnknown}}},
		{name: "region empty", body: valid(set("region", "")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"region", "en", pledge.MsgRegionUnknown}}},
		{name: "name empty", body: valid(set("name", "")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameRequired}}},
		{name: "name blank", body: valid(set("name", " \t ")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameRequired}}},
		{name: "name 101 chars", body: valid(set("name", strings.Repeat("a", 101))), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameTooLong}}},
		{name: "name 101 Devanagari chars in Hindi", body: valid(func(m map[string]string) { m["name"], m["lang"] = strings.Repeat("क", 101), "hi" }),
			wantStatus: 400, wantError: "invalid", wantFields: []field{{"name", "hi", pledge.MsgNameTooLong}}},
		{name: "name with control char", body: valid(set("name", "Asha\x07Verma")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameInvalid}}},
		{name: "name with NUL", body: valid(set("name", "Asha\x00")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameInvalid}}},
		{name: "name with bidi override", body: valid(set("name", "Asha\u202eamreV")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameInvalid}}},
		{name: "name without letters", body: valid(set("name", "12345")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameNoLetters}}},
		{name: "name of punctuation only, in Hindi", body: valid(func(m map[string]string) { m["name"], m["lang"] = "...", "hi" }),
			wantStatus: 400, wantError: "invalid", wantFields: []field{{"name", "hi", pledge.MsgNameNoLetters}}},
		{name: "name with markup", body: valid(set("name", "<b>Ram</b>")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameLetters}}},
		{name: "name with emoji", body: valid(set("name", "Ravi 🇮🇳 Kumar 🙏")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "en", pledge.MsgNameLetters}}},
		{name: "name in a script without a font, in Hindi", body: valid(func(m map[string]string) { m["name"], m["lang"] = "李小龍", "hi" }),
			wantStatus: 400, wantError: "invalid", wantFields: []field{{"name", "hi", pledge.MsgNameLetters}}},
		{name: "language unknown", body: valid(set("lang", "fr")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"lang", "en", pledge.MsgLangUnknown}}},
		{name: "every field wrong in Hindi", body: jsonText(t, pledgeReq("", "12345", "ZZ", "hi")), wantStatus: 400, wantError: "invalid",
			wantFields: []field{{"name", "hi", pledge.MsgNameRequired}, {"phone", "hi", pledge.MsgPhoneInvalid}, {"region", "hi", pledge.MsgRegionUnknown}}},

		{name: "unknown campaign", path: pledgesPath("nope"), body: valid(set("region", "N1")), wantStatus: 404, wantError: "not_found"},
		{name: "oversize body", body: valid(set("name", strings.Repeat("a", 9<<10))), wantStatus: 413, wantError: "too_large"},
		{name: "oversize trailing space", body: valid(set("name", "Asha")) + strings.Repeat(" ", 9<<10), wantStatus: 413, wantError: "too_large"},
		{name: "text/plain", contentType: "text/plain", body: valid(set("name", "Asha")), wantStatus: 415, wantError: "unsupported_media_type"},
		{name: "form content type", contentType: "application/x-www-form-urlencoded",
			body: pledgeForm("Asha", "9876543210", "N1", "en").Encode(), wantStatus: 415, wantError: "unsupported_media_type"},
		{name: "no content type", contentType: "-", body: valid(set("name", "Asha")), wantStatus: 415, wantError: "unsupported_media_type"},
		{name: "unknown JSON field", body: `{"name":"Asha","phone":"9876543210","region":"N1","admin":true}`, wantStatus: 400, wantError: "invalid",
			wantDetail: `unknown field "admin"`},
		// Malformed JSON: the message in the request's language, what exactly
		// is wrong in detail.
		{name: "unknown JSON field, in Hindi", query: "lang=hi", body: `{"nme":"Asha","lang":"hi"}`, wantStatus: 400, wantError: "invalid",
			wantMessage: msg(t, "hi", "bad_request"), wantDetail: `unknown field "nme"`},
		{name: "trailing garbage", body: valid(set("name", "Asha")) + "garbage", wantStatus: 400, wantError: "invalid"},
		{name: "two objects", body: valid(set("name", "Asha")) + valid(set("name", "Ravi")), wantStatus: 400, wantError: "invalid"},
		{name: "field given twice", body: `{"name":"Asha","phone":"9876543210","phone":"9123456789","region":"N1"}`, wantStatus: 400, wantError: "invalid",
			wantDetail: `field "phone" given twice`},
		{name: "field given twice, escaped", body: `{"name":"Asha","phone":"9876543210","region":"N1","n\u0061me":"Ravi"}`, wantStatus: 400, wantError: "invalid",
			wantDetail: `field "name" given twice`},
		{name: "wrong type", body: `{"name":5,"phone":"9876543210","region":"N1"}`, wantStatus: 400, wantError: "invalid"},
		{name: "not JSON", body: `name=Asha`, wantStatus: 400, wantError: "invalid"},
		{name: "array", body: `[]`, wantStatus: 400, wantError: "invalid"},
		{name: "empty body", body: ``, wantStatus: 400, wantError: "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = pledgesPath("vote")
			}
			if tc.query != "" {
				path += "?" + tc.query
			}
			var header []string
			switch tc.contentType {
			case "":
				header = []string{"Content-Type", "application/json"}
			case "-":
			default:
				header = []string{"Content-Type", tc.contentType}
			}
			r := p.do(t, http.MethodPost, path, strings.NewReader(tc.body), header...)
			wantStatus(t, r, tc.wantStatus)
			got := decode[apiError](t, r)
			if got.Error != tc.wantError || got.Message == "" {
				t.Errorf("body = %+v, want error %q with a message", got, tc.wantError)
			}
			want := map[string]string{}
			for _, f := range tc.wantFields {
				want[f.name] = msg(t, f.lang, f.key)
				if f.lang == "hi" && !hasDevanagari(got.Fields[f.name]) {
					t.Errorf("fields.%s = %q, want Hindi in Devanagari", f.name, got.Fields[f.name])
				}
			}
			if len(want) == 0 {
				want = nil
			}
			if tc.wantMessage != "" && got.Message != tc.wantMessage {
				t.Errorf("message = %q, want %q", got.Message, tc.wantMessage)
			}
			if !strings.Contains(got.Detail, tc.wantDetail) {
				t.Errorf("detail = %q, want it to name %s", got.Detail, tc.wantDetail)
			}
			if diff := cmp.Diff(want, got.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if r.Header.Get("Location") != "" {
				t.Errorf("a refused pledge has Location %q", r.Header.Get("Location"))
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
}

// TestAPIPledgeNameBoundary: exactly MaxNameLen characters is fine.
func TestAPIPledgeNameBoundary(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.mustPledge(t, "vote", strings.Repeat("a", pledge.MaxNameLen), "9876543210", "N1", "")
	p.mustPledge(t, "vote", strings.Repeat("क", pledge.MaxNameLen), "9876543211", "N1", "")
	if st := p.state(t, p.Campaign); st.Audit.Rows != 2 {
		t.Errorf("rows = %d, want 2", st.Audit.Rows)
	}
}

// TestMethodNotAllowed: a known path with a wrong method is 405 with Allow.
// Regression: a catch-all "/" route once turned every one of these into 404.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	tests := []struct {
		method, path, allow string
	}{
		{http.MethodPut, pledgesPath("vote"), "POST"},
		{http.MethodDelete, pledgesPath("vote"), "POST"},
		{http.MethodPatch, pledgesPath("vote"), "POST"},
		{http.MethodPost, "/api/v1/campaigns/vote/stats", "GET"},
		{http.MethodPost, "/api/v1/campaigns/vote", "GET"},
		{http.MethodDelete, "/c/vote", "GET"},
		{http.MethodPut, "/c/vote", "POST"},
		{http.MethodPost, "/healthz", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			body := jsonText(t, pledgeReq("Asha", "9876543210", "N1", ""))
			r := p.do(t, tc.method, tc.path, strings.NewReader(body), "Content-Type", "application/json")
			if r.Status != http.StatusMethodNotAllowed {
				t.Errorf("status = %v, want 405", r)
			}
			if allow := r.Header.Get("Allow"); !strings.Contains(allow, tc.allow) {
				t.Errorf("Allow = %q, want it to contain %s", allow, tc.allow)
			}
			// Under /api/, the API's JSON error, as for every other failure;
			// elsewhere the portal's page, in the visitor's language.
			if strings.HasPrefix(tc.path, "/api/") {
				if e := decode[apiError](t, r); e.Error != "method_not_allowed" || e.Message == "" {
					t.Errorf("body %s, want the JSON error method_not_allowed", r.Body)
				}
			} else {
				mustContain(t, r.text(), "<html", htmlText(msg(t, "en", "method_not_allowed")))
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
}

func TestAPIPledgeClosedCampaign(t *testing.T) {
	t.Parallel()
	closed, future := closedCampaign("closed"), futureCampaign("future")
	p := newPortal(t, withCampaign(closed), withCampaign(future))
	// What the page says in the form's place: a campaign not open yet says
	// when it opens, in IST, in the page's language.
	// A campaign that has closed says when it ended.
	// A form sent all the same is refused as a pledge not recorded, with
	// the reason, and without the page's thanks to everyone who pledged.
	says := func(c *pledge.Campaign, lang string) string {
		key, at := "campaign_opens", c.OpensAt.In(pledge.IST)
		if c == closed {
			key, at = "campaign_ended", c.ClosesAt.In(pledge.IST)
		}
		return sayIST(t, lang, key, at)
	}
	refusal := func(c *pledge.Campaign, lang string) string {
		if c == closed {
			return sayIST(t, lang, "not_recorded_ended", c.ClosesAt.In(pledge.IST))
		}
		return sayIST(t, lang, "not_recorded_opens", c.OpensAt.In(pledge.IST))
	}
	for _, c := range []*pledge.Campaign{closed, future} {
		t.Run(c.Slug, func(t *testing.T) {
			before := p.state(t, c)
			for _, lang := range []string{"en", "hi"} {
				r := p.postJSON(t, pledgesPath(c.Slug), pledgeReq("Asha Verma", "9876543210", "N1", lang))
				wantStatus(t, r, http.StatusForbidden)
				want := apiError{Error: "closed", Message: msg(t, lang, "campaign_closed")}
				if diff := cmp.Diff(want, decode[apiError](t, r)); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}

				f := p.postForm(t, "/c/"+c.Slug, pledgeForm("Asha Verma", "9876543210", "N1", lang))
				wantStatus(t, f, http.StatusForbidden)
				mustContain(t, f.text(), `<p class="alert" role="alert">`+htmlText(refusal(c, lang))+`</p>`,
					"<title>"+htmlText(msg(t, lang, "error_title"))+" ")
				mustNotContain(t, f.text(), `<p class="alert">`+htmlText(says(c, lang)), "<form", `class="notice"`,
					htmlText(strings.SplitN(msg(t, lang, "campaign_ended"), "{date}", 2)[1])) // the thanks to everyone
			}
			// The page says so and offers no form.
			page := p.get(t, "/c/"+c.Slug)
			wantStatus(t, page, http.StatusOK)
			mustContain(t, page.text(), htmlText(says(c, "en")))
			mustNotContain(t, page.text(), "<form")

			p.requireUnchanged(t, c, before)
			if before.Audit.Rows != 0 {
				t.Errorf("closed campaign has %d rows", before.Audit.Rows)
			}
		})
	}
	// The same number is still free in the open campaign.
	if rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", ""); rec.Number != 1 {
		t.Errorf("open campaign number = %d, want 1", rec.Number)
	}
}

// sayIST is the catalogue text of key in lang with {date} at, as the
// pages and mail write it (TestFormatIST).
func sayIST(t *testing.T, lang, key string, at time.Time) string {
	t.Helper()
	date := pledge.FormatIST(lang, at)
	if lang == "en" && !strings.Contains(date, at.Month().String()) {
		t.Errorf("English date %q lacks the month's name", date)
	}
	return strings.Replace(msg(t, lang, key), "{date}", date, 1)
}

// TestFormToPausedCampaignNotRecorded: a form sent while the campaign is
// paused says the pledge was not recorded and why, as an alert with the
// error title, in the form's language; the page itself, without a post,
// says the campaign is not taking pledges.
func TestFormToPausedCampaignNotRecorded(t *testing.T) {
	t.Parallel()
	paused := storetest.Campaign("paused")
	p := newPortal(t, withCampaign(paused))
	if err := p.Store.SetPaused(context.Background(), paused.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	before := p.state(t, paused)
	for _, lang := range []string{"en", "hi"} {
		f := p.postForm(t, "/c/paused", pledgeForm("Late Comer", "9999999901", "N1", lang), p.sameOrigin()...)
		wantStatus(t, f, http.StatusForbidden)
		mustContain(t, f.text(), `<html lang="`+lang+`">`,
			`<p class="alert" role="alert">`+htmlText(msg(t, lang, "not_recorded_closed"))+`</p>`,
			"<title>"+htmlText(msg(t, lang, "error_title"))+" ")
		mustNotContain(t, f.text(), "<form", `<p class="alert">`+htmlText(msg(t, lang, "campaign_closed")))
		page := p.get(t, "/c/paused?lang="+lang)
		wantStatus(t, page, http.StatusOK)
		mustContain(t, page.text(), `<p class="alert">`+htmlText(msg(t, lang, "campaign_closed"))+`</p>`)
		mustNotContain(t, page.text(), `role="alert"`, htmlText(msg(t, lang, "not_recorded_closed")))
	}
	mustContain(t, msg(t, "en", "not_recorded_closed"), "not recorded")
	mustContain(t, msg(t, "hi", "not_recorded_closed"), "दर्ज नहीं")
	p.requireUnchanged(t, paused, before)
}

// TestAPIPledgeNamesRoundTrip: names in any script reach the certificate as
// NFC, white space collapsed, conjunct joiners kept, markup escaped.
func TestAPIPledgeNamesRoundTrip(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tests := []struct {
		desc, name, lang, want, nameLang string // nameLang: the name's own lang attribute, if any
	}{
		{"Devanagari", "सुनीता देवी", "hi", "सुनीता देवी", ""},
		{"ZWJ conjunct", "क्\u200dष", "hi", "क्\u200dष", ""},
		{"ZWNJ conjunct", "क्\u200cष", "hi", "क्\u200cष", ""},
		{"ZWJ in full name", "लक्\u200dष्मी देवी", "hi", "लक्\u200dष्मी देवी", ""},
		{"nukta stays decomposed under NFC", "क़ासिम", "hi", "क़ासिम", ""},
		{"NFC composes Latin", "Jose\u0301 Garci\u0301a", "en", "José García", ""},
		{"white space collapsed", "  Ravi \t  Kumar  ", "en", "Ravi Kumar", ""},
		// < and > are symbols, refused in names; what HTML escapes of the
		// rest is text.
		{"markup characters are text", `Ram & "Sita" O'Neil`, "en", `Ram & "Sita" O'Neil`, ""},
		{"Tamil", "முருகன்", "en", "முருகன்", "ta"},
	}
	for i, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			rec := p.mustPledge(t, "vote", tc.name, fmt.Sprintf("98000000%02d", i), "N2", tc.lang)
			stored, err := p.Store.Pledge(context.Background(), p.Campaign.ID, rec.Number)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Name != tc.want {
				t.Errorf("stored name = %+q, want %+q", stored.Name, tc.want)
			}
			cert := p.get(t, rec.CertificateURL)
			wantStatus(t, cert, http.StatusOK)
			attr := ""
			if tc.nameLang != "" {
				attr = ` lang="` + tc.nameLang + `"`
			}
			mustContain(t, cert.text(), `<p class="name" dir="auto"`+attr+`>`+htmlText(tc.want)+`</p>`, `<html lang="`+tc.lang+`">`)
			if tc.lang == "hi" {
				mustContain(t, cert.text(), msg(t, "hi", "certificate_of"), "उत्तर दो")
			}
			mustNotContain(t, cert.text(), "<b>Ram", "<script")
		})
	}
}

// ---------------------------------------------------------------------------
// 2. HTML form: POST /c/{slug}

var thanksRE = regexp.MustCompile(`^/c/vote/thanks/([A-Za-z0-9_-]+)\?lang=(en|hi)$`)

func TestFormPledge(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tests := []struct {
		lang, name, phone, region, regionName string
	}{
		{"en", "Asha Verma", "+91 98765-43210", "N1", "North One"},
		{"hi", "सुनीता देवी", "0091 91234 56789", "S1", "दक्षिण एक"},
	}
	for i, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			number := int64(i + 1)
			r := p.postForm(t, "/c/vote", pledgeForm(tc.name, tc.phone, tc.region, tc.lang),
				"Origin", p.URL, "Sec-Fetch-Site", "same-origin")
			wantStatus(t, r, http.StatusSeeOther)
			loc := r.Header.Get("Location")
			m := thanksRE.FindStringSubmatch(loc)
			if m == nil || m[2] != tc.lang {
				t.Fatalf("Location = %q, want /c/vote/thanks/{token}?lang=%s", loc, tc.lang)
			}
			token := m[1]
			if id, n, err := p.Tokens.Decode(token); err != nil || id != p.Campaign.ID || n != number {
				t.Fatalf("token decodes to (%d, %d, %v), want (%d, %d)", id, n, err, p.Campaign.ID, number)
			}

			thanks := p.get(t, loc)
			wantStatus(t, thanks, http.StatusOK)
			mustContain(t, thanks.text(),
				`<html lang="`+tc.lang+`">`,
				htmlText(fmt.Sprintf(msg(t, tc.lang, "you_are_pledge"), fmt.Sprint(number))),
				htmlText(msg(t, tc.lang, "thanks_title")),
				`href="/certificate/`+token,
				`<a href="/c/vote?lang=`+tc.lang+`">`+msg(t, tc.lang, "back")+`</a>`) // and back, to share the campaign
			// As a reader says it: "your pledge is number N", in Hindi
			// not "you are pledge number N".
			mustContain(t, thanks.text(), map[string]string{"en": "You are pledge #1", "hi": "आपका संकल्प क्रमांक 2 है"}[tc.lang])
			if cc := thanks.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("thanks Cache-Control = %q, want no-store", cc)
			}

			// Follow the certificate link as the page gives it.
			href := regexp.MustCompile(`href="(/certificate/[^"]+)"`).FindStringSubmatch(thanks.text())
			if href == nil {
				t.Fatal("no certificate link on the thanks page")
			}
			cert := p.get(t, strings.ReplaceAll(href[1], "&amp;", "&"))
			wantStatus(t, cert, http.StatusOK)
			mustContain(t, cert.text(), `<p class="name" dir="auto">`+htmlText(tc.name)+`</p>`, fmt.Sprintf("<dd>#%d</dd>", number), "<dd>"+tc.regionName+"</dd>")
		})
	}
	if st := p.state(t, p.Campaign); st.Audit.Rows != 2 {
		t.Errorf("rows = %d, want 2", st.Audit.Rows)
	}
}

func TestFormDuplicateIsKind(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	first := p.mustPledge(t, "vote", "Asha Secretname", "+91 98765-43210", "N1", "en")
	before := p.state(t, p.Campaign)
	for _, lang := range []string{"en", "hi"} {
		t.Run(lang, func(t *testing.T) {
			r := p.postForm(t, "/c/vote", pledgeForm("Another Person", "09876543210", "S1", lang))
			wantStatus(t, r, http.StatusOK)
			body := bodyOnly(r.text())
			mustContain(t, body, `<p class="notice" role="status">`+htmlText(msg(t, lang, "duplicate")), `<form method="post" action="/c/vote"`)
			// Nothing about the earlier pledge: not its name, number or certificate.
			mustNotContain(t, body, "Secretname", "/certificate/", "/thanks/", first.Token, "#1", "98765", "43210")
			if r.Header.Get("Location") != "" {
				t.Errorf("duplicate answered with Location %q", r.Header.Get("Location"))
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
}

func TestFormValidationErrors(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	tests := []struct {
		desc      string
		form      url.Values
		lang      string
		wantKeys  []string // field messages shown
		wantValue string   // the typed name, kept
	}{
		{"phone and region", pledgeForm("Ravi Kumar", "12345", "", "en"), "en",
			[]string{pledge.MsgPhoneInvalid, pledge.MsgRegionUnknown}, "Ravi Kumar"},
		{"Hindi", pledgeForm("सुनीता देवी", "5876543210", "ZZ", "hi"), "hi",
			[]string{pledge.MsgPhoneInvalid, pledge.MsgRegionUnknown}, "सुनीता देवी"},
		{"name missing", pledgeForm("", "9876543210", "N1", "en"), "en",
			[]string{pledge.MsgNameRequired}, ""},
		{"name too long", pledgeForm(strings.Repeat("x", 101), "9876543210", "N1", "en"), "en",
			[]string{pledge.MsgNameTooLong}, strings.Repeat("x", 101)},
		{"name too long in Hindi", pledgeForm(strings.Repeat("क", 101), "9876543210", "N1", "hi"), "hi",
			[]string{pledge.MsgNameTooLong}, strings.Repeat("क", 101)},
		{"phone missing, name with quotes kept", pledgeForm(`Ravi "Raju" O'Neil`, "", "N2", "en"), "en",
			[]string{pledge.MsgPhoneRequired}, `Ravi "Raju" O'Neil`},
		// The certificate would draw emoji as empty boxes.
		{"name with emoji", pledgeForm("Ravi 🇮🇳 Kumar 🙏", "9876543210", "N1", "en"), "en",
			[]string{pledge.MsgNameLetters}, "Ravi 🇮🇳 Kumar 🙏"},
		{"name with emoji in Hindi", pledgeForm("रवि कुमार 🙏", "9876543210", "N1", "hi"), "hi",
			[]string{pledge.MsgNameLetters}, "रवि कुमार 🙏"},
		// A number or a dash typed for a name is asked for in letters.
		{"name of digits", pledgeForm("12345", "9876543210", "N1", "en"), "en",
			[]string{pledge.MsgNameNoLetters}, "12345"},
		{"name a dash, in Hindi", pledgeForm("-", "9876543210", "N1", "hi"), "hi",
			[]string{pledge.MsgNameNoLetters}, "-"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := p.postForm(t, "/c/vote", tc.form)
			wantStatus(t, r, http.StatusBadRequest)
			body := r.text()
			mustContain(t, body, `<html lang="`+tc.lang+`">`, htmlText(msg(t, tc.lang, "form_has_errors")),
				`name="name" value="`+htmlText(tc.wantValue)+`"`, `aria-invalid="true"`,
				// the browser stops at the length the portal accepts
				`maxlength="`+strconv.Itoa(pledge.MaxNameLen)+`" required`,
				// what a screen reader says first, and a summary linking to each field
				"<title>"+htmlText(msg(t, tc.lang, "error_title"))+" ")
			for _, key := range tc.wantKeys {
				mustContain(t, body, `<p class="error"`, htmlText(msg(t, tc.lang, key)))
			}
			fieldOf := map[string]string{pledge.MsgPhoneInvalid: "phone", pledge.MsgPhoneRequired: "phone",
				pledge.MsgRegionUnknown: "region", pledge.MsgNameRequired: "name", pledge.MsgNameTooLong: "name",
				pledge.MsgNameLetters: "name", pledge.MsgNameNoLetters: "name"}
			for _, key := range tc.wantKeys {
				named := "" // the region's message names its field: "Constituency: …"
				if key == pledge.MsgRegionUnknown {
					named = htmlText(msg(t, tc.lang, "your_region")) + ": "
				}
				mustContain(t, body, `<li><a href="#`+fieldOf[key]+`">`+named+htmlText(msg(t, tc.lang, key))+`</a></li>`)
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
}

// TestHindiNameLimitInCharacters: the limit counts characters, not what a
// Hindi reader calls अक्षर (श्री is one of those and four characters), so
// the Hindi message says वर्ण.
func TestHindiNameLimitInCharacters(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	r := p.postForm(t, "/c/vote", pledgeForm(strings.Repeat("श्री", 26), "9876543210", "N1", "hi"))
	wantStatus(t, r, http.StatusBadRequest)
	mustContain(t, r.text(), "(अधिकतम 100 वर्ण)")
	mustNotContain(t, r.text(), "100 अक्षर")
}

// TestNameFieldTypedAsWritten: the name is printed on the certificate as
// typed and cannot be corrected later, so a phone's keyboard capitalises
// its words and neither corrects nor underlines it, in the empty form and
// in one sent back with its errors.
func TestNameFieldTypedAsWritten(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	for _, r := range []response{
		p.get(t, "/c/vote?lang=en"),
		p.get(t, "/c/vote?lang=hi"),
		p.postForm(t, "/c/vote", pledgeForm("ravi kumar", "12345", "N1", "en")),
	} {
		input := regexp.MustCompile(`<input id="name"[^>]*>`).FindString(r.text())
		if input == "" {
			t.Fatalf("no name field in %v", r)
		}
		mustContain(t, input, `autocomplete="name"`, `autocapitalize="words"`, `spellcheck="false"`)
	}
}

// A form refused before its fields are read (one sent twice) is refused in
// the language it was filled in, not the browser's.
func TestFormMalformedRefusedInItsLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	form := pledgeForm("Asha", "9876543210", "N1", "hi")
	body := form.Encode() + "&name=Other"
	r := p.do(t, http.MethodPost, "/c/vote", strings.NewReader(body),
		"Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
	wantStatus(t, r, http.StatusBadRequest)
	mustContain(t, r.text(), `<html lang="hi">`)
	// A lang the campaign does not offer: the browser's.
	r = p.do(t, http.MethodPost, "/c/vote", strings.NewReader("name=a&name=b&lang=xx"),
		"Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "en")
	wantStatus(t, r, http.StatusBadRequest)
	mustContain(t, r.text(), `<html lang="en">`)
	p.requireUnchanged(t, p.Campaign, before)
}

func TestFormCrossOriginRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	refused := []struct {
		desc   string
		header []string
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}},
		{"cross-site with our Origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", p.URL}},
		{"Origin of another host", []string{"Origin", "http://evil.example"}},
		{"Origin of another port", []string{"Origin", "http://127.0.0.1:1"}},
		{"Origin null", []string{"Origin", "null"}},
	}
	for _, tc := range refused {
		t.Run(tc.desc, func(t *testing.T) {
			r := p.postForm(t, "/c/vote", pledgeForm("Asha Verma", "9876543210", "N1", "en"), append(tc.header, "Accept-Language", "hi")...)
			wantStatus(t, r, http.StatusForbidden)
			// The portal's page, in the visitor's language, not a line of
			// English text.
			mustContain(t, r.text(), `<html lang="hi">`, htmlText(msg(t, "hi", "cross_origin")))
			if r.Header.Get("Location") != "" {
				t.Errorf("refused with Location %q", r.Header.Get("Location"))
			}
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
	allowed := []struct {
		desc   string
		header []string
	}{
		{"same-origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", p.URL}},
		{"Origin only", []string{"Origin", p.URL}},
	}
	for i, tc := range allowed {
		t.Run(tc.desc, func(t *testing.T) {
			r := p.postForm(t, "/c/vote", pledgeForm("Asha Verma", fmt.Sprintf("987654321%d", i), "N1", "en"), tc.header...)
			wantStatus(t, r, http.StatusSeeOther)
		})
	}
	if st := p.state(t, p.Campaign); st.Audit.Rows != 2 {
		t.Errorf("rows = %d, want 2", st.Audit.Rows)
	}
}

func TestFormRefused(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	good := pledgeForm("Asha Verma", "9876543210", "N1", "en")
	tests := []struct {
		desc        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantKey     string
	}{
		{"JSON body", "/c/vote", "application/json", jsonText(t, pledgeReq("Asha", "9876543210", "N1", "")), 415, "bad_request"},
		{"multipart", "/c/vote", "multipart/form-data; boundary=x", "--x--", 415, "bad_request"},
		{"oversize", "/c/vote", "application/x-www-form-urlencoded", good.Encode() + "&pad=" + strings.Repeat("a", 9<<10), 413, "bad_request"},
		{"field twice", "/c/vote", "application/x-www-form-urlencoded", good.Encode() + "&phone=9123456789", 400, "bad_request"},
		{"unknown campaign", "/c/nope", "application/x-www-form-urlencoded", good.Encode(), 404, "campaign_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := p.do(t, http.MethodPost, tc.path, strings.NewReader(tc.body), "Content-Type", tc.contentType)
			wantStatus(t, r, tc.wantStatus)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want an HTML page", ct)
			}
			mustContain(t, r.text(), htmlText(msg(t, "en", tc.wantKey)))
			p.requireUnchanged(t, p.Campaign, before)
		})
	}
}

// ---------------------------------------------------------------------------
// 3. Pages: GET /c/{slug}, GET /, not found

func TestCampaignPageLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tests := []struct {
		desc, query, acceptLang, want string
		explicit                      bool
	}{
		{"default", "", "", "en", false},
		{"query hi", "?lang=hi", "", "hi", true},
		{"Accept-Language hi", "", "hi-IN,hi;q=0.9", "hi", false},
		{"Accept-Language hi after en-GB", "", "en-GB;q=0.5,hi;q=0.9", "hi", false},
		{"Accept-Language unknown", "", "fr-FR,fr;q=0.9", "en", false},
		{"query beats header", "?lang=en", "hi-IN,hi;q=0.9", "en", true},
		{"unknown query falls back to header", "?lang=xx", "hi-IN", "hi", false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			var header []string
			if tc.acceptLang != "" {
				header = []string{"Accept-Language", tc.acceptLang}
			}
			r := p.get(t, "/c/vote"+tc.query, header...)
			wantStatus(t, r, http.StatusOK)
			body := r.text()
			title := map[string]string{"en": "Test pledge", "hi": "परीक्षण संकल्प"}[tc.want]
			text := map[string]string{"en": "I will vote.", "hi": "मैं मतदान करूँगा।"}[tc.want]
			mustContain(t, body,
				`<html lang="`+tc.want+`">`, "<title>"+title+"</title>", htmlText(text),
				htmlText(msg(t, tc.want, "take_pledge")),
				`<input type="hidden" name="lang" value="`+tc.want+`">`,
				// the visible language switch
				`<a href="/c/vote?lang=en" lang="en" hreflang="en"`, `<a href="/c/vote?lang=hi" lang="hi" hreflang="hi"`,
				`>English</a>`, `>हिन्दी</a>`,
			)
			// Leaves are the choices, in the page's language; the parent is a group.
			names := map[string][]string{"en": {"North", "North One", "North Two", "South One"}, "hi": {"उत्तर", "उत्तर एक", "उत्तर दो", "दक्षिण एक"}}[tc.want]
			mustContain(t, body, `<optgroup label="`+names[0]+`"><option value="N1">`+names[1]+`</option><option value="N2">`+names[2]+`</option></optgroup>`,
				`<option value="S1">`+names[3]+`</option>`)
			mustNotContain(t, body, "<script", `<option value="NORTH"`)
			if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			// One Vary line: nginx before 1.23 caches by the last line alone.
			vary := r.Header.Values("Vary")
			if len(vary) > 1 {
				t.Errorf("Vary on %d lines %q; a cache that keeps one would mix languages", len(vary), vary)
			}
			if got := strings.Contains(strings.Join(vary, ","), "Accept-Language"); got == tc.explicit {
				t.Errorf("Vary = %q; want Accept-Language in it: %v", vary, !tc.explicit)
			}
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") {
				t.Errorf("Cache-Control = %q, want public with max-age", cc)
			}
			// The page's form must post a real Origin: "null" (what no-referrer
			// makes browsers send) is refused where Sec-Fetch-Site is not sent.
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
				t.Errorf("Content-Security-Policy = %q, want default-src 'none' and no scripts", csp)
			}
		})
	}
}

func TestCampaignPageETagAndGzip(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	fetch := func(t *testing.T, path string, header ...string) response {
		t.Helper()
		return p.getRaw(t, path, header...)
	}

	plain := fetch(t, "/c/vote?lang=en")
	wantStatus(t, plain, http.StatusOK)
	if ce := plain.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q without Accept-Encoding", ce)
	}
	etag := plain.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	t.Run("If-None-Match", func(t *testing.T) {
		r := fetch(t, "/c/vote?lang=en", "If-None-Match", etag)
		wantStatus(t, r, http.StatusNotModified)
		if len(r.Body) != 0 {
			t.Errorf("304 with a body of %d bytes", len(r.Body))
		}
		if r.Header.Get("ETag") != etag {
			t.Errorf("304 ETag = %q, want %q", r.Header.Get("ETag"), etag)
		}
		// Another language is another page.
		hi := fetch(t, "/c/vote?lang=hi", "If-None-Match", etag)
		wantStatus(t, hi, http.StatusOK)
		if hi.Header.Get("ETag") == etag {
			t.Errorf("Hindi page has the English ETag %q", etag)
		}
		// A stale tag gets the page.
		wantStatus(t, fetch(t, "/c/vote?lang=en", "If-None-Match", `"stale"`), http.StatusOK)
	})

	t.Run("gzip", func(t *testing.T) {
		r := fetch(t, "/c/vote?lang=en", "Accept-Encoding", "gzip")
		wantStatus(t, r, http.StatusOK)
		wantGzipOf(t, r, plain)
		if vary := strings.Join(r.Header.Values("Vary"), ","); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", vary)
		}
		// Chosen by Accept-Language too: both on one line, which is all
		// nginx before 1.23 reads.
		byLang := fetch(t, "/c/vote", "Accept-Encoding", "gzip", "Accept-Language", "hi")
		if vary := byLang.Header.Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Language, Accept-Encoding" {
			t.Errorf("Vary = %q, want one line \"Accept-Language, Accept-Encoding\"", vary)
		}
	})

	// Regression: serve() once matched "gzip" anywhere in the header.
	t.Run("gzip refused with q=0", func(t *testing.T) {
		r := fetch(t, "/c/vote?lang=en", "Accept-Encoding", "gzip;q=0, identity")
		wantStatus(t, r, http.StatusOK)
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			t.Errorf("Content-Encoding = %q for Accept-Encoding gzip;q=0", ce)
		}
	})
}

func TestIndexListsOpenCampaigns(t *testing.T) {
	t.Parallel()
	english := storetest.Campaign("english-only")
	english.Languages, english.Title = []string{"en"}, pledge.Text{"en": "Clean City Pledge"}
	p := newPortal(t, withCampaign(closedCampaign("closed-one")), withCampaign(futureCampaign("future-one")), withCampaign(english))
	r := p.get(t, "/")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.text(), `href="/c/vote?lang=en"`, "Test pledge", htmlText(msg(t, "en", "open_campaigns")))
	mustNotContain(t, r.text(), "closed-one", "future-one", "<script")

	hi := p.get(t, "/?lang=hi")
	wantStatus(t, hi, http.StatusOK)
	mustContain(t, hi.text(), `href="/c/vote?lang=hi">परीक्षण संकल्प</a>`,
		// A campaign written only in English: its title marked as English
		// on the Hindi page (for screen readers), its link in English.
		`<a href="/c/english-only?lang=en" lang="en" hreflang="en">Clean City Pledge</a>`)
	mustNotContain(t, hi.text(), "closed-one", "future-one")
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withCampaign(storetest.Campaign("other")))
	rec := p.mustPledge(t, "vote", "Asha", "9876543210", "N1", "en")
	// A link with a token that leads nowhere says so, as a mail's link does.
	tests := []struct{ desc, path, says string }{
		{"unknown path", "/no/such/page", "not_found"},
		{"unknown campaign", "/c/nope", "campaign_not_found"},
		{"garbage token", "/certificate/not-a-token", "link_invalid"},
		{"forged token", "/certificate/AAAAAAAAAAAAAAAAAAAAAA", "link_invalid"},
		{"valid token, no pledge", "/certificate/" + p.Tokens.Encode(p.Campaign.ID, 999), "link_invalid"},
		{"thanks under another campaign", "/c/other/thanks/" + rec.Token, "link_invalid"},
		{"thanks with garbage token", "/c/vote/thanks/xyz", "link_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			r := p.get(t, tc.path)
			wantStatus(t, r, http.StatusNotFound)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want HTML", ct)
			}
			mustContain(t, r.text(), htmlText(msg(t, "en", tc.says)))
			mustNotContain(t, r.text(), "Asha")
		})
	}
	hi := p.get(t, "/no/such/page?lang=hi")
	wantStatus(t, hi, http.StatusNotFound)
	mustContain(t, hi.text(), msg(t, "hi", "not_found"))
}

// ---------------------------------------------------------------------------
// 4. JSON reads

func TestAPICampaigns(t *testing.T) {
	t.Parallel()
	closed := closedCampaign("closed")
	p := newPortal(t, withCampaign(closed), withCampaign(futureCampaign("future")))

	r := p.get(t, "/api/v1/campaigns")
	wantStatus(t, r, http.StatusOK)
	wantCacheable(t, r)
	type summary struct {
		Slug  string            `json:"slug"`
		Title map[string]string `json:"title"`
		Open  bool              `json:"open"`
	}
	list := decode[struct {
		Campaigns []summary `json:"campaigns"`
	}](t, r)
	title := map[string]string{"en": "Test pledge", "hi": "परीक्षण संकल्प"}
	want := []summary{{"vote", title, true}, {"closed", title, false}, {"future", title, false}}
	if diff := cmp.Diff(want, list.Campaigns); diff != "" {
		t.Errorf("campaigns (-want +got):\n%s", diff)
	}

	type region struct {
		Code   string            `json:"code"`
		Parent string            `json:"parent"`
		Name   map[string]string `json:"name"`
	}
	type detail struct {
		Slug        string            `json:"slug"`
		Title       map[string]string `json:"title"`
		Pledge      map[string]string `json:"pledge"`
		Languages   []string          `json:"languages"`
		RegionLabel map[string]string `json:"region_label"`
		Open        bool              `json:"open"`
		OpensAt     time.Time         `json:"opens_at"`
		ClosesAt    *time.Time        `json:"closes_at"`
		Email       string            `json:"email"`
		Regions     []region          `json:"regions"`
	}
	r = p.get(t, "/api/v1/campaigns/vote")
	wantStatus(t, r, http.StatusOK)
	wantCacheable(t, r)
	got := decode[detail](t, r)
	var regions []region
	for _, reg := range p.Campaign.Regions {
		regions = append(regions, region{reg.Code, reg.Parent, reg.Name})
	}
	// No region label of its own: the portal's wording, in each language.
	wantDetail := detail{Slug: "vote", Title: title, Pledge: p.Campaign.Pledge, Languages: []string{"en", "hi"},
		RegionLabel: map[string]string{"en": msg(t, "en", "region"), "hi": msg(t, "hi", "region")},
		Open:        true, OpensAt: p.Campaign.OpensAt, Email: "none", Regions: regions}
	if diff := cmp.Diff(wantDetail, got); diff != "" {
		t.Errorf("campaign (-want +got):\n%s", diff)
	}
	if got.Regions[1].Code != "N1" || got.Regions[1].Parent != "NORTH" || got.Regions[0].Parent != "" {
		t.Errorf("regions = %+v, want NORTH top-level and N1 under it", got.Regions)
	}

	r = p.get(t, "/api/v1/campaigns/closed")
	wantStatus(t, r, http.StatusOK)
	if c := decode[detail](t, r); c.Open || c.ClosesAt == nil || !c.ClosesAt.Equal(closed.ClosesAt) {
		t.Errorf("closed campaign: open %v, closes_at %v; want closed at %v", c.Open, c.ClosesAt, closed.ClosesAt)
	}

	for _, path := range []string{"/api/v1/campaigns/nope", "/api/v1/campaigns/nope/stats"} {
		r = p.get(t, path)
		wantStatus(t, r, http.StatusNotFound)
		if e := decode[apiError](t, r); e.Error != "not_found" || e.Message != msg(t, "en", "campaign_not_found") {
			t.Errorf("%s: error = %+v, want not_found saying there is no such campaign", path, e)
		}
	}
}

func wantCacheable(t *testing.T, r response) {
	t.Helper()
	cc := r.Header.Get("Cache-Control")
	if !regexp.MustCompile(`max-age=\d+`).MatchString(cc) || !regexp.MustCompile(`stale-while-revalidate=\d+`).MatchString(cc) {
		t.Errorf("Cache-Control = %q, want max-age and stale-while-revalidate", cc)
	}
}

type stats struct {
	Campaign  string           `json:"campaign"`
	Total     int64            `json:"total"`
	Regions   map[string]int64 `json:"regions"`
	Parents   map[string]int64 `json:"parents"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// checkStats fails t unless regions add up to the total and every parent to
// its children.
func checkStats(t *testing.T, c *pledge.Campaign, s stats) {
	t.Helper()
	var sum int64
	for _, n := range s.Regions {
		sum += n
	}
	if sum != s.Total {
		t.Errorf("regions %v add up to %d, total is %d", s.Regions, sum, s.Total)
	}
	children := map[string]int64{}
	for _, r := range c.Leaves() {
		if r.Parent != "" {
			children[r.Parent] += s.Regions[r.Code]
		}
	}
	if diff := cmp.Diff(children, s.Parents); diff != "" {
		t.Errorf("parents are not the sum of their children (-children +parents):\n%s", diff)
	}
}

// pollStats reads the stats until total is want or the deadline passes.
func (p *portal) pollStats(t *testing.T, slug string, want int64) (stats, response) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := p.get(t, "/api/v1/campaigns/"+slug+"/stats")
		wantStatus(t, r, http.StatusOK)
		s := decode[stats](t, r)
		if s.Total == want || time.Now().After(deadline) {
			return s, r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// While no pledge comes in, the stats keep their body and ETag from one
// read of the counts to the next, so a client or proxy revalidating gets
// 304 rather than the same counts again; a pledge changes both.
func TestAPIStatsETagStableWhileCountsAre(t *testing.T) {
	t.Parallel()
	var c clock
	p := newPortal(t, withTestClock(&c))
	first := p.get(t, "/api/v1/campaigns/vote/stats")
	etag := first.Header.Get("ETag")
	for range 3 {
		c.advance(5 * time.Second) // well past the counts' one-second freshness
		r := p.get(t, "/api/v1/campaigns/vote/stats", "If-None-Match", etag)
		wantStatus(t, r, http.StatusNotModified)
		if got := p.get(t, "/api/v1/campaigns/vote/stats"); got.Header.Get("ETag") != etag || string(got.Body) != string(first.Body) {
			t.Fatalf("unchanged counts, new answer: ETag %s (was %s), body %s (was %s)", got.Header.Get("ETag"), etag, got.Body, first.Body)
		}
	}
	p.mustPledge(t, "vote", "Asha", "9876543210", "N1", "en")
	c.advance(5 * time.Second)
	wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats", "If-None-Match", etag), http.StatusOK)
}

func TestAPIStats(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	r := p.get(t, "/api/v1/campaigns/vote/stats")
	wantStatus(t, r, http.StatusOK)
	wantCacheable(t, r)
	s0 := decode[stats](t, r)
	want := stats{Campaign: "vote", Regions: map[string]int64{"N1": 0, "N2": 0, "S1": 0}, Parents: map[string]int64{"NORTH": 0}}
	if diff := cmp.Diff(want, s0, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".UpdatedAt" }, cmp.Ignore())); diff != "" {
		t.Errorf("empty stats (-want +got):\n%s", diff)
	}
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("stats without ETag")
	}
	wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats", "If-None-Match", etag), http.StatusNotModified)

	perRegion := map[string]int{"N1": 3, "N2": 2, "S1": 4}
	var created int64
	i := 0
	for _, region := range storetest.Leaves {
		for range perRegion[region] {
			p.mustPledge(t, "vote", "Citizen", fmt.Sprintf("9%09d", i), region, "")
			created++
			i++
		}
	}
	// Refusals do not count.
	if r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Again", "+91 9000000000", "N2", "")); r.Status != http.StatusConflict {
		t.Fatalf("repeat: %v", r)
	}
	if r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Bad", "123", "N2", "")); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid: %v", r)
	}

	s, r := p.pollStats(t, "vote", created)
	if s.Total != created {
		t.Fatalf("stats total = %d after 5s, want %d successes", s.Total, created)
	}
	want = stats{Campaign: "vote", Total: created, Regions: map[string]int64{"N1": 3, "N2": 2, "S1": 4}, Parents: map[string]int64{"NORTH": 5}}
	if diff := cmp.Diff(want, s, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".UpdatedAt" }, cmp.Ignore())); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	checkStats(t, p.Campaign, s)
	if !s.UpdatedAt.After(s0.UpdatedAt) {
		t.Errorf("updated_at %v not after %v", s.UpdatedAt, s0.UpdatedAt)
	}
	if r.Header.Get("ETag") == etag {
		t.Errorf("ETag unchanged after new pledges")
	}
	wantStatus(t, p.get(t, "/api/v1/campaigns/vote/stats", "If-None-Match", etag), http.StatusOK)

	// The page and the index show the same total.
	mustContain(t, p.get(t, "/c/vote?lang=en").text(), "<strong>9</strong>")
	mustContain(t, p.get(t, "/").text(), "<strong>9</strong>")
}

// ---------------------------------------------------------------------------
// 5. Concurrency over real HTTP

// phoneForms writes the same 10-digit mobile number in the ways people do.
var phoneForms = []func(d string) string{
	func(d string) string { return "+91 " + d[:5] + "-" + d[5:] },
	func(d string) string { return "0" + d },
	func(d string) string { return "0091 " + d[:5] + " " + d[5:] },
	func(d string) string { return "(+91) " + d[:5] + " " + d[5:] },
	func(d string) string { return "91" + d },
	func(d string) string { return d },
}

// TestConcurrentSubmissions: 10,000 JSON pledges over real HTTP from 64
// clients, the last 20% repeating earlier numbers written another way.
// Exactly 8,000 get certificates numbered 1..8000 once each, 2,000 are told
// they are repeats, and the store's rows, counts and sequence agree.
// It dominates this file's run time (about 9-14s with -race on 2 CPUs).
func TestConcurrentSubmissions(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	const total, workers = 10000, 64
	const distinct = total * 8 / 10
	var (
		mu        sync.Mutex
		numbers   = make(map[int64]int)
		tokens    = make(map[string]bool)
		created   atomic.Int64
		conflicts atomic.Int64
		wg        sync.WaitGroup
	)
	bodies := make([][]byte, total)
	for i := range bodies {
		person, form := i, i
		if i >= distinct {
			person = i - distinct // the last 20% repeat earlier numbers...
			form = person + 1     // ...written another way
		}
		digits := fmt.Sprintf("9%09d", person)
		bodies[i] = []byte(jsonText(t, pledgeReq(fmt.Sprintf("Citizen %d", person), phoneForms[form%len(phoneForms)](digits),
			storetest.Leaves[person%3], []string{"en", "hi"}[person%2])))
	}
	target := p.URL + pledgesPath("vote")

	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				r, err := send(client, req)
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				switch r.Status {
				case http.StatusCreated:
					var rec receipt
					if err := json.Unmarshal(r.Body, &rec); err != nil {
						t.Errorf("request %d: %v", i, err)
						return
					}
					created.Add(1)
					mu.Lock()
					numbers[rec.Number]++
					tokens[rec.Token] = true
					mu.Unlock()
				case http.StatusConflict:
					conflicts.Add(1)
				default:
					t.Errorf("request %d: %v", i, r)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d submissions over HTTP in %v", total, time.Since(start))

	if created.Load() != distinct || conflicts.Load() != total-distinct {
		t.Errorf("got %d created and %d duplicates, want %d and %d", created.Load(), conflicts.Load(), distinct, total-distinct)
	}
	var wrong []int64
	for n := int64(1); n <= distinct; n++ {
		if numbers[n] != 1 {
			wrong = append(wrong, n)
		}
	}
	if len(wrong) > 0 || len(numbers) != distinct {
		t.Errorf("numbers are not exactly 1..%d once each: %d distinct, wrong: %v", distinct, len(numbers), wrong[:min(len(wrong), 20)])
	}
	if len(tokens) != distinct {
		t.Errorf("%d distinct tokens, want %d", len(tokens), distinct)
	}

	st := p.state(t, p.Campaign) // fails unless Audit is Consistent
	if st.Audit.Rows != distinct {
		t.Errorf("audit rows = %d, want %d", st.Audit.Rows, distinct)
	}
	perLeaf := map[string]int64{}
	for person := range distinct {
		perLeaf[storetest.Leaves[person%3]]++
	}
	if diff := cmp.Diff(pledge.Counts{Total: distinct, Regions: perLeaf}, st.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	s, _ := p.pollStats(t, "vote", distinct)
	if s.Total != distinct {
		t.Errorf("stats total = %d, want %d", s.Total, distinct)
	}
	checkStats(t, p.Campaign, s)
}

// ---------------------------------------------------------------------------
// 6. Overload

// blockingCommitter holds every batch until released, so the intake queue
// can be filled on purpose.
type blockingCommitter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlockingCommitter() *blockingCommitter {
	return &blockingCommitter{entered: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blockingCommitter) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := make([]store.Result, len(subs))
	for i, s := range subs {
		res[i].Receipt = pledge.Receipt{CampaignID: s.CampaignID, Number: int64(i + 1)}
	}
	return res, nil
}

func (b *blockingCommitter) unblock() { b.once.Do(func() { close(b.release) }) }

func TestOverloadAnswers503(t *testing.T) {
	t.Parallel()
	bc := newBlockingCommitter()
	p := newPortal(t, withCommitter(bc, 1))
	t.Cleanup(bc.unblock) // runs before the server and intake close
	before := p.state(t, p.Campaign)

	// One pledge holds the writer, a second waits in the queue of one.
	held := make(chan response, 2)
	post := func(phone string) {
		body := jsonText(t, pledgeReq("Held", phone, "N1", ""))
		go func() {
			req, _ := http.NewRequest(http.MethodPost, p.URL+pledgesPath("vote"), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			r, err := send(p.Client, req)
			if err != nil {
				r.Status = -1
				r.Body = []byte(err.Error())
			}
			held <- r
		}()
	}
	post("9000000001")
	select {
	case <-bc.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first pledge never reached the committer")
	}
	post("9000000002")
	for deadline := time.Now().Add(5 * time.Second); p.Intake.Len() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("queue length = %d, want 1", p.Intake.Len())
		}
	}

	t.Run("JSON", func(t *testing.T) {
		for _, lang := range []string{"en", "hi"} {
			start := time.Now()
			r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9876543210", "N1", lang))
			took := time.Since(start)
			t.Logf("JSON 503 (%s) in %v", lang, took)
			wantStatus(t, r, http.StatusServiceUnavailable)
			if took > 500*time.Millisecond {
				t.Errorf("503 took %v, want an answer at once", took)
			}
			if ra := r.Header.Get("Retry-After"); ra != "1" {
				t.Errorf("Retry-After = %q, want 1", ra)
			}
			want := apiError{Error: "overloaded", Message: msg(t, lang, "overloaded")}
			if diff := cmp.Diff(want, decode[apiError](t, r)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("form", func(t *testing.T) {
		start := time.Now()
		r := p.postForm(t, "/c/vote", pledgeForm("Asha Verma", "9876543210", "N1", "hi"))
		took := time.Since(start)
		t.Logf("form 503 in %v", took)
		wantStatus(t, r, http.StatusServiceUnavailable)
		if took > 500*time.Millisecond {
			t.Errorf("503 took %v, want an answer at once", took)
		}
		if ra := r.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After = %q, want 1", ra)
		}
		// The form comes back in Hindi with the name kept, to try again.
		mustContain(t, r.text(), htmlText(msg(t, "hi", "overloaded")), `name="name" value="Asha Verma"`, "<form",
			"<title>"+msg(t, "hi", "error_title")+" ") // the title says it was not taken
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
	})

	// Once the writer moves again, the held pledges are answered.
	bc.unblock()
	for range 2 {
		select {
		case r := <-held:
			if r.Status != http.StatusCreated {
				t.Errorf("held pledge: %v, want 201", r)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("held pledges were not answered after the release")
		}
	}
	// Nothing reached the store (the committer here is the fake).
	p.requireUnchanged(t, p.Campaign, before)
}

// TestOverloadRefusedAtOnce: with as many pledges in progress as the intake
// admits (however they are spread between checking, waiting and
// committing), the next is refused with 503 at once, before it is checked
// or counted against any limit; each answered request gives its place back.
func TestOverloadRefusedAtOnce(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	before := p.state(t, p.Campaign)
	places := 0
	for p.Intake.Admit() {
		places++
	}
	if places != 5000 {
		t.Fatalf("%d places, want the queue (4,000) and one batch (1,000)", places)
	}
	// A pledge for a campaign that does not exist: 404 if it were looked at.
	wantOverloaded(t, p.postJSON(t, pledgesPath("nope"), pledgeReq("Asha", "9876543210", "N1", "")))
	f := p.postForm(t, "/c/vote", pledgeForm("Asha Verma", "9876543210", "N1", "en"))
	wantStatus(t, f, http.StatusServiceUnavailable)
	mustContain(t, f.text(), htmlText(msg(t, "en", "overloaded")), `name="name" value="Asha Verma"`)
	p.requireUnchanged(t, p.Campaign, before)

	for range places {
		p.Intake.Release()
	}
	wantStatus(t, p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9876543210", "N1", "")), http.StatusCreated)
	wantStatus(t, p.postForm(t, "/c/vote", pledgeForm("Ravi", "9876543211", "N1", "en")), http.StatusSeeOther)
	if n := p.Intake.InProgress(); n != 0 {
		t.Errorf("%d pledges in progress after every answer, want 0", n)
	}
}

// wantOverloaded fails t unless r is the API's 503 "overloaded", with
// Retry-After.
func wantOverloaded(t *testing.T, r response) {
	t.Helper()
	wantStatus(t, r, http.StatusServiceUnavailable)
	if ra := r.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	if e := decode[apiError](t, r); e.Error != "overloaded" {
		t.Errorf("body = %+v, want error overloaded", e)
	}
}

// TestShuttingDownAnswers503: once the intake stops taking pledges (the
// server is draining), a pledge is told to come back, not lost or 500.
func TestShuttingDownAnswers503(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Intake.Close(ctx); err != nil {
		t.Fatal(err)
	}
	before := p.state(t, p.Campaign)
	r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9876543210", "N1", ""))
	wantOverloaded(t, r)
	f := p.postForm(t, "/c/vote", pledgeForm("Asha", "9876543210", "N1", "en"))
	wantStatus(t, f, http.StatusServiceUnavailable)
	mustContain(t, f.text(), htmlText(msg(t, "en", "overloaded")))
	p.requireUnchanged(t, p.Campaign, before)
}

// ---------------------------------------------------------------------------
// 7. Health

func TestHealth(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	type health struct {
		Status     string `json:"status"`
		Database   string `json:"database"`
		RateLimits string `json:"rate_limits"`
	}
	r := p.get(t, "/healthz")
	wantStatus(t, r, http.StatusOK)
	if h := decode[health](t, r); h.Status != "ok" {
		t.Errorf("healthz = %+v", h)
	}
	r = p.get(t, "/readyz")
	wantStatus(t, r, http.StatusOK)
	if diff := cmp.Diff(health{"ok", "ok", "local"}, decode[health](t, r)); diff != "" {
		t.Errorf("readyz (-want +got):\n%s", diff)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("readyz Cache-Control = %q, want no-store", cc)
	}

	if err := p.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r = p.get(t, "/readyz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	if h := decode[health](t, r); h.Status != "unavailable" {
		t.Errorf("readyz after close = %+v", h)
	}
	// Liveness does not depend on the database.
	wantStatus(t, p.get(t, "/healthz"), http.StatusOK)
}

// A second tap, or the form sent again from the browser's history, finds
// the certificate again rather than "already pledged", but only for the
// browser that pledged and only for the name and number it pledged with
// (past the minutes in which the very same form does so without the
// cookie).
func TestFormResentGoesBackToItsCertificate(t *testing.T) {
	t.Parallel()
	var clk clock
	p := newPortal(t, withTestClock(&clk))
	other := p.mustPledge(t, "vote", "Ravi Othername", "9123456789", "S1", "en")
	form := pledgeForm("Asha Verma", "+91 98765-43210", "N1", "hi")
	first := p.postForm(t, "/c/vote", form)
	wantStatus(t, first, http.StatusSeeOther)
	thanks := first.Header.Get("Location")
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: first.Header}).Cookies() {
		if c.Name == fmt.Sprintf("pledged-%d", p.Campaign.ID) {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no receipt cookie after a counted pledge; Set-Cookie %q", first.Header.Values("Set-Cookie"))
	}
	if !ck.HttpOnly || ck.Path != "/c/vote" || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 {
		t.Errorf("receipt cookie %+v, want HttpOnly, Path /c/vote, SameSite Lax, an age", ck)
	}
	if strings.Contains(ck.Value, "98765") {
		t.Errorf("receipt cookie %q holds the mobile number", ck.Value)
	}
	cookie := ck.Name + "=" + ck.Value
	before := p.state(t, p.Campaign)
	clk.advance(time.Hour) // past the re-tap window: only the cookie leads back

	again := p.postForm(t, "/c/vote", form, "Cookie", cookie)
	wantStatus(t, again, http.StatusSeeOther)
	if got := again.Header.Get("Location"); got != thanks {
		t.Errorf("the same form again went to %q, want its thank-you page %q", got, thanks)
	}

	refused := func(name string, r response) {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		if loc := r.Header.Get("Location"); loc != "" {
			t.Errorf("%s: went to %q, want the refusal", name, loc)
		}
		body := bodyOnly(r.text())
		mustContain(t, body, htmlText(msg(t, "hi", "duplicate")))
		mustNotContain(t, body, "/thanks/", "/certificate/", other.Token)
	}
	// Another number that has pledged, from the same browser: the refusal,
	// not the certificate the cookie names.
	refused("other number", p.postForm(t, "/c/vote", pledgeForm("Ravi", "9123456789", "S1", "hi"), "Cookie", cookie))
	// Someone else with the same number on the same phone, a family's
	// shared one: told the number has pledged, not thanked for a pledge
	// that is not theirs.
	refused("other name", p.postForm(t, "/c/vote", pledgeForm("Sunita Verma", "+91 98765-43210", "N1", "hi"), "Cookie", cookie))
	// The right number with a cookie naming another certificate under the
	// same tag: refused too.
	token, tag, _ := strings.Cut(ck.Value, ".")
	forged := ck.Name + "=" + other.Token + "." + tag
	if other.Token == token {
		t.Fatal("test setup: both pledges have one token")
	}
	refused("forged cookie", p.postForm(t, "/c/vote", form, "Cookie", forged))
	refused("no cookie", p.postForm(t, "/c/vote", form))
	p.requireUnchanged(t, p.Campaign, before)
}

// On a slow link a second tap aborts the first request, and with it the
// answer that set the cookie: the very same form (name, number, region)
// within minutes of the pledge leads back to its certificate anyway. A
// different name or region with that number is refused, as is the same
// form once the minutes have passed.
func TestFormSecondTapWithoutCookie(t *testing.T) {
	t.Parallel()
	var clk clock
	p := newPortal(t, withTestClock(&clk))
	form := pledgeForm("Asha Verma", "+91 98765-43210", "N1", "en")
	first := p.postForm(t, "/c/vote", form)
	wantStatus(t, first, http.StatusSeeOther)
	before := p.state(t, p.Campaign)
	clk.advance(2 * time.Minute)
	again := p.postForm(t, "/c/vote", form) // no cookie: the first answer never arrived
	wantStatus(t, again, http.StatusSeeOther)
	if got, want := again.Header.Get("Location"), first.Header.Get("Location"); got != want {
		t.Errorf("the same form again went to %q, want %q", got, want)
	}
	for name, f := range map[string]url.Values{
		"other name":   pledgeForm("Someone Else", "+91 98765-43210", "N1", "en"),
		"other region": pledgeForm("Asha Verma", "+91 98765-43210", "S1", "en"),
	} {
		if r := p.postForm(t, "/c/vote", f); r.Status != http.StatusOK || r.Header.Get("Location") != "" {
			t.Errorf("%s: %d to %q, want the refusal", name, r.Status, r.Header.Get("Location"))
		}
	}
	clk.advance(time.Hour)
	if r := p.postForm(t, "/c/vote", form); r.Status != http.StatusOK || r.Header.Get("Location") != "" {
		t.Errorf("an hour later: %d to %q, want the refusal", r.Status, r.Header.Get("Location"))
	}
	p.requireUnchanged(t, p.Campaign, before)
}

// Rendered pages (the index, a certificate...) go out gzipped to a client
// that accepts it, with Vary, and plain to one that does not.
func TestRenderedPagesGzipped(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "hi")
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	t.Cleanup(raw.CloseIdleConnections)
	for _, path := range []string{"/?lang=hi", "/certificate/" + rec.Token + "?lang=hi"} {
		get := func(enc string) *http.Response {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, p.URL+path, nil)
			if enc != "" {
				req.Header.Set("Accept-Encoding", enc)
			}
			res, err := raw.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		plain := get("")
		body, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		zipped := get("gzip, deflate, br")
		zbody, _ := io.ReadAll(zipped.Body)
		zipped.Body.Close()
		if plain.Header.Get("Content-Encoding") != "" || zipped.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: Content-Encoding %q without gzip, %q with it", path, plain.Header.Get("Content-Encoding"), zipped.Header.Get("Content-Encoding"))
			continue
		}
		if v := zipped.Header.Get("Vary"); !strings.Contains(v, "Accept-Encoding") {
			t.Errorf("%s: Vary %q, want Accept-Encoding", path, v)
		}
		zr, err := gzip.NewReader(bytes.NewReader(zbody))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, body) || len(zbody) >= len(body) {
			t.Errorf("%s: %d bytes gzipped to %d, unzipped equal: %v", path, len(body), len(zbody), bytes.Equal(unzipped, body))
		}
	}
}

// TestCountWords: one pledge is "1 pledge so far", any other count
// "pledges", on the campaign page and the list of campaigns.
func TestCountWords(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	mustContain(t, p.get(t, "/c/vote?lang=en").text(), "<strong>0</strong> pledges so far")
	p.mustPledge(t, "vote", "Asha", "9876543210", "N1", "en")
	p.pollStats(t, "vote", 1)
	for _, path := range []string{"/c/vote?lang=en", "/?lang=en"} {
		mustContain(t, p.get(t, path).text(), "<strong>1</strong> pledge so far")
	}
	// In Hindi the words come first: "so far 1 pledge".
	for _, path := range []string{"/c/vote?lang=hi", "/?lang=hi"} {
		mustContain(t, p.get(t, path).text(), "अब तक <strong>1</strong> संकल्प")
	}
}

// TestSlowBodyHoldsNoPlace: a client that sends its pledge's body slowly
// holds no place in the intake while it does, so slow clients cannot fill
// the places and turn everyone else away.
func TestSlowBodyHoldsNoPlace(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := jsonText(t, pledgeReq("Asha", "9876543210", "N1", ""))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		pledgesPath("vote"), len(body), body[:5])
	time.Sleep(200 * time.Millisecond) // the handler is reading the body by now
	if n := p.Intake.InProgress(); n != 0 {
		t.Errorf("%d places held by a body still arriving, want 0", n)
	}
	if _, err := io.WriteString(conn, body[5:]); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusCreated {
		t.Errorf("the slow pledge: %d, want 201", r.StatusCode)
	}
}

// TestReadyzWhileCommitsFail: a database that answers but stores nothing
// (a full disk), three commits in a row, makes /readyz fail, so that a load balancer sends pledges
// elsewhere; one commit that succeeds makes it ready again.
func TestReadyzWhileCommitsFail(t *testing.T) {
	t.Parallel()
	full := &fullDisk{}
	full.full.Store(true)
	p := newPortal(t, withCommitter(full, 0))
	full.Committer = p.Store

	for i := range 3 { // one or two failures are a blip; three in a row are not
		wantStatus(t, p.get(t, "/readyz"), http.StatusOK)
		r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", fmt.Sprintf("987654321%d", i), "N1", "en"))
		wantStatus(t, r, http.StatusServiceUnavailable)
	}
	r := p.get(t, "/readyz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	if h := decode[map[string]any](t, r); h["status"] != "unavailable" || h["database"] != "not storing pledges" {
		t.Errorf("readyz while commits fail = %v", h)
	}
	wantStatus(t, p.get(t, "/healthz"), http.StatusOK)

	full.full.Store(false)
	wantStatus(t, p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9876543210", "N1", "en")), http.StatusCreated)
	wantStatus(t, p.get(t, "/readyz"), http.StatusOK)
}

// fullDisk fails every commit as SQLite does on a full disk while full is
// set, and commits through Committer otherwise.
type fullDisk struct {
	intake.Committer
	full atomic.Bool
}

func (f *fullDisk) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	if f.full.Load() {
		return nil, errors.New("commit batch: database or disk is full (13)")
	}
	return f.Committer.CommitBatch(ctx, subs)
}
