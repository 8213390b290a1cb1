package intake_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// BenchmarkSubmit measures pledges/s through the intake from 64 concurrent
// submitters on real SQLite with synchronous=FULL, beside the reference of
// the same submitters each committing their own transaction.
func BenchmarkSubmit(b *testing.B) {
	run := func(b *testing.B, submit func(pledge.Submission) error) {
		var next atomic.Int64
		h := pledge.NewHasher([]byte("bench"))
		b.SetParallelism(32) // 64 submitters on 2 cores
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1))
				if err := submit(storetest.Submission(h, 1, i, storetest.Leaves[i%3])); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "pledges/s")
	}
	b.Run("group-commit", func(b *testing.B) {
		s, c := openStore(b)
		in := intake.New(s, discard, intake.Options{})
		go in.Run()
		defer in.Close(context.Background())
		run(b, func(sub pledge.Submission) error {
			sub.CampaignID = c.ID
			_, err := in.Submit(context.Background(), sub)
			return err
		})
	})
	b.Run("transaction-per-pledge", func(b *testing.B) {
		s, c := openStore(b)
		run(b, func(sub pledge.Submission) error {
			sub.CampaignID = c.ID
			_, err := s.CommitBatch(context.Background(), []pledge.Submission{sub})
			return err
		})
	})
}
