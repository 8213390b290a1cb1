package jobs_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// BenchmarkIntakeWithMail measures pledges/s through the intake from 64
// submitters while River's mail workers run beside it, in cases measured in
// the same run: a campaign that asks for no email (the reference); every
// pledge with an email, its job enqueued in the batch but no worker running
// (enqueue-only: the cost of the job rows); the mail server taking
// everything; the mail server refusing everything for now (451); and
// refusing with retries every 10ms. The claim to check: "mail-failing" is
// within noise of "mail-ok". Set BENCH_BACKEND=postgres (with
// PLEDGE_TEST_DATABASE_URL) for PostgreSQL; SQLite otherwise.
func BenchmarkIntakeWithMail(b *testing.B) {
	open := openSQLite
	if os.Getenv("BENCH_BACKEND") == "postgres" {
		open = openPostgres
	}
	for _, tc := range []struct {
		name      string
		mode      pledge.EmailMode
		workers   int
		failing   bool
		retryBase string
	}{
		{"no-email", pledge.EmailNone, 4, false, "5s"},
		{"enqueue-only", pledge.EmailOptional, 0, false, "5s"},
		{"mail-ok", pledge.EmailOptional, 4, false, "5s"},
		{"mail-failing", pledge.EmailOptional, 4, true, "5s"},
		{"mail-failing-fast-retry", pledge.EmailOptional, 4, true, "10ms"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			smtp := mailtest.NewServer(b)
			smtp.FailTemporarily(tc.failing)
			sender, err := mail.NewSMTP(smtp.Config(), discard)
			if err != nil {
				b.Fatal(err)
			}
			env := newEnv(b, open(b), sender, withRetry(tc.retryBase), withWorkers(tc.workers))
			c := env.campaign(b, "bench", tc.mode)
			in := intake.New(env.store, discard, intake.Options{})
			go in.Run()
			defer in.Close(context.Background())
			h := pledge.NewHasher([]byte("bench"))
			var next atomic.Int64
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1))
					sub := storetest.Submission(h, c.ID, i, storetest.Leaves[i%3])
					if tc.mode != pledge.EmailNone {
						sub.Email = fmt.Sprintf("citizen%d@example.org", i)
					}
					if _, err := in.Submit(context.Background(), sub); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(next.Load())/b.Elapsed().Seconds(), "pledges/s")
		})
	}
}
