package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Device cookies: a browser that has logged in to an account holds a
// signed note of it, and its later log-ins to that account are throttled
// by their own count rather than by counts an attacker can run up from
// elsewhere (see the comment at the top of throttle.go).
//
// The cookie names the account and when it was issued, a nonce that tells
// one browser's cookie from another's, and a keyed tag of the account's
// password hash at the time; a MAC keyed from the server secret covers all
// four. A changed password (pledge user passwd or enable, or the console's
// own form) voids every device cookie of the account: one that a thief's
// browser got with the old password no longer lets it past the limits
// while it guesses the new one. The browser that changes its password in
// the console gets a new cookie. A disabled account keeps its cookies, which
// cannot log in to it: they only let the officer's own browser, with the
// right password, be told that the account is disabled (login), and
// enabling it sets a new password.
const (
	deviceCookieName = "pledge_device"
	deviceLifetime   = 90 * 24 * time.Hour
	// deviceSkew is how far ahead of this instance's clock an issue time
	// may be: another instance, whose clock runs a little fast, issued it.
	deviceSkew = 5 * time.Minute
	// maxDeviceCookies is how many cookies of that name in one request
	// are checked; a browser sends one.
	maxDeviceCookies = 4
)

// devices issues and checks device cookies.
type devices struct {
	mac *pledge.Hasher // keyed from the server secret, for device cookies alone
}

// newDevices keys device cookies from prints, the server secret's hasher,
// so that every instance accepts every other's cookies, across restarts,
// for as long as the secret stays the same. The key is derived from it,
// so that no other keyed hash the portal writes can pass for a cookie's.
func newDevices(prints *pledge.Hasher) devices {
	return devices{mac: pledge.NewHasher(prints.Sum("admin device cookie key"))}
}

// value is a new device cookie's value for account (an accountKey) whose
// password hash is hash, issued at issued: the account (base64url), the
// issue time (Unix seconds), a nonce, the password's tag (passTag) and the
// MAC of the four, joined by dots.
func (d devices) value(account, hash string, issued time.Time) string {
	body := strings.Join([]string{
		base64.RawURLEncoding.EncodeToString([]byte(account)),
		strconv.FormatInt(issued.Unix(), 10),
		rand.Text(),
		d.passTag(hash),
	}, ".")
	return body + "." + base64.RawURLEncoding.EncodeToString(d.sum(body))
}

// sum is the MAC of a cookie value's body.
func (d devices) sum(body string) []byte { return d.mac.Sum("admin device cookie:" + body) }

// passTag is the tag of a password hash a device cookie carries: keyed,
// so that it tells nothing of the hash.
func (d devices) passTag(hash string) string {
	return base64.RawURLEncoding.EncodeToString(d.mac.Sum("admin device cookie password:" + hash)[:12])
}

// deviceCookie is a device cookie the console issued for an account, less
// than deviceLifetime ago: its nonce, the key its failures are counted
// under, and the tag of the password it was issued with.
type deviceCookie struct {
	nonce, pass string
}

// check returns the cookie value is, if the console issued it for account
// (an accountKey) less than deviceLifetime before now; otherwise false.
// Whether it was issued with the account's password as it is now is for
// key to tell.
func (d devices) check(value, account string, now time.Time) (deviceCookie, bool) {
	body, mac64, ok := cutLast(value, ".")
	if !ok {
		return deviceCookie{}, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(mac64)
	if err != nil || !hmac.Equal(mac, d.sum(body)) {
		return deviceCookie{}, false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 4 {
		return deviceCookie{}, false
	}
	named, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(named) != account {
		return deviceCookie{}, false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return deviceCookie{}, false
	}
	issued := time.Unix(unix, 0)
	if now.Sub(issued) >= deviceLifetime || issued.Sub(now) > deviceSkew {
		return deviceCookie{}, false
	}
	return deviceCookie{nonce: parts[2], pass: parts[3]}, true
}

// key returns the nonce of the first of cookies issued with the password
// whose hash is hash, or "" if none was (or hash is "": no account).
func (d devices) key(cookies []deviceCookie, hash string) string {
	if hash == "" {
		return ""
	}
	tag := d.passTag(hash)
	for _, c := range cookies {
		if hmac.Equal([]byte(c.pass), []byte(tag)) {
			return c.nonce
		}
	}
	return ""
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// deviceCookies returns the device cookies r presents that the console
// issued for account (an accountKey), whatever password they were issued
// with; a forged or expired cookie, or one for another account, is
// ignored. It reads no database: only a browser that has logged in to the
// account, so holds such a cookie, costs the read of the account's
// password hash that devices.key needs.
func (a *Admin) deviceCookies(r *http.Request, account string) []deviceCookie {
	var out []deviceCookie
	for i, c := range r.CookiesNamed(deviceCookieName) {
		if i == maxDeviceCookies {
			break
		}
		if dc, ok := a.devices.check(c.Value, account, a.now()); ok {
			out = append(out, dc)
		}
	}
	return out
}

// setDeviceCookie gives the browser of r a new device cookie for account
// (an accountKey) whose password hash is hash, in place of any it had: a
// browser holds one, for the account it last logged in to. It is Secure
// when r came over HTTPS, as the session cookie is (session).
func (a *Admin) setDeviceCookie(w http.ResponseWriter, r *http.Request, account, hash string) {
	http.SetCookie(w, &http.Cookie{
		Name:     deviceCookieName,
		Value:    a.devices.value(account, hash, a.now()),
		Path:     "/admin/",
		MaxAge:   int(deviceLifetime.Seconds()),
		HttpOnly: true,
		Secure:   a.client.IsHTTPS(r),
		SameSite: http.SameSiteStrictMode,
	})
}
