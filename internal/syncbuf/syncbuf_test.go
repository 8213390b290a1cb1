package syncbuf_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/pledgeportal/pledge/internal/syncbuf"
)

// TestConcurrentWrites: writers and a reader at once (run with -race), and
// every write kept whole.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("line\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("line\n", 800) {
		t.Errorf("%d bytes, want 800 whole lines", len(got))
	}
}
