package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// imageName is the last path segment of the certificate's PNG of size;
// routes.go serves both.
func imageName(size certificate.Size) string {
	if size == certificate.Share {
		return "share.png"
	}
	return "certificate.png"
}

// certificateImage serves the certificate of the {token} of r as a PNG of
// size: certificate.png (Full) to print or keep, share.png (Share) for
// messaging apps.
//
// The picture speaks the pledge's language unless ?lang= names another of
// the campaign's (never Accept-Language: the answer is cached by URL). It
// is the certificate as issued: an invalidated pledge's picture does not
// change, and the verification page behind its QR code says what became
// of the pledge. A withdrawn pledge's pictures, which show the full name,
// answer 410 Gone (its page shows the name masked); copies that browsers
// or caches already hold are not recalled.
//
// The ETag is the renderer's key of what is drawn, so a revalidation
// answers 304 without drawing, and the answer is immutable: when the
// drawing, the campaign's wording or the pledge's name (corrected)
// changes, so does the key, and the certificate page links the new
// version (?v=). A ?v= that is not the current one's gets the current
// picture, marked for no cache to keep (no-store, and X-Accel-Expires: 0
// for nginx, which keeps pictures whatever Cache-Control says): so no
// cache, nginx's or a browser's, keeps another name under the URL a page
// links, even when a name corrected twice is back to one an old URL
// named. Not a redirect to the current version: instances that briefly
// disagree on it (a rolling upgrade that changes the drawing, a campaign
// edit not yet seen by all) would send a browser back and forth.
//
// A full renderer answers 503 with Retry-After at once (certificate.ErrBusy).
func (s *Server) certificateImage(size certificate.Size) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.deps.Certificates == nil {
			return pledge.ErrNotFound
		}
		cd, err := s.certified(r)
		if err != nil {
			return err
		}
		if cd.p.Withdrawn() {
			return fmt.Errorf("pledge %d of campaign %d: %w", cd.p.Number, cd.c.ID, errImageWithdrawn)
		}
		lang := imageLang(r, cd.c, cd.p)
		d := s.imageData(s.certificateView(r, cd, lang), lang)
		key := certificate.Key(d, size)
		h := w.Header()
		v := r.URL.Query().Get("v")
		stale := v != "" && v != key[:versionLen]
		etag := `"` + key + `"`
		if etagMatch(r.Header.Get("If-None-Match"), etag) {
			imageHeaders(h, etag, stale)
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		b, err := s.deps.Certificates.PNG(r.Context(), d, size)
		if err != nil {
			return err
		}
		imageHeaders(h, etag, stale)
		h.Set("Content-Type", "image/png")
		// ServeContent answers HEAD and ranges (a download resumed on a
		// slow link) and checks If-Range against the ETag.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
		return nil
	}
}

// imageHeaders sets the headers of a certificate PNG and of its 304; of
// one answered under a version that is not its own (stale), for no cache
// to keep.
func imageHeaders(h http.Header, etag string, stale bool) {
	h.Set("ETag", etag)
	if stale {
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Expires", "0")
	} else {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
}

// imageLang is the language of a certificate's picture: ?lang= when the
// campaign offers it, else the pledge's, else the campaign's first.
func imageLang(r *http.Request, c *pledge.Campaign, p pledge.Pledge) string {
	if lang, explicit := pickLang(r, c.Languages); explicit {
		return lang
	}
	if c.HasLang(p.Lang) {
		return p.Lang
	}
	return c.DefaultLang()
}

// imageData is what the picture of the certificate page's d shows in lang:
// the page's texts and the catalogue's labels.
func (s *Server) imageData(d certificateData, lang string) certificate.Data {
	t := func(key string) string { return s.cat.T(lang, key) }
	heading := d.Heading
	if heading == "" {
		heading = t("certificate_of")
	}
	img := certificate.Data{
		Lang:        lang,
		Heading:     heading,
		Campaign:    d.Campaign,
		Certifies:   t("certifies"),
		Name:        d.Name,
		TookPledge:  t("took_pledge"),
		Pledge:      d.Text,
		NumberLabel: t("certificate_number_label"),
		Number:      d.Number,
		DateLabel:   t("certificate_date_label"),
		Date:        d.Date,
		Signatory:   d.Signatory,
		VerifyURL:   d.VerifyURL,
	}
	if img.VerifyURL != "" {
		img.VerifyLabel = t("verify_scan")
	}
	return img
}

// imagePath is the path of the picture d at size of the certificate token,
// in lang, with the version of what it shows: a page that links it this
// way lets browsers keep it for good.
func imagePath(token, lang string, d certificate.Data, size certificate.Size) string {
	return "/certificate/" + token + "/" + imageName(size) + "?lang=" + url.QueryEscape(lang) +
		"&v=" + certificate.Key(d, size)[:versionLen]
}

// versionLen is the length of a picture's version (?v=): the start of its
// key.
const versionLen = 16
