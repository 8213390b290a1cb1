package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// verifyPath is the verification page of pledge number of the portal's
// campaign "vote".
func (p *portal) verifyPath(number int64) string {
	return p.Links.VerifyPath(p.Campaign.ID, number)
}

// wantVerifyHeaders checks what the public verification page sends: public,
// always revalidated, with a validator, never indexed.
func wantVerifyHeaders(t *testing.T, r response) {
	t.Helper()
	if cc := r.Header.Get("Cache-Control"); cc != "public, no-cache" {
		t.Errorf("Cache-Control = %q, want public, no-cache", cc)
	}
	if r.Header.Get("ETag") == "" {
		t.Error("no ETag")
	}
	if xr := r.Header.Get("X-Robots-Tag"); xr != "noindex" {
		t.Errorf("X-Robots-Tag = %q, want noindex", xr)
	}
}

func TestVerifyPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Ravi Kumar", "9876543210", "N1", "en")
	hi := p.mustPledge(t, "vote", "रवि कुमार", "9876543211", "N2", "hi")

	for _, tc := range []struct {
		name, path, lang, masked string
		nameLang                 string // the name's lang attribute, where its script is the other language's
		full                     []string
		header                   []string
	}{
		{"latin name", p.verifyPath(rec.Number), "en", "R*** K***", "", []string{"Ravi", "Kumar", "avi K"}, nil},
		{"latin name in Hindi", p.verifyPath(rec.Number) + "?lang=hi", "hi", "R*** K***", ` lang="en"`, []string{"Ravi", "Kumar"}, nil},
		{"devanagari name", p.verifyPath(hi.Number), "en", "र*** कु***", ` lang="hi"`, []string{"रवि", "कुमार"}, nil},
		{"Accept-Language", p.verifyPath(hi.Number), "hi", "र*** कु***", "", []string{"रवि", "कुमार"}, []string{"Accept-Language", "hi-IN,hi;q=0.9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.get(t, tc.path, tc.header...)
			wantStatus(t, r, http.StatusOK)
			wantVerifyHeaders(t, r)
			body := r.text()
			number := "#1"
			if tc.masked != "R*** K***" {
				number = "#2"
			}
			mustContain(t, body, `<html lang="`+tc.lang+`">`, `<span class="masked" dir="auto"`+tc.nameLang+`>`+maskedHTML(tc.masked)+`</span>`,
				`id="status-valid"`, htmlText(msg(t, tc.lang, "verify_status_valid")), htmlText(msg(t, tc.lang, "verify_valid")),
				htmlText(msg(t, tc.lang, "verify_name_hint")), number,
				`hreflang="en"`, `hreflang="hi"`) // the language switch
			if tc.lang == "hi" {
				mustContain(t, body, "परीक्षण संकल्प")
			} else {
				mustContain(t, body, "Test pledge")
			}
			// Nothing personal: no full name, no mobile number, no link
			// to the certificate (which shows the full name).
			mustNotContain(t, bodyOnly(body), append(tc.full, "9876543210", "98765", "3210", "3211", "/certificate/",
				rec.Token, hi.Token)...)
		})
	}

	// Revalidation answers 304 while nothing changed.
	r := p.get(t, p.verifyPath(rec.Number)+"?lang=en")
	etag := r.Header.Get("ETag")
	nm := p.get(t, p.verifyPath(rec.Number)+"?lang=en", "If-None-Match", etag)
	wantStatus(t, nm, http.StatusNotModified)
	if len(nm.Body) != 0 {
		t.Errorf("304 with a body of %d bytes", len(nm.Body))
	}
	if v := r.Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Encoding" {
		t.Errorf("Vary = %q with ?lang=, want Accept-Encoding", v)
	}
	if v := p.get(t, p.verifyPath(rec.Number)).Header.Values("Vary"); len(v) != 1 || v[0] != "Accept-Language, Accept-Encoding" {
		t.Errorf("Vary = %q without ?lang=, want \"Accept-Language, Accept-Encoding\"", v)
	}
	if h := p.do(t, http.MethodHead, p.verifyPath(rec.Number), nil); h.Status != http.StatusOK || len(h.Body) != 0 {
		t.Errorf("HEAD = %v, want 200 without body", h)
	}
}

// TestVerifyPageGzip: a phone on 2G that scans the code gets the page
// compressed, the same page once unzipped, under the same ETag.
func TestVerifyPageGzip(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Ravi Kumar", "9876543210", "N1", "en")
	path := p.verifyPath(rec.Number) + "?lang=en"
	plain := p.getRaw(t, path)
	wantStatus(t, plain, http.StatusOK)
	if ce := plain.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q without Accept-Encoding", ce)
	}
	gz := p.getRaw(t, path, "Accept-Encoding", "gzip")
	wantStatus(t, gz, http.StatusOK)
	wantGzipOf(t, gz, plain)
	if gz.Header.Get("ETag") != plain.Header.Get("ETag") {
		t.Errorf("ETag %q gzipped, %q plain", gz.Header.Get("ETag"), plain.Header.Get("ETag"))
	}
	if ce := p.getRaw(t, path, "Accept-Encoding", "gzip;q=0").Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q for gzip;q=0", ce)
	}
}

// TestVerifyPageVoid: the page says at once that a pledge was withdrawn or
// invalidated, in words and not only in colour, and the old page's ETag no
// longer revalidates.
func TestVerifyPageVoid(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	withdrawn := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	invalid := p.mustPledge(t, "vote", "Ravi Kumar", "9876543211", "S1", "en")
	kept := p.mustPledge(t, "vote", "Meera Nair", "9876543212", "N2", "en")
	etags := map[int64]string{}
	for _, rec := range []receipt{withdrawn, invalid, kept} {
		r := p.get(t, p.verifyPath(rec.Number)+"?lang=en")
		mustContain(t, r.text(), `id="status-valid"`)
		etags[rec.Number] = r.Header.Get("ETag")
	}

	ctx := context.Background()
	if err := p.Store.Withdraw(ctx, p.Campaign.ID, withdrawn.Number, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.Invalidate(ctx, p.Campaign.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "tester", nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		number int64
		status string
	}{
		{"withdrawn", withdrawn.Number, "withdrawn"},
		{"invalidated", invalid.Number, "invalidated"},
		{"untouched", kept.Number, "valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []string{"en", "hi"} {
				path := p.verifyPath(tc.number) + "?lang=" + lang
				r := p.get(t, path, "If-None-Match", etags[tc.number])
				if tc.status == "valid" {
					if lang == "en" {
						wantStatus(t, r, http.StatusNotModified)
						continue
					}
				} else {
					wantStatus(t, r, http.StatusOK) // the old page no longer revalidates
				}
				if r.Status == http.StatusNotModified {
					continue
				}
				wantVerifyHeaders(t, r)
				body := r.text()
				mustContain(t, body, `id="status-`+tc.status+`"`, htmlText(msg(t, lang, "verify_status_"+tc.status)),
					htmlText(msg(t, lang, "verify_"+tc.status)))
				if tc.status != "valid" {
					mustContain(t, body, `class="verdict alert"`, `<span aria-hidden="true">✗</span>`)
					mustNotContain(t, body, htmlText(msg(t, lang, "verify_valid")))
				}
			}
		})
	}
}

// TestVerifyPageNotFound: only a verification token opens the page; any
// other answers 404 "link not valid".
func TestVerifyPageNotFound(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	id, n := p.Campaign.ID, rec.Number
	l := p.Links
	for _, tc := range []struct{ name, token string }{
		{"garbage", "not-a-token"},
		{"forged", "AAAAAAAAAAAAAAAAAAAAAA"},
		{"no such pledge", l.Verify.Encode(id, 99)},
		{"no such campaign", l.Verify.Encode(999, n)},
		{"certificate token", l.Certificate.Encode(id, n)},
		{"confirm token", l.Confirm.Encode(id, n)},
		{"withdraw token", l.Withdraw.Encode(id, n)},
		{"pending token", l.Pending.Encode(id, n)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.get(t, "/verify/"+tc.token+"?lang=hi")
			wantStatus(t, r, http.StatusNotFound)
			mustContain(t, r.text(), htmlText(msg(t, "hi", "link_invalid")))
			mustNotContain(t, bodyOnly(r.text()), "Asha")
		})
	}
	// The verification token opens neither the certificate nor the withdrawal page.
	wantStatus(t, p.get(t, "/certificate/"+l.Verify.Encode(id, n)), http.StatusNotFound)
	wantStatus(t, p.get(t, "/c/vote/withdraw/"+l.Verify.Encode(id, n)), http.StatusNotFound)
}

// A name written right to left, masked on the verification page and in
// full on the certificate, takes its direction from its own letters, so
// the mask's asterisks stay after each part as the name reads.
func TestRightToLeftNameHasItsOwnDirection(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "عمران خان", "9876543210", "N1", "en")
	v := p.get(t, p.verifyPath(rec.Number))
	wantStatus(t, v, http.StatusOK)
	mustContain(t, v.text(), `<span class="masked" dir="auto"`, maskedHTML(pledge.MaskName("عمران خان"))+`</span>`)
	c := p.get(t, rec.CertificateURL)
	wantStatus(t, c, http.StatusOK)
	mustContain(t, c.text(), `<p class="name" dir="auto"`, `>عمران خان</p>`)
}

// maskedHTML is a masked name ("R*** K***") as the pages write it: the
// stars hidden from screen readers.
func maskedHTML(masked string) string {
	return strings.ReplaceAll(masked, "***", `<span aria-hidden="true">***</span>`)
}
