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
// The cookie names the account and when it was issued, and a nonce that
// tells one browser's cookie from another's; a MAC keyed from the server
// secret covers all three. A disabled account or a changed password does
// not void the account's device cookies: they only relax the throttle, and
// the password is still checked on every log-in, so the new password (or
// the account's being enabled again) is still needed.
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

// value is a new device cookie's value for account (an accountKey),
// issued at issued: the account (base64url), the issue time (Unix
// seconds), a nonce and the MAC of the three, joined by dots.
func (d devices) value(account string, issued time.Time) string {
	body := strings.Join([]string{
		base64.RawURLEncoding.EncodeToString([]byte(account)),
		strconv.FormatInt(issued.Unix(), 10),
		rand.Text(),
	}, ".")
	return body + "." + base64.RawURLEncoding.EncodeToString(d.sum(body))
}

// sum is the MAC of a cookie value's body.
func (d devices) sum(body string) []byte { return d.mac.Sum("admin device cookie:" + body) }

// check returns the nonce of value, the key its failures are counted
// under, if value is a device cookie issued by the console for account
// (an accountKey) less than deviceLifetime before now; otherwise false.
func (d devices) check(value, account string, now time.Time) (string, bool) {
	body, mac64, ok := cutLast(value, ".")
	if !ok {
		return "", false
	}
	mac, err := base64.RawURLEncoding.DecodeString(mac64)
	if err != nil || !hmac.Equal(mac, d.sum(body)) {
		return "", false
	}
	parts := strings.Split(body, ".")
	if len(parts) != 3 {
		return "", false
	}
	named, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || string(named) != account {
		return "", false
	}
	unix, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", false
	}
	issued := time.Unix(unix, 0)
	if now.Sub(issued) >= deviceLifetime || issued.Sub(now) > deviceSkew {
		return "", false
	}
	return parts[2], true
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// deviceKey returns the key of a valid device cookie that r presents for
// account (an accountKey), or "" if it presents none. A forged or expired
// cookie, or one for another account, is ignored.
func (a *Admin) deviceKey(r *http.Request, account string) string {
	for i, c := range r.CookiesNamed(deviceCookieName) {
		if i == maxDeviceCookies {
			break
		}
		if key, ok := a.devices.check(c.Value, account, a.now()); ok {
			return key
		}
	}
	return ""
}

// setDeviceCookie gives the browser of r a new device cookie for account
// (an accountKey), in place of any it had: a browser holds one, for the
// account it last logged in to. It is Secure when r came over HTTPS, as
// the session cookie is (session).
func (a *Admin) setDeviceCookie(w http.ResponseWriter, r *http.Request, account string) {
	http.SetCookie(w, &http.Cookie{
		Name:     deviceCookieName,
		Value:    a.devices.value(account, a.now()),
		Path:     "/admin/",
		MaxAge:   int(deviceLifetime.Seconds()),
		HttpOnly: true,
		Secure:   a.client.IsHTTPS(r),
		SameSite: http.SameSiteStrictMode,
	})
}
