package web

import (
	"sync"
	"time"
)

// logEvery lets through at most one log line a period and counts the rest,
// so that a fault every request meets (the database away, at thousands of
// requests a second) is a line every few seconds, not one per request:
// each request's own line is in the access log already.
type logEvery struct {
	period time.Duration

	mu   sync.Mutex
	next time.Time // before this, lines are held back
	held int       // held back since the last line let through
}

// allow reports whether to log at now and, if so, how many lines were held
// back since the last one let through.
func (l *logEvery) allow(now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.held++
		return false, 0
	}
	held, l.held = l.held, 0
	l.next = now.Add(l.period)
	return true, held
}
