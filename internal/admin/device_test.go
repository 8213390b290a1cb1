package admin_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// deviceName is the cookie that lets a browser past log-in limits others
// run up for the account it logged in to.
const deviceName = "pledge_device"

// deviceCookie is the device cookie the answer sets, or nil.
func (r response) deviceCookie() *http.Cookie {
	for _, line := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == deviceName {
			return c
		}
	}
	return nil
}

// device is the value of the device cookie the browser holds, or "".
func (b *browser) device() string {
	u, _ := url.Parse(b.c.URL + loginPath)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == deviceName {
			return c.Value
		}
	}
	return ""
}

// setDevice makes the browser hold value as its device cookie.
func (b *browser) setDevice(value string) {
	u, _ := url.Parse(b.c.URL + loginPath)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: deviceName, Value: value, Path: "/admin/"}})
}

// closeWindow forgets the session cookie, as the browser does when it is
// closed, and keeps the device cookie, which lasts.
func (b *browser) closeWindow() {
	u, _ := url.Parse(b.c.URL + homePath)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Path: "/admin", MaxAge: -1}})
}

// from sets the client address the browser is seen from (behindProxy).
func (b *browser) from(addr string) *browser {
	b.header.Set("X-Forwarded-For", addr)
	return b
}

// lockForEveryone fails log-ins to account from 20 addresses, 5 each,
// until the account is locked from every address, and checks that it is.
func lockForEveryone(t *testing.T, c *console, account string) {
	t.Helper()
	for a := range 20 {
		b := c.browser(t).from("198.51.100." + strconv.Itoa(100+a))
		for i := range 5 {
			wantStatus(t, b.login(account, "wrong "+strconv.Itoa(i)), http.StatusUnauthorized)
		}
	}
	wantStatus(t, c.browser(t).from("192.0.2.200").login(account, adminPass), http.StatusTooManyRequests)
}

// officer is a browser that logged in as the console's admin from its
// usual address, and was closed since: it holds a device cookie, no
// session.
func (c *console) officer(t *testing.T) *browser {
	t.Helper()
	b := c.browser(t).from("203.0.113.60")
	b.mustLogin(adminUser, adminPass)
	if b.device() == "" {
		t.Fatal("a log-in left the browser no device cookie")
	}
	b.closeWindow()
	wantLogin(t, b.get(homePath))
	return b
}

func TestDeviceCookieSetAtLogIn(t *testing.T) {
	c := newConsole(t)
	b := c.browser(t)
	if ck := b.login(adminUser, "wrong").deviceCookie(); ck != nil {
		t.Errorf("a failed log-in set a device cookie: %v", ck)
	}
	r := b.login(strings.ToUpper(adminUser), adminPass)
	wantRedirect(t, r, homePath)
	ck := r.deviceCookie()
	if ck == nil {
		t.Fatalf("log-in set no %s cookie; Set-Cookie: %q", deviceName, r.Header.Values("Set-Cookie"))
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/admin/" || ck.Secure {
		t.Errorf("device cookie %v: want HttpOnly, SameSite=Strict, Path=/admin/, not Secure on plain HTTP", ck)
	}
	if ck.MaxAge < 89*24*3600 || ck.MaxAge > 90*24*3600 {
		t.Errorf("device cookie Max-Age = %d s, want about 90 days", ck.MaxAge)
	}
	// It names the account as the throttle counts it, in lower case.
	name, _, _ := strings.Cut(ck.Value, ".")
	if got, err := base64.RawURLEncoding.DecodeString(name); err != nil || string(got) != adminUser {
		t.Errorf("device cookie %q names %q, want %q", ck.Value, got, adminUser)
	}

	tls := newConsole(t, overTLS())
	if ck := tls.browser(t).login(adminUser, adminPass).deviceCookie(); ck == nil || !ck.Secure {
		t.Errorf("device cookie over HTTPS: %v, want Secure", ck)
	}
}

// TestDeviceCookieOutlastsAccountLock: an account locked for everyone by
// failures from many addresses still logs in from the browser its officer
// used before, from any address, while every other browser is refused.
func TestDeviceCookieOutlastsAccountLock(t *testing.T) {
	c := newConsole(t, behindProxy())
	officer := c.officer(t)
	lockForEveryone(t, c, adminUser)

	officer.from("192.0.2.10").mustLogin(strings.ToUpper(adminUser), adminPass)
	wantStatus(t, officer.get(homePath), http.StatusOK)
	// From an address the account is locked from too (an office shared
	// with the attacker), with the new cookie the log-in gave.
	officer.closeWindow()
	officer.from("198.51.100.100").mustLogin(adminUser, adminPass)

	// Everyone else is still refused, even with the right password.
	for _, addr := range []string{"192.0.2.10", "192.0.2.11"} {
		r := c.browser(t).from(addr).login(adminUser, adminPass)
		wantStatus(t, r, http.StatusTooManyRequests)
		mustContain(t, r.Body, "Too many failed log-ins")
	}
	if n := c.count(t, admin.KindLoginLocked); n != 1 {
		t.Errorf("%d login-locked entries, want 1", n)
	}
}

// TestDeviceCookieForgedOrOtherAccount: a device cookie passes only if the
// console issued it, for the account tried.
func TestDeviceCookieForgedOrOtherAccount(t *testing.T) {
	c := newConsole(t, behindProxy())
	own := c.officer(t).device()
	viewer := c.browser(t).from("203.0.113.61")
	viewer.mustLogin(viewerUser, viewerPass)
	theirs := viewer.device()
	lockForEveryone(t, c, adminUser)

	body, mac, _ := cutLast(own)
	flipped := []byte(mac)
	flipped[0] ^= 1
	_, rest, _ := strings.Cut(theirs, ".")
	for name, value := range map[string]string{
		"another account's":         theirs,
		"another account's renamed": base64.RawURLEncoding.EncodeToString([]byte(adminUser)) + "." + rest,
		"a wrong MAC":               body + "." + string(flipped),
		"no MAC":                    body,
		"garbage":                   "not a cookie",
	} {
		b := c.browser(t).from("192.0.2.20")
		b.setDevice(value)
		if r := b.login(adminUser, adminPass); r.Status != http.StatusTooManyRequests {
			t.Errorf("with %s device cookie: %d, want 429", name, r.Status)
		}
	}
	// The cookie as issued passes.
	b := c.browser(t).from("192.0.2.20")
	b.setDevice(own)
	b.mustLogin(adminUser, adminPass)
	// The viewer's own cookie still serves the viewer.
	viewer.closeWindow()
	viewer.mustLogin(viewerUser, viewerPass)
}

// cutLast slices s around its last dot.
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndex(s, ".")
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// TestDeviceCookieExpires: a device cookie is worth nothing 90 days after
// it was issued, whatever the browser keeps.
func TestDeviceCookieExpires(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).Unix())
	c := newConsole(t, behindProxy(), withClock(func() time.Time { return time.Unix(now.Load(), 0) }))
	old := c.officer(t).device()
	lockForEveryone(t, c, adminUser)

	now.Add(int64(90 * 24 * time.Hour / time.Second))
	b := c.browser(t).from("192.0.2.30")
	b.setDevice(old)
	wantStatus(t, b.login(adminUser, adminPass), http.StatusTooManyRequests)

	now.Add(-int64(time.Minute / time.Second))
	b.setDevice(old)
	b.mustLogin(adminUser, adminPass)
}

// TestDeviceCookieFailuresLimited: wrong passwords sent with a device
// cookie are counted against it; after 5, the cookie is no longer trusted
// and the attempt meets the limits everyone else does.
func TestDeviceCookieFailuresLimited(t *testing.T) {
	c := newConsole(t, behindProxy())
	officer := c.officer(t)
	lockForEveryone(t, c, adminUser)

	officer.from("192.0.2.40")
	for i := range 5 {
		wantStatus(t, officer.login(adminUser, "typo "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	r := officer.login(adminUser, adminPass)
	wantStatus(t, r, http.StatusTooManyRequests)
	mustContain(t, r.Body, "Too many failed log-ins")
	if n := c.count(t, "login-failed"); n != 105 {
		t.Errorf("%d login-failed entries, want 105", n)
	}
}

// TestDeviceCookieFailuresFallBack: the failures of a trusted browser count
// against its cookie alone, so once it has used them up it falls back on
// the ordinary limits, with their counts untouched.
func TestDeviceCookieFailuresFallBack(t *testing.T) {
	c := newConsole(t, behindProxy())
	officer := c.officer(t)
	for i := range 5 {
		wantStatus(t, officer.login(adminUser, "typo "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	// Its address has 5 failures for the account left.
	for i := range 5 {
		wantStatus(t, officer.login(adminUser, "again "+strconv.Itoa(i)), http.StatusUnauthorized)
	}
	wantStatus(t, officer.login(adminUser, adminPass), http.StatusTooManyRequests)
	// Another browser from elsewhere is not affected.
	c.browser(t).from("192.0.2.50").mustLogin(adminUser, adminPass)
}

// TestDeviceCookieVoidAfterPasswordSet: a password set from the command
// line (pledge user passwd, or enable after disable) voids the account's
// device cookies: a browser that logged in with the old password, a
// thief's perhaps, is no longer let past the limits others run up.
func TestDeviceCookieVoidAfterPasswordSet(t *testing.T) {
	for _, how := range []string{"passwd", "disable and enable"} {
		t.Run(how, func(t *testing.T) {
			c := newConsole(t, behindProxy())
			officer := c.officer(t)
			const fresh = "set from the command line"
			if how == "passwd" {
				if err := c.Accounts.SetPassword(t.Context(), adminWho, adminUser, fresh); err != nil {
					t.Fatal(err)
				}
			} else {
				// Another admin first: the last one cannot be disabled.
				if _, err := c.Accounts.Add(t.Context(), adminWho, "second", pledge.RoleAdmin, "second admin passphrase"); err != nil {
					t.Fatal(err)
				}
				if err := c.Accounts.Disable(t.Context(), adminWho, adminUser); err != nil {
					t.Fatal(err)
				}
				if err := c.Accounts.Enable(t.Context(), adminWho, adminUser, fresh); err != nil {
					t.Fatal(err)
				}
			}
			lockForEveryone(t, c, adminUser)
			r := officer.from("192.0.2.90").login(adminUser, fresh)
			wantStatus(t, r, http.StatusTooManyRequests)
			mustContain(t, r.Body, "Too many failed log-ins")
		})
	}
}

// TestDeviceCookieAfterOwnPasswordChange: the browser that changes its
// own password in the console gets a device cookie for the new one, and
// is still let past limits others run up; the account's other browsers'
// cookies are void.
func TestDeviceCookieAfterOwnPasswordChange(t *testing.T) {
	c := newConsole(t, behindProxy())
	other := c.officer(t) // a browser the officer used before
	b := c.browser(t).from("203.0.113.62")
	b.mustLogin(adminUser, adminPass)
	before := b.device()
	const fresh = "a fresh and long passphrase"
	r := b.changePassword(adminPass, fresh, fresh)
	wantRedirect(t, r, passwordPath)
	if ck := r.deviceCookie(); ck == nil || ck.Value == before {
		t.Fatalf("the change gave no new device cookie: %v", ck)
	}
	lockForEveryone(t, c, adminUser)

	b.closeWindow()
	b.from("192.0.2.91").mustLogin(adminUser, fresh)
	wantStatus(t, other.from("192.0.2.92").login(adminUser, fresh), http.StatusTooManyRequests)
	// The cookie from before the change is void in any browser.
	x := c.browser(t).from("192.0.2.93")
	x.setDevice(before)
	wantStatus(t, x.login(adminUser, fresh), http.StatusTooManyRequests)
}
