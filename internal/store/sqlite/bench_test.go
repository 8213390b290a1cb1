package sqlite_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// BenchmarkCommitBatch compares group commit with its reference, one
// transaction per pledge (batch=1), in the same run. Compare pledges/s.
func BenchmarkCommitBatch(b *testing.B) {
	for _, size := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := storetest.Campaign("bench")
			if err := s.CreateCampaign(ctx, c, nil); err != nil {
				b.Fatal(err)
			}
			h := pledge.NewHasher([]byte("bench"))
			subs := make([]pledge.Submission, size)
			next := 0
			b.ResetTimer()
			for b.Loop() {
				for i := range subs {
					subs[i] = storetest.Submission(h, c.ID, next, storetest.Leaves[next%3])
					next++
				}
				if _, err := s.CommitBatch(ctx, subs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "pledges/s")
		})
	}
}
