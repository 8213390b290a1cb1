package route_test

import (
	"context"
	"testing"

	"github.com/pledgeportal/pledge/internal/route"
)

func TestSetReachesTrack(t *testing.T) {
	ctx, slot := route.Track(context.Background())
	if *slot != "" {
		t.Fatalf("slot = %q before Set", *slot)
	}
	// A handler further down sees a derived context.
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	route.Set(inner, "GET /admin/c/{slug}")
	if *slot != "GET /admin/c/{slug}" {
		t.Errorf("slot = %q, want the pattern set below", *slot)
	}
	// An outer mux reports after the inner one: the inner pattern stays.
	route.Set(ctx, "/admin/")
	if *slot != "GET /admin/c/{slug}" {
		t.Errorf("slot = %q after the outer mux reported, want the inner pattern", *slot)
	}
}

func TestSetUntrackedIsHarmless(t *testing.T) {
	route.Set(context.Background(), "GET /x") // must not panic
}
