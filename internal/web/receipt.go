package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// A citizen on a slow link who taps "pledge" twice, or sends the form again
// from the browser's history, sees the answer to the last post: "this number
// has already pledged", with no way back to the certificate. So the answer to
// a counted pledge leaves a cookie in that browser naming its certificate and
// bound to the mobile number; a duplicate from the same browser and number
// goes to the thank-you page again. Another number, or another browser, gets
// the refusal as before, so a shared phone shows nobody else's certificate.

// receiptCookieAge is how long a browser can find its way back.
const receiptCookieAge = 24 * time.Hour

// retapWindow is how long after a pledge the very same form (name, number,
// region) leads back to its certificate without the cookie: on a slow link
// a second tap aborts the first request, whose answer carried the cookie.
// Only someone who knows all three, within minutes, sees the certificate
// the citizen is about to share anyway.
const retapWindow = 10 * time.Minute

func receiptCookieName(c *pledge.Campaign) string {
	return "pledged-" + strconv.FormatInt(c.ID, 10)
}

// receiptTag binds a certificate token to a phone hash (a keyed hash, so
// the tag tells nothing about the number to whoever reads the cookie).
func receiptTag(token string, phoneHash []byte) string {
	h := sha256.New()
	h.Write([]byte(token))
	h.Write(phoneHash)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// rememberReceipt sets the cookie for pledge number of sub, made through
// the form of campaign c.
func (s *Server) rememberReceipt(w http.ResponseWriter, r *http.Request, c *pledge.Campaign, sub pledge.Submission, number int64) {
	token := s.links.Certificate.Encode(c.ID, number)
	http.SetCookie(w, &http.Cookie{
		Name:     receiptCookieName(c),
		Value:    token + "." + receiptTag(token, sub.PhoneHash),
		Path:     "/c/" + url.PathEscape(c.Slug),
		MaxAge:   int(receiptCookieAge / time.Second),
		HttpOnly: true,
		Secure:   s.client.isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// rememberedReceipt returns the number of the pledge this browser made in
// campaign c with the mobile number of sub, if its cookie says so.
func (s *Server) rememberedReceipt(r *http.Request, c *pledge.Campaign, sub pledge.Submission) (int64, bool) {
	ck, err := r.Cookie(receiptCookieName(c))
	if err != nil {
		return 0, false
	}
	token, tag, ok := strings.Cut(ck.Value, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(tag), []byte(receiptTag(token, sub.PhoneHash))) != 1 {
		return 0, false
	}
	campaignID, number, err := s.links.Certificate.Decode(token)
	if err != nil || campaignID != c.ID {
		return 0, false
	}
	return number, true
}

// againFromPledger returns the number of the pledge that sub, refused as a
// duplicate (err), repeats, when it comes from the citizen who made it: the
// browser holds its cookie, or the same name, number and region were
// pledged within retapWindow.
func (s *Server) againFromPledger(r *http.Request, c *pledge.Campaign, sub pledge.Submission, err error) (int64, bool) {
	if !errors.Is(err, pledge.ErrDuplicate) {
		return 0, false
	}
	if number, ok := s.rememberedReceipt(r, c, sub); ok {
		return number, true
	}
	number, err := s.deps.Store.NumberByPhone(r.Context(), c.ID, sub.PhoneHash)
	if err != nil {
		return 0, false
	}
	p, err := s.deps.Store.Pledge(r.Context(), c.ID, number)
	if err != nil || p.Name != sub.Name || p.Region != sub.Region || p.Invalidated || p.Withdrawn() ||
		s.now().Sub(p.CreatedAt) > retapWindow {
		return 0, false
	}
	return number, true
}
