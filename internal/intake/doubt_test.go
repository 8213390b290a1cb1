package intake_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

// doubting leaves its first batch in doubt, as PostgreSQL's store does when
// a COMMIT goes unanswered: that batch is committed underneath, but its
// Resolve answers only once told (stored, or not stored; the intake passes
// on what Resolve says, whatever the store holds). Every later batch is
// committed at once.
type doubting struct {
	intake.Committer
	first   bool
	asked   chan struct{}  // closed when Resolve is called
	outcome chan error     // nil: it was stored
	done    chan struct{}  // closed when Resolve returns
	results []store.Result // what the doubtful batch's commit returned
}

func (d *doubting) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	if d.first {
		return d.Committer.CommitBatch(ctx, subs)
	}
	d.first = true // the writer loop alone calls CommitBatch
	res, err := d.Committer.CommitBatch(ctx, subs)
	if err != nil {
		return nil, err
	}
	d.results = res
	return nil, &store.InDoubtError{
		Err: errors.New("commit batch: no answer to COMMIT"),
		Resolve: func(context.Context) ([]store.Result, error) {
			defer close(d.done)
			close(d.asked)
			if err := <-d.outcome; err != nil {
				return nil, err
			}
			return d.results, nil
		},
	}
}

// TestBatchInDoubtHoldsNoOtherBatch: while the writer finds out whether a
// batch whose COMMIT went unanswered was stored, later submissions are
// committed and answered; the doubtful batch is answered with its receipt
// if it was stored and ErrUnavailable if not, and Close waits for it.
func TestBatchInDoubtHoldsNoOtherBatch(t *testing.T) {
	for _, stored := range []bool{true, false} {
		t.Run(map[bool]string{true: "stored", false: "not stored"}[stored], func(t *testing.T) {
			s, c := openStore(t)
			d := &doubting{Committer: s, asked: make(chan struct{}), outcome: make(chan error, 1), done: make(chan struct{})}
			in := intake.New(d, discard, intake.Options{})
			go in.Run()
			h := pledge.NewHasher([]byte("k"))

			first := make(chan error, 1)
			var firstReceipt pledge.Receipt
			go func() {
				var err error
				firstReceipt, err = in.Submit(context.Background(), storetest.Submission(h, c.ID, 1, "N1"))
				first <- err
			}()
			<-d.asked
			rec, err := in.Submit(context.Background(), storetest.Submission(h, c.ID, 2, "N1"))
			if err != nil || rec.Number != 2 {
				t.Fatalf("a submission after the batch in doubt = %+v, %v; want number 2, while the first is unanswered", rec, err)
			}
			select {
			case err := <-first:
				t.Fatalf("the batch in doubt answered %v before its outcome was known", err)
			default:
			}

			short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := in.Close(short); err == nil || !strings.Contains(err.Error(), "1 pledges not stored") {
				t.Errorf("Close with a batch in doubt = %v, want 1 pledge not stored yet", err)
			}

			if stored {
				d.outcome <- nil
			} else {
				d.outcome <- errors.New("commit batch: no answer to COMMIT")
			}
			err = <-first
			switch {
			case stored && (err != nil || firstReceipt.Number != 1):
				t.Errorf("the batch in doubt, stored = %+v, %v; want its receipt, number 1", firstReceipt, err)
			case !stored && !errors.Is(err, pledge.ErrUnavailable):
				t.Errorf("the batch in doubt, not stored = %v; want ErrUnavailable", err)
			}
			if err := in.Close(context.Background()); err != nil {
				t.Errorf("Close once the batch in doubt is answered = %v", err)
			}
			<-d.done
		})
	}
}

// TestFailedCommitsLoggedEveryFewSeconds: with the database away every
// batch fails at once and the next follows; each submitter hears of it,
// but the log has one line for the first failure, not one per batch.
func TestFailedCommitsLoggedEveryFewSeconds(t *testing.T) {
	var out syncbuf.Buffer
	in := intake.New(failing{}, slog.New(slog.NewJSONHandler(&out, nil)), intake.Options{})
	go in.Run()
	defer in.Close(context.Background())
	h := pledge.NewHasher(nil)
	for i := range 10 {
		if _, err := in.Submit(context.Background(), storetest.Submission(h, 1, i, "N1")); !errors.Is(err, errDisk) {
			t.Fatalf("Submit %d = %v, want the commit error", i, err)
		}
	}
	if n := strings.Count(out.String(), `"msg":"batch commit failed"`); n != 1 {
		t.Errorf("10 failed batches within a moment logged %d lines, want 1:\n%s", n, out.String())
	}
}
