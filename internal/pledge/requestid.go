package pledge

import "context"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the ID of the request it serves, so
// the jobs that request causes can name it in their logs.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
