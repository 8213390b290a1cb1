// Package logevery thins out a log line that a fault repeats at the rate of
// the traffic meeting it: one line a period, counting the ones held back.
package logevery

import (
	"sync"
	"time"
)

// Every lets through at most one log line a period and counts the rest,
// so that a fault every request meets (the database away, at thousands of
// requests a second) is a line every few seconds, not one per request. The
// zero value lets every line through; it is safe for concurrent use.
type Every struct {
	Period time.Duration

	mu   sync.Mutex
	next time.Time // before this, lines are held back
	held int       // held back since the last line let through
}

// Allow reports whether to log at now and, if so, how many lines were held
// back since the last one let through.
func (e *Every) Allow(now time.Time) (ok bool, held int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.Before(e.next) {
		e.held++
		return false, 0
	}
	held, e.held = e.held, 0
	e.next = now.Add(e.Period)
	return true, held
}
