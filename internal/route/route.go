// Package route carries the pattern that served a request out of a handler
// mounted under a prefix, such as the admin console, to the access log and
// metrics that wrap it. The outer mux only knows the prefix ("/admin/"),
// and the request the inner mux sets Pattern on is a copy the outer
// middleware never sees.
package route

import "context"

type slotKey struct{}

// Track returns ctx with room for a route pattern, and that room: empty
// unless a handler below calls Set.
func Track(ctx context.Context) (context.Context, *string) {
	slot := new(string)
	return context.WithValue(ctx, slotKey{}, slot), slot
}

// Set records pattern as the route that served the request of ctx, if ctx
// came from Track and no route is recorded yet; otherwise it does nothing.
// Muxes report once they have served, so the innermost, which knows the
// most, reports first and keeps its pattern.
func Set(ctx context.Context, pattern string) {
	if slot, ok := ctx.Value(slotKey{}).(*string); ok && *slot == "" {
		*slot = pattern
	}
}
