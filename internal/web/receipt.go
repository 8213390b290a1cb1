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
// a pledge leaves a cookie in that browser naming its certificate (or, for a
// pledge that waits for its address to be confirmed, its "check your mail"
// page) and bound to the mobile number; a duplicate from the same browser
// and number goes there again. Another number, or another browser, gets
// the refusal as before, so a shared phone shows nobody else's certificate.

// pendingMark starts the cookie of a pledge that waits for confirmation;
// tokens never hold it.
const pendingMark = "p~"

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

// receiptTag binds a certificate or pending token to the name and the
// phone hash it was made with (a keyed hash, so the tag tells nothing about
// the number to whoever reads the cookie). Someone else who pledges with
// the same number on the same phone, a family's shared one, is not taken
// for the citizen tapping again.
func receiptTag(token string, phoneHash []byte, name string) string {
	h := sha256.New()
	h.Write([]byte(token))
	h.Write([]byte{0})
	h.Write(phoneHash)
	h.Write([]byte(name))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

// rememberReceipt sets the cookie for rec, the receipt of sub, made
// through the form of campaign c.
func (s *Server) rememberReceipt(w http.ResponseWriter, r *http.Request, c *pledge.Campaign, sub pledge.Submission, rec pledge.Receipt) {
	var token string
	switch {
	case rec.Pending == 0:
		token = s.links.Certificate.Encode(c.ID, rec.Number)
	case s.links.Pending != nil:
		token = pendingMark + s.links.Pending.Encode(c.ID, rec.Pending)
	default:
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     receiptCookieName(c),
		Value:    token + "." + receiptTag(token, sub.PhoneHash, sub.Name),
		Path:     "/c/" + url.PathEscape(c.Slug),
		MaxAge:   int(receiptCookieAge / time.Second),
		HttpOnly: true,
		Secure:   s.client.isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// rememberedReceipt returns the receipt of the pledge this browser made in
// campaign c with the name and mobile number of sub, if its cookie says so.
func (s *Server) rememberedReceipt(r *http.Request, c *pledge.Campaign, sub pledge.Submission) (pledge.Receipt, bool) {
	ck, err := r.Cookie(receiptCookieName(c))
	if err != nil {
		return pledge.Receipt{}, false
	}
	token, tag, ok := strings.Cut(ck.Value, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(tag), []byte(receiptTag(token, sub.PhoneHash, sub.Name))) != 1 {
		return pledge.Receipt{}, false
	}
	tokens := s.links.Certificate
	pending := strings.HasPrefix(token, pendingMark)
	if pending {
		token, tokens = strings.TrimPrefix(token, pendingMark), s.links.Pending
		if tokens == nil {
			return pledge.Receipt{}, false
		}
	}
	campaignID, id, err := tokens.Decode(token)
	if err != nil || campaignID != c.ID {
		return pledge.Receipt{}, false
	}
	if !pending {
		return pledge.Receipt{CampaignID: c.ID, Number: id}, true
	}
	return s.stillPending(r, c, id)
}

// stillPending returns the receipt of pending pledge id of campaign c: its
// number once confirmed, itself while it waits, nothing once it has expired
// or was replaced.
func (s *Server) stillPending(r *http.Request, c *pledge.Campaign, id int64) (pledge.Receipt, bool) {
	p, err := s.readPending(r.Context(), c.ID, id)
	if err != nil {
		return pledge.Receipt{}, false
	}
	return s.pendingReceipt(c, p)
}

// pendingReceipt is stillPending's answer for p, pending pledge p.ID of
// campaign c as read.
func (s *Server) pendingReceipt(c *pledge.Campaign, p pledge.Pending) (pledge.Receipt, bool) {
	switch {
	case p.Number > 0:
		return pledge.Receipt{CampaignID: c.ID, Number: p.Number}, true
	case !s.now().Before(s.expiry(p)):
		return pledge.Receipt{}, false
	}
	return pledge.Receipt{CampaignID: c.ID, Pending: p.ID}, true
}

// againFromPledger returns the receipt of the pledge that sub, refused as a
// duplicate (err), repeats, when it comes from the citizen who made it: the
// browser holds its cookie, or the same name, number and region were
// pledged within retapWindow, counted or waiting for confirmation.
func (s *Server) againFromPledger(r *http.Request, c *pledge.Campaign, sub pledge.Submission, err error) (pledge.Receipt, bool) {
	if !errors.Is(err, pledge.ErrDuplicate) {
		return pledge.Receipt{}, false
	}
	if rec, ok := s.rememberedReceipt(r, c, sub); ok {
		return rec, true
	}
	number, err := s.readNumberByPhone(r.Context(), c.ID, sub.PhoneHash)
	if errors.Is(err, pledge.ErrNotFound) && sub.Pending {
		return s.pendingAgain(r, c, sub)
	}
	if err != nil {
		return pledge.Receipt{}, false
	}
	p, err := s.readPledge(r.Context(), c.ID, number)
	if err != nil || p.Name != sub.Name || p.Region != sub.Region || p.Invalidated || p.Withdrawn() ||
		s.now().Sub(p.CreatedAt) > retapWindow {
		return pledge.Receipt{}, false
	}
	return pledge.Receipt{CampaignID: c.ID, Number: number}, true
}

// pendingAgain returns the receipt of the pledge waiting for confirmation
// that sub repeats, when the same name, number and region made it within
// retapWindow: its page while it waits, its number once confirmed.
func (s *Server) pendingAgain(r *http.Request, c *pledge.Campaign, sub pledge.Submission) (pledge.Receipt, bool) {
	id, err := s.readPendingByPhone(r.Context(), c.ID, sub.PhoneHash)
	if err != nil {
		return pledge.Receipt{}, false
	}
	p, err := s.readPending(r.Context(), c.ID, id)
	if err != nil || p.Name != sub.Name || p.Region != sub.Region || s.now().Sub(p.CreatedAt) > retapWindow {
		return pledge.Receipt{}, false
	}
	return s.pendingReceipt(c, p)
}
