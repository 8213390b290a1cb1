package jobs_test

import (
	"context"
	"sync"

	"github.com/pledgeportal/pledge/internal/mail"
)

// countingSender counts the sends to each address before passing them on.
type countingSender struct {
	mail.Sender
	mu sync.Mutex
	n  map[string]int
}

func (c *countingSender) Send(ctx context.Context, m mail.Message) error {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[m.To]++
	c.mu.Unlock()
	return c.Sender.Send(ctx, m)
}

func (c *countingSender) count(to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[to]
}

// syncLog is a log sink safe for the workers' goroutines.
type syncLog struct {
	mu sync.Mutex
	b  []byte
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
