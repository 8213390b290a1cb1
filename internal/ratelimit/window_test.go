package ratelimit

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"
)

var discard = slog.New(slog.DiscardHandler)

func TestWindowLimits(t *testing.T) {
	l := newWindow(3, time.Minute, httprate.NewLocalLimitCounter(time.Minute), discard)
	for i := 1; i <= 3; i++ {
		w := httptest.NewRecorder()
		if !l.allow(w, "a") {
			t.Fatalf("request %d of 3 refused", i)
		}
		if len(w.Header()) != 0 {
			t.Errorf("request %d passed with headers %v, want none", i, w.Header())
		}
	}
	w := httptest.NewRecorder()
	if l.allow(w, "a") {
		t.Fatal("a fourth request within the minute passed")
	}
	if w.Header().Get("Retry-After") != "60" || len(w.Header()) != 1 {
		t.Errorf("refusal headers %v, want Retry-After: 60 alone", w.Header())
	}
	if !l.allow(httptest.NewRecorder(), "b") {
		t.Error("another key was refused")
	}
}

// blockingCounter holds every Get until release is closed.
type blockingCounter struct {
	httprate.LimitCounter
	inGet   atomic.Int32
	release chan struct{}
}

func (c *blockingCounter) Get(key string, curr, prev time.Time) (int, int, error) {
	c.inGet.Add(1)
	<-c.release
	return c.LimitCounter.Get(key, curr, prev)
}

// TestWindowDoesNotQueueRequests: two requests read the counter at the same
// time; neither waits for the other's round trip (with Redis, a lock there
// capped an instance at one request per round trip).
func TestWindowDoesNotQueueRequests(t *testing.T) {
	c := &blockingCounter{LimitCounter: httprate.NewLocalLimitCounter(time.Minute), release: make(chan struct{})}
	l := newWindow(10, time.Minute, c, discard)
	var wg sync.WaitGroup
	for _, key := range []string{"a", "b"} {
		wg.Go(func() { l.allow(httptest.NewRecorder(), key) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.inGet.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	got := c.inGet.Load()
	close(c.release)
	wg.Wait()
	if got != 2 {
		t.Errorf("%d of 2 concurrent requests reached the counter; one waited for the other", got)
	}
}

type failingCounter struct{ httprate.LimitCounter }

func (failingCounter) Get(string, time.Time, time.Time) (int, int, error) {
	return 0, 0, errors.New("redis: connection refused")
}

// TestWindowLetsThroughWhenTheCounterFails: limits must not stop pledges.
func TestWindowLetsThroughWhenTheCounterFails(t *testing.T) {
	l := newWindow(1, time.Minute, failingCounter{httprate.NewLocalLimitCounter(time.Minute)}, discard)
	for i := range 3 {
		if !l.allow(httptest.NewRecorder(), "a") {
			t.Fatalf("request %d refused while the counter fails", i+1)
		}
	}
}
