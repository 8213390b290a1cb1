package logevery

import (
	"testing"
	"time"
)

// TestEvery: the first line passes, the next within the period are held
// back and counted in the first line after it, and the count starts again.
func TestEvery(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	e := Every{Period: 5 * time.Second}
	for _, step := range []struct {
		at       time.Duration
		ok       bool
		wantHeld int
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{4999 * time.Millisecond, false, 0},
		{5 * time.Second, true, 2},
		{6 * time.Second, false, 0},
		{20 * time.Second, true, 1},
		{25 * time.Second, true, 0},
	} {
		ok, held := e.Allow(t0.Add(step.at))
		if ok != step.ok || held != step.wantHeld {
			t.Errorf("at %v: Allow = %t, %d; want %t, %d", step.at, ok, held, step.ok, step.wantHeld)
		}
	}
}
