package admin

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/httprate"
)

// Log-in throttling: failed attempts are counted over a sliding window for
// an account from one client address, for any account from one address,
// and for an account from anywhere; while any count is at its limit, an
// attempt it covers is refused before its password is checked, right or
// wrong. A successful log-in resets none of them.
//
// The tight limit is the one per account and address: someone who knows an
// officer's username can lock it out only from the addresses they send
// from, not from the officer's own. The limit per account from anywhere is
// much higher: it bounds guessing spread over many addresses (at least
// twenty of them, each under maxFailsPerAccountAddr for the account).
// Addresses count per IPv6 /64 (netaddr.LimitKey), so an attacker with a
// range of IPv6 networks reaches it in seconds, and the account is then
// locked for everyone, its officer included, until the window passes.
//
// So a browser that has logged in to an account keeps a device cookie for
// it (device.go), and an attempt at that account that presents one is
// counted against that cookie alone, up to maxFailsPerDevice failures: the
// counts per address and per account, which anyone can run up, neither
// refuse it nor count it. The officer's usual browser logs in while the
// account is under attack; the attacker, who has no cookie for it, still
// meets every other limit. Once a cookie has failed maxFailsPerDevice
// times in the window, it is not trusted until the window passes, and its
// attempts are counted and refused as anyone's are.
const (
	failWindow             = 15 * time.Minute
	maxFailsPerAccountAddr = 5
	maxFailsPerAddr        = 20
	maxFailsPerAccount     = 100
	maxFailsPerDevice      = 5

	// Each view of the log-in form stores a session (it carries the form's
	// CSRF token), so views are limited per address too: nobody can fill
	// the sessions table, or keep the database's writer busy, by reloading it.
	formWindow      = time.Minute
	maxFormsPerAddr = 30
)

// throttle holds the failure counters, in this process's memory (an
// instance restart forgets them; several instances each count their own).
type throttle struct {
	pair, addr, account *httprate.RateLimiter
	device              *httprate.RateLimiter // failures per device cookie
	form                *httprate.RateLimiter // log-in form views per address

	mu sync.Mutex
	// told holds, for each lock the audit log was told of, when it may be
	// told again (failWindow on): one entry per lock, not one per refusal.
	told map[string]time.Time
}

// maxTold bounds throttle.told; past it, locks go unreported in the audit
// log (the server log still has every refusal) until old ones expire.
const maxTold = 10000

// lock is which limit refused an attempt.
type lock int

const (
	unlocked      lock = iota
	lockedPair         // the account, from this address
	lockedAddr         // any account, from this address
	lockedAccount      // the account, from anywhere
)

func newThrottle() *throttle {
	quiet := httprate.WithResponseHeaders(httprate.ResponseHeaders{}) // no X-RateLimit-* on the log-in page
	return &throttle{
		pair:    httprate.NewRateLimiter(maxFailsPerAccountAddr, failWindow, quiet),
		addr:    httprate.NewRateLimiter(maxFailsPerAddr, failWindow, quiet),
		account: httprate.NewRateLimiter(maxFailsPerAccount, failWindow, quiet),
		device:  httprate.NewRateLimiter(maxFailsPerDevice, failWindow, quiet),
		form:    httprate.NewRateLimiter(maxFormsPerAddr, formWindow, quiet),
		told:    make(map[string]time.Time),
	}
}

// accountKey is the counter key of an attempted username; case folds so
// that "Deo" and "deo" share one count.
func accountKey(username string) string { return strings.ToLower(username) }

// pairKey is the counter key of an account tried from an address.
func pairKey(account, addr string) string { return account + "\x00" + addr }

// attempt is one log-in attempt, as the throttle counts it.
type attempt struct {
	account string // accountKey of the username tried
	addr    string // netaddr.LimitKey of the client's address
	device  string // key of a valid device cookie for account, or ""
	trusted bool   // admit counted it against its device cookie alone
}

// admit reports which limit, if any, refuses the attempt at (unlocked: it
// may be checked). It counts the attempt as a failure at once, in the
// same step as the check, so that a burst of parallel guesses cannot all
// slip under the limit before the first is counted; succeeded takes the
// counts back, as admit does itself for the counts it made before a
// refusal. An attempt with a device cookie under its limit is counted
// against that alone, and marked trusted.
func (t *throttle) admit(w http.ResponseWriter, r *http.Request, at *attempt) lock {
	at.trusted = at.device != "" && !t.device.OnLimit(w, r, at.device)
	if at.trusted {
		return unlocked
	}
	pair := pairKey(at.account, at.addr)
	if t.pair.OnLimit(w, r, pair) {
		return lockedPair
	}
	if t.addr.OnLimit(w, r, at.addr) {
		t.refund(t.pair, pair)
		return lockedAddr
	}
	if t.account.OnLimit(w, r, at.account) {
		t.refund(t.pair, pair)
		t.refund(t.addr, at.addr)
		return lockedAccount
	}
	return unlocked
}

// lockKey names the lock l on account from addr, for throttle.told.
func lockKey(l lock, account, addr string) string {
	switch l {
	case lockedPair:
		return "pair\x00" + pairKey(account, addr)
	case lockedAddr:
		return "addr\x00" + addr
	default:
		return "account\x00" + account
	}
}

// firstRefusal reports whether the lock key has not been reported within
// failWindow before now, and marks it reported if so.
func (t *throttle) firstRefusal(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until, ok := t.told[key]; ok && now.Before(until) {
		return false
	}
	if len(t.told) >= maxTold {
		for k, until := range t.told {
			if !now.Before(until) {
				delete(t.told, k)
			}
		}
		if len(t.told) >= maxTold {
			return false
		}
	}
	t.told[key] = now.Add(failWindow)
	return true
}

// untell forgets that the lock key was reported, for a report that could
// not be written.
func (t *throttle) untell(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.told, key)
}

// succeeded takes back the counts admit made of an attempt that logged in.
func (t *throttle) succeeded(at attempt) {
	if at.trusted {
		t.refund(t.device, at.device)
		return
	}
	t.refund(t.pair, pairKey(at.account, at.addr))
	t.refund(t.addr, at.addr)
	t.refund(t.account, at.account)
}

// refund takes one count of key back from l.
func (t *throttle) refund(l *httprate.RateLimiter, key string) {
	// httprate's windows run on its own clock. Should the window turn
	// between count and refund, the refund lands in the new window and may
	// forgive up to one more failure while the old one slides out.
	_ = l.Counter().IncrementBy(key, time.Now().UTC().Truncate(failWindow), -1)
}

// admitForm counts a view of the log-in form from addr and reports whether
// it is within the limit.
func (t *throttle) admitForm(w http.ResponseWriter, r *http.Request, addr string) bool {
	return !t.form.OnLimit(w, r, addr)
}
