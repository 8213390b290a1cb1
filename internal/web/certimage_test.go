package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/web"
)

// newRenderer is a certificate renderer for one test.
func newRenderer(t testing.TB, o certificate.Options) *certificate.Renderer {
	t.Helper()
	r, err := certificate.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pngPath is the path of the certificate PNG named name ("certificate.png"
// or "share.png") of the certificate token.
func pngPath(token, name string) string { return "/certificate/" + token + "/" + name }

// decodePNG fails t unless r is a PNG of w×h and returns it decoded.
func decodePNG(t *testing.T, r response, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("body is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("PNG is %d×%d, want %d×%d", b.Dx(), b.Dy(), w, h)
	}
	return img
}

// wantImageHeaders checks the headers of a certificate PNG and its 304.
func wantImageHeaders(t *testing.T, r response) {
	t.Helper()
	for name, want := range map[string]string{
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if etag := r.Header.Get("ETag"); !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Errorf("ETag = %q, want a strong quoted key", etag)
	}
}

func TestCertificatePNG(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	rec := p.mustPledge(t, "vote", "सुनीता देवी", "9876543210", "N1", "hi")

	for _, tc := range []struct {
		name string
		size certificate.Size
	}{{"certificate.png", certificate.Full}, {"share.png", certificate.Share}} {
		t.Run(tc.name, func(t *testing.T) {
			path := pngPath(rec.Token, tc.name)
			r := p.get(t, path)
			wantStatus(t, r, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "image/png" {
				t.Errorf("Content-Type = %q, want image/png", ct)
			}
			wantImageHeaders(t, r)
			w, h := tc.size.Dimensions()
			decodePNG(t, r, w, h)
			etag := r.Header.Get("ETag")

			// Revalidation: 304, no body, same validator and headers.
			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				nm := p.get(t, path, "If-None-Match", inm)
				wantStatus(t, nm, http.StatusNotModified)
				if len(nm.Body) != 0 || nm.Header.Get("ETag") != etag {
					t.Errorf("If-None-Match %s: body %d bytes, ETag %q; want none and %q", inm, len(nm.Body), nm.Header.Get("ETag"), etag)
				}
				wantImageHeaders(t, nm)
			}
			wantStatus(t, p.get(t, path, "If-None-Match", `"other"`), http.StatusOK)

			// The pledge's language unless ?lang= names another.
			if hi := p.get(t, path+"?lang=hi"); hi.Header.Get("ETag") != etag || !bytes.Equal(hi.Body, r.Body) {
				t.Errorf("?lang=hi differs from the default of a Hindi pledge")
			}
			if unknown := p.get(t, path+"?lang=fr", "Accept-Language", "en"); unknown.Header.Get("ETag") != etag {
				t.Errorf("?lang=fr with Accept-Language: en drew another picture; want the pledge's language")
			}
			en := p.get(t, path+"?lang=en")
			wantStatus(t, en, http.StatusOK)
			if en.Header.Get("ETag") == etag {
				t.Errorf("?lang=en has the ETag of the Hindi picture")
			}

			// HEAD: the headers of a GET, no body.
			head := p.do(t, http.MethodHead, path, nil)
			wantStatus(t, head, http.StatusOK)
			if len(head.Body) != 0 || head.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) || head.Header.Get("ETag") != etag {
				t.Errorf("HEAD: body %d bytes, Content-Length %q, ETag %q; want none, %d, %q",
					len(head.Body), head.Header.Get("Content-Length"), head.Header.Get("ETag"), len(r.Body), etag)
			}
		})
	}
}

// TestCertificatePNGVoidPledge: an invalidated pledge keeps its picture
// (the verification page says what became of it); a withdrawn pledge's
// pictures, which show the full name, are gone (410, no picture, even to
// a revalidation). Neither page offers them any more.
func TestCertificatePNGVoidPledge(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	withdrawn := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	invalid := p.mustPledge(t, "vote", "Ravi Kumar", "9876543211", "S1", "en")
	before := map[string]string{}
	for _, rec := range []receipt{withdrawn, invalid} {
		before[rec.Token] = p.get(t, pngPath(rec.Token, "certificate.png")).Header.Get("ETag")
	}
	ctx := context.Background()
	if err := p.Store.Withdraw(ctx, p.Campaign.ID, withdrawn.Number, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.Invalidate(ctx, p.Campaign.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "tester", nil); err != nil {
		t.Fatal(err)
	}
	r := p.get(t, pngPath(invalid.Token, "certificate.png"))
	wantStatus(t, r, http.StatusOK)
	if got := r.Header.Get("ETag"); got != before[invalid.Token] {
		t.Errorf("invalidated pledge: ETag %q, want the same %q", got, before[invalid.Token])
	}
	for _, name := range []string{"certificate.png", "share.png"} {
		for _, header := range [][]string{nil, {"If-None-Match", before[withdrawn.Token]}} {
			r := p.get(t, pngPath(withdrawn.Token, name), header...)
			wantStatus(t, r, http.StatusGone)
			if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "image/") || r.Header.Get("ETag") != "" {
				t.Errorf("%s of a withdrawn pledge: Content-Type %q, ETag %q; want no picture", name, ct, r.Header.Get("ETag"))
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s of a withdrawn pledge: Cache-Control %q, want no-store", name, cc)
			}
			mustContain(t, r.text(), htmlText(msg(t, "en", "image_withdrawn")))
		}
	}
	for _, rec := range []receipt{withdrawn, invalid} {
		page := p.get(t, "/certificate/"+rec.Token)
		wantStatus(t, page, http.StatusOK)
		mustNotContain(t, page.text(), "share.png", "certificate.png")
	}
}

func TestCertificatePNGNotFound(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	id, n := p.Campaign.ID, rec.Number
	l := p.Links
	for _, tc := range []struct{ name, token string }{
		{"garbage", "not-a-token"},
		{"forged", "AAAAAAAAAAAAAAAAAAAAAA"},
		{"no such pledge", l.Certificate.Encode(id, 99)},
		{"confirm token", l.Confirm.Encode(id, n)},
		{"withdraw token", l.Withdraw.Encode(id, n)},
		{"pending token", l.Pending.Encode(id, n)},
		{"verify token", l.Verify.Encode(id, n)},
	} {
		for _, name := range []string{"certificate.png", "share.png"} {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				r := p.get(t, pngPath(tc.token, name))
				wantStatus(t, r, http.StatusNotFound)
				if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control of a 404 = %q, want no-store", cc)
				}
			})
		}
	}
	wantStatus(t, p.get(t, pngPath(rec.Token, "other.png")), http.StatusNotFound)
	wantStatus(t, p.do(t, http.MethodPost, pngPath(rec.Token, "share.png"), nil), http.StatusMethodNotAllowed)
}

// TestCertificatePNGWithoutRenderer: with no Deps.Certificates the PNGs are
// not served and the page offers none.
func TestCertificatePNGWithoutRenderer(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	wantStatus(t, p.get(t, pngPath(rec.Token, "certificate.png")), http.StatusNotFound)
	wantStatus(t, p.get(t, pngPath(rec.Token, "share.png")), http.StatusNotFound)
	page := p.get(t, "/certificate/"+rec.Token)
	wantStatus(t, page, http.StatusOK)
	mustNotContain(t, page.text(), "<img", ".png")
	mustContain(t, page.text(), htmlText(msg(t, "en", "print_hint")))
}

var imgRE = regexp.MustCompile(`<img src="(/certificate/([A-Za-z0-9_-]{22})/share\.png\?lang=(en|hi)&amp;v=([0-9a-f]{16}))" alt="([^"]+)" width="800" height="565"`)

// TestCertificatePagePictures: the page shows the share picture, links both
// PNGs for download, and prints as one clean page.
func TestCertificatePagePictures(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	for _, lang := range []string{"en", "hi"} {
		t.Run(lang, func(t *testing.T) {
			page := p.get(t, "/certificate/"+rec.Token+"?lang="+lang)
			wantStatus(t, page, http.StatusOK)
			body := page.text()
			m := imgRE.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no share picture on the page:\n%s", clip(body))
			}
			if m[2] != rec.Token || m[3] != lang || m[5] != htmlText(msg(t, lang, "certificate_image_alt")) {
				t.Errorf("img %q: want token %s, lang %s and the catalogue's alt", m[0], rec.Token, lang)
			}
			verify := p.URL + p.Links.VerifyPath(p.Campaign.ID, rec.Number)
			mustContain(t, body,
				`href="/certificate/`+rec.Token+`/certificate.png?lang=`+lang+`&amp;v=`,
				`download="pledge-certificate-1.png"`, `download="pledge-certificate-1-share.png"`,
				htmlText(msg(t, lang, "download_full")), htmlText(msg(t, lang, "download_share")),
				htmlText(msg(t, lang, "print_hint")), htmlText(msg(t, lang, "verify_at")),
				// The link keeps the page's language; the address shown is the QR code's.
				`<a href="`+verify+`?lang=`+lang+`">`+verify+`</a>`,
				"@media print", "@page{size:A4 landscape", "header,nav,.noprint")
			mustNotContain(t, bodyOnly(body), "<script")

			// The picture the page links is the one served, and its version
			// is its ETag: a browser may keep it for good.
			img := p.get(t, strings.ReplaceAll(m[1], "&amp;", "&"))
			wantStatus(t, img, http.StatusOK)
			decodePNG(t, img, 800, 565)
			if etag := img.Header.Get("ETag"); !strings.HasPrefix(etag, `"`+m[4]) {
				t.Errorf("the page links version %s of a picture whose ETag is %s", m[4], etag)
			}
		})
	}
}

// decodeQR reads the QR code of img.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code found: %v", err)
	}
	return res.GetText()
}

// TestCertificateQRCode: the QR code says the absolute URL of the pledge's
// verification page, and that page answers for the same pledge.
func TestCertificateQRCode(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})))
	p.mustPledge(t, "vote", "Someone Else", "9876543219", "N2", "en")
	rec := p.mustPledge(t, "vote", "रवि कुमार", "9876543210", "N1", "hi")
	want := p.URL + p.Links.VerifyPath(p.Campaign.ID, rec.Number)
	for _, tc := range []struct {
		name string
		size certificate.Size
	}{{"certificate.png", certificate.Full}, {"share.png", certificate.Share}} {
		t.Run(tc.name, func(t *testing.T) {
			r := p.get(t, pngPath(rec.Token, tc.name))
			wantStatus(t, r, http.StatusOK)
			w, h := tc.size.Dimensions()
			got := decodeQR(t, decodePNG(t, r, w, h))
			if got != want {
				t.Fatalf("QR code says %q, want %q", got, want)
			}
			page := p.get(t, got)
			wantStatus(t, page, http.StatusOK)
			mustContain(t, page.text(), "#2", maskedHTML("र*** कु***"))
		})
	}
}

// TestCertificatePNGBusy: a renderer with every slot taken answers 503 with
// Retry-After at once instead of queueing without bound. Renders are slow
// next to requests, so a burst of uncached ones finds the renderer full; the
// burst repeats a few times so a very fast machine cannot dodge it.
func TestCertificatePNGBusy(t *testing.T) {
	t.Parallel()
	// CacheBytes 1 keeps nothing: every request draws.
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{MaxConcurrent: 1, MaxWaiting: 1, CacheBytes: 1})))
	var tokens []string
	for i := range 4 {
		tokens = append(tokens, p.mustPledge(t, "vote", fmt.Sprintf("Asha Verma %d", i), fmt.Sprintf("987654321%d", i), "N1", "en").Token)
	}
	busy := 0
	for round := 0; round < 10 && busy == 0; round++ {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodGet, p.URL+pngPath(tokens[i%len(tokens)], "certificate.png"), nil)
				if err != nil {
					t.Error(err)
					return
				}
				r, err := send(p.Client, req)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				switch r.Status {
				case http.StatusOK:
				case http.StatusServiceUnavailable:
					busy++
					if ra := r.Header.Get("Retry-After"); ra != "1" {
						t.Errorf("503 with Retry-After %q, want 1", ra)
					}
					if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
						t.Errorf("503 with Cache-Control %q, want no-store", cc)
					}
					if !strings.Contains(r.text(), htmlText(msg(t, "en", "certificate_busy"))) {
						t.Errorf("503 does not say the renderer is busy: %v", r)
					}
				default:
					t.Errorf("status %v, want 200 or 503", r)
				}
			})
		}
		wg.Wait()
	}
	if busy == 0 {
		t.Fatal("ten bursts of 16 uncached renders on one slot and one waiting place never answered 503")
	}
}

// TestCertificateQRCodeBaseURL: with a public base URL configured the QR
// code and the page's verification link use it, whatever the request's host.
func TestCertificateQRCodeBaseURL(t *testing.T) {
	t.Parallel()
	const base = "https://pledge.example.org"
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})), withDeps(func(d *web.Deps) { d.BaseURL = base }))
	rec := p.mustPledge(t, "vote", "Asha Verma", "9876543210", "N1", "en")
	want := base + p.Links.VerifyPath(p.Campaign.ID, rec.Number)
	r := p.get(t, pngPath(rec.Token, "certificate.png"))
	wantStatus(t, r, http.StatusOK)
	if got := decodeQR(t, decodePNG(t, r, 1600, 1130)); got != want {
		t.Errorf("QR code says %q, want %q", got, want)
	}
	mustContain(t, p.get(t, "/certificate/"+rec.Token).text(), `<a href="`+want+`?lang=`)
}
