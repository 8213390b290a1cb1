package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// correctName sends the name correction form of the private link withdraw
// as the page's form does.
func (p *portal) correctName(t *testing.T, withdraw, lang, name string, header ...string) response {
	t.Helper()
	return p.postForm(t, withdraw+"/name?lang="+lang, url.Values{"name": {name}}, append(p.sameOrigin(), header...)...)
}

// storedName is the name pledge number of c has in the store.
func (p *portal) storedName(t *testing.T, c *pledge.Campaign, number int64) pledge.Pledge {
	t.Helper()
	pl, err := p.Store.Pledge(context.Background(), c.ID, number)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// nameActions are the audit log's name corrections, newest first.
func (p *portal) nameActions(t *testing.T) []pledge.Action {
	t.Helper()
	acts, err := p.Store.Actions(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []pledge.Action
	for _, a := range acts {
		if a.Kind == "pledge-name" {
			out = append(out, a)
		}
	}
	return out
}

// pictures are the versioned picture URLs a certificate page links.
func pictures(t *testing.T, page response) (share, full string) {
	t.Helper()
	m := imgRE.FindStringSubmatch(page.text())
	if m == nil {
		t.Fatalf("no share picture on the page:\n%s", clip(page.text()))
	}
	f := fullRE.FindStringSubmatch(page.text())
	if f == nil {
		t.Fatalf("no link to the full picture on the page:\n%s", clip(page.text()))
	}
	return strings.ReplaceAll(m[1], "&amp;", "&"), strings.ReplaceAll(f[1], "&amp;", "&")
}

var fullRE = regexp.MustCompile(`href="(/certificate/[A-Za-z0-9_-]{22}/certificate\.png\?lang=[a-z]+&amp;v=[0-9a-f]{16})"`)

// TestCorrectNameThroughPrivateLink: the citizen corrects the name of
// their pledge on its private link's page, in a form that needs no
// script; the name is checked as the pledge form checks it, and a refused
// one comes back as typed, in the page's language, changing nothing. The
// correction is recorded with actor "citizen"; counts stay; after it the
// certificate page, its pictures (new version, new ETag) and the
// verification page show the new name at once, and the picture's old
// version leads to the new one.
func TestCorrectNameThroughPrivateLink(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	rec := p.mustPledge(t, "vote", "Eamesh Kumar", "9876543210", "N1", "en")
	p.mustPledge(t, "vote", "Sita Devi", "9876543211", "S1", "en")
	withdraw := p.Links.WithdrawPath("vote", p.Campaign.ID, rec.Number)
	verify := p.Links.VerifyPath(p.Campaign.ID, rec.Number)

	page := p.get(t, withdraw)
	wantStatus(t, page, http.StatusOK)
	wantLinkHeaders(t, page)
	mustContain(t, page.text(), msg(t, "en", "name_fix_title"), `id="current-name">Eamesh Kumar<`,
		`<form method="post" action="`+withdraw+`/name?lang=en" id="name-form">`, `name="name" value="Eamesh Kumar"`,
		fmt.Sprintf(msg(t, "en", "name_fix_left"), "3"), msg(t, "en", "name_fix_button"),
		// Withdrawal is still offered.
		`<form method="post" action="`+withdraw+`?lang=en"`)
	mustNotContain(t, bodyOnly(page.text()), "<script")
	hi := p.get(t, withdraw+"?lang=hi")
	mustContain(t, hi.text(), `<html lang="hi">`, msg(t, "hi", "name_fix_title"), msg(t, "hi", "name_fix_button"),
		fmt.Sprintf(msg(t, "hi", "name_fix_left"), "3"), `action="`+withdraw+`/name?lang=hi"`)

	oldPage := p.get(t, rec.CertificateURL)
	oldShare, oldFull := pictures(t, oldPage)
	oldImg := p.get(t, oldFull)
	wantStatus(t, oldImg, http.StatusOK)
	oldVerify := p.get(t, verify+"?lang=en")
	mustContain(t, oldVerify.text(), `E<span aria-hidden="true">***</span> K<span aria-hidden="true">***</span>`)
	before := p.state(t, p.Campaign)

	// Refused: the name as typed comes back with the reason, in the page's
	// language; nothing changes.
	for _, tc := range []struct{ lang, name, key string }{
		{"en", "Ramesh 🙂", pledge.MsgNameLetters},
		{"hi", "12345", pledge.MsgNameNoLetters},
		{"en", " ", pledge.MsgNameRequired},
	} {
		r := p.correctName(t, withdraw, tc.lang, tc.name)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantLinkHeaders(t, r)
		mustContain(t, r.text(), `<html lang="`+tc.lang+`">`, htmlText(msg(t, tc.lang, tc.key)),
			`name="name" value="`+htmlText(tc.name)+`"`, `aria-invalid="true"`)
	}
	r := p.postForm(t, withdraw+"/name?lang=en", url.Values{"name": {"Ramesh Kumar"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantStatus(t, r, http.StatusForbidden)
	if got := p.storedName(t, p.Campaign, 1).Name; got != "Eamesh Kumar" {
		t.Fatalf("name %q after refusals, want unchanged", got)
	}
	if acts := p.nameActions(t); len(acts) != 0 {
		t.Fatalf("refusals recorded %+v", acts)
	}

	// The correction, typed as on a phone.
	r = p.correctName(t, withdraw, "en", "  Ramesh   Kumar ")
	wantStatus(t, r, http.StatusSeeOther)
	if got, want := r.Header.Get("Location"), withdraw+"?lang=en&name=corrected"; got != want {
		t.Fatalf("corrected, sent to %q, want %q", got, want)
	}
	done := p.get(t, r.Header.Get("Location"))
	mustContain(t, done.text(), msg(t, "en", "name_fix_done"), `id="current-name">Ramesh Kumar<`,
		fmt.Sprintf(msg(t, "en", "name_fix_left"), "2"))
	if pl := p.storedName(t, p.Campaign, 1); pl.Name != "Ramesh Kumar" || pl.NameCorrections != 1 {
		t.Errorf("stored %q after %d corrections, want %q after 1", pl.Name, pl.NameCorrections, "Ramesh Kumar")
	}
	acts := p.nameActions(t)
	if len(acts) != 1 || acts[0].Actor != "citizen" || acts[0].Remote != "" ||
		acts[0].Detail != `vote #1: "Eamesh Kumar" → "Ramesh Kumar"; through the link of the confirmation mail` {
		t.Errorf("audit log %+v, want the citizen's correction", acts)
	}
	p.requireUnchanged(t, p.Campaign, before) // counts, numbers, rows

	// The certificate and all that shows it, at once.
	cert := p.get(t, rec.CertificateURL)
	mustContain(t, cert.text(), ">Ramesh Kumar<", `content="Ramesh Kumar took the pledge`)
	mustNotContain(t, cert.text(), "Eamesh")
	share, full := pictures(t, cert)
	if share == oldShare || full == oldFull {
		t.Fatalf("the page links the same picture versions after the correction: %s", share)
	}
	img := p.get(t, full)
	wantStatus(t, img, http.StatusOK)
	wantImageHeaders(t, img)
	decodePNG(t, img, 1600, 1130)
	if img.Header.Get("ETag") == oldImg.Header.Get("ETag") || bytes.Equal(img.Body, oldImg.Body) {
		t.Error("the picture after the correction is the one before")
	}
	if !strings.HasPrefix(img.Header.Get("ETag"), `"`+full[strings.Index(full, "v=")+2:]) {
		t.Errorf("picture %s has ETag %s: not the version linked", full, img.Header.Get("ETag"))
	}
	// A revalidation of the old picture under its address without a
	// version is answered with the new one.
	bare := strings.Split(full, "&v=")[0]
	reval := p.get(t, bare, "If-None-Match", oldImg.Header.Get("ETag"))
	wantStatus(t, reval, http.StatusOK)
	if !bytes.Equal(reval.Body, img.Body) {
		t.Error("the unversioned picture is not the corrected one")
	}
	// The old version is answered with the new picture, which no cache
	// may keep under that address.
	for _, tc := range []struct{ old, now string }{{oldFull, full}, {oldShare, share}} {
		r := p.get(t, tc.old)
		wantStatus(t, r, http.StatusOK)
		now := p.get(t, tc.now)
		if !bytes.Equal(r.Body, now.Body) || r.Header.Get("ETag") != now.Header.Get("ETag") {
			t.Errorf("old version %s: not the picture of %s", tc.old, tc.now)
		}
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("X-Accel-Expires") != "0" {
			t.Errorf("old version %s: Cache-Control %q, X-Accel-Expires %q; want no-store and 0",
				tc.old, r.Header.Get("Cache-Control"), r.Header.Get("X-Accel-Expires"))
		}
	}
	v := p.get(t, verify+"?lang=en", "If-None-Match", oldVerify.Header.Get("ETag"))
	wantStatus(t, v, http.StatusOK)
	mustContain(t, v.text(), `R<span aria-hidden="true">***</span> K<span aria-hidden="true">***</span>`)

	// The same name again is no correction: none counted, none recorded.
	r = p.correctName(t, withdraw, "en", "Ramesh Kumar")
	wantStatus(t, r, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != withdraw+"?lang=en" {
		t.Errorf("the same name again sent to %q, want the page without a notice", got)
	}
	if n := len(p.nameActions(t)); n != 1 {
		t.Errorf("%d corrections recorded, want 1", n)
	}

	// Three corrections in all; then the page says to ask the campaign.
	for _, name := range []string{"Ramesh K", "Ramesh Kumar"} {
		wantStatus(t, p.correctName(t, withdraw, "hi", name), http.StatusSeeOther)
	}
	used := p.get(t, withdraw+"?lang=hi")
	mustContain(t, used.text(), msg(t, "hi", "name_fix_used"), `id="current-name">Ramesh Kumar<`)
	mustNotContain(t, used.text(), `id="name-form"`)
	r = p.correctName(t, withdraw, "en", "Someone Else")
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.text(), htmlText(msg(t, "en", "name_fix_used")))
	if got := p.storedName(t, p.Campaign, 1).Name; got != "Ramesh Kumar" {
		t.Errorf("name %q after the corrections were used up", got)
	}
	if got := p.storedName(t, p.Campaign, 2).Name; got != "Sita Devi" {
		t.Errorf("the other pledge's name %q changed", got)
	}
}

// TestCorrectNameOnlyWhileOpen: once the campaign has ended the page says
// the name can no longer be corrected there, and a correction sent anyway
// changes nothing; a withdrawn or invalidated pledge's page offers none,
// the invalidated one's saying why.
func TestCorrectNameOnlyWhileOpen(t *testing.T) {
	t.Parallel()
	ends := time.Now().Add(time.Hour)
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	c := storetest.Campaign("ends")
	c.ClosesAt = ends
	p := newPortal(t, withCampaign(c), withClock(func() time.Time { return time.Unix(0, now.Load()) }))
	for i, region := range []string{"N1", "N1", "S1"} {
		p.mustPledge(t, "ends", "Asha Verma", fmt.Sprintf("987654321%d", i), region, "en")
	}
	withdraw := func(n int64) string { return p.Links.WithdrawPath("ends", c.ID, n) }
	wantStatus(t, p.correctName(t, withdraw(1), "en", "Asha Varma"), http.StatusSeeOther)

	// Withdrawn, invalidated: no name to correct.
	wantStatus(t, p.press(t, withdraw(2)), http.StatusSeeOther)
	if _, err := p.Store.Invalidate(context.Background(), c.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "deo", nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{2, 3} {
		r := p.get(t, withdraw(n))
		mustNotContain(t, r.text(), `id="name-form"`)
		if n == 2 { // withdrawn: the page says so, and shows no name
			mustNotContain(t, r.text(), msg(t, "en", "name_fix_title"))
		} else { // invalidated: the page says why the name stays
			mustContain(t, r.text(), htmlText(msg(t, "en", "name_fix_invalidated")))
		}
		r = p.correctName(t, withdraw(n), "en", "Someone Else")
		wantStatus(t, r, http.StatusConflict)
		if n == 3 {
			mustContain(t, r.text(), htmlText(msg(t, "en", "name_fix_invalidated")))
		}
		if got := p.storedName(t, c, n).Name; got != "Asha Verma" {
			t.Errorf("void pledge %d renamed %q", n, got)
		}
	}

	now.Store(ends.Add(time.Minute).UnixNano())
	// The campaign cache learns of nothing new: the clock alone closes it.
	r := p.get(t, withdraw(1)+"?lang=hi")
	mustContain(t, r.text(), msg(t, "hi", "name_fix_closed"), `id="current-name">Asha Varma<`)
	mustNotContain(t, r.text(), `id="name-form"`)
	r = p.correctName(t, withdraw(1), "en", "Asha V")
	wantStatus(t, r, http.StatusConflict)
	mustContain(t, r.text(), htmlText(msg(t, "en", "name_fix_closed")))
	if got := p.storedName(t, c, 1).Name; got != "Asha Varma" {
		t.Errorf("name %q corrected after the campaign ended", got)
	}
}
