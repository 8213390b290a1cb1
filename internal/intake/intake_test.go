package intake_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

var discard = slog.New(slog.DiscardHandler)

func openStore(t testing.TB) (*sqlite.Store, *pledge.Campaign) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "in.db"), discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := storetest.Campaign("intake")
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	return s, c
}

// TestConcurrentSubmissions: 10,000 submissions from 64 goroutines, one in
// five repeating an earlier number. Exactly one row per number, counts that
// add up, certificate numbers exactly 1..N, and batches that really grouped.
func TestConcurrentSubmissions(t *testing.T) {
	s, c := openStore(t)
	var batches, rows atomic.Int64
	in := intake.New(s, discard, intake.Options{Observer: func(b []pledge.Submission, _ []store.Result, _ time.Duration, _ error) {
		batches.Add(1)
		rows.Add(int64(len(b)))
	}})
	go in.Run()
	h := pledge.NewHasher([]byte("k"))

	const total, workers = 10000, 64
	const distinct = total * 8 / 10
	var mu sync.Mutex
	numbers := make(map[int64]bool)
	var dups, news atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += workers {
				phone := i
				if i >= distinct {
					phone = i % distinct // the last 20% repeat earlier numbers
				}
				rec, err := in.Submit(context.Background(), storetest.Submission(h, c.ID, phone, storetest.Leaves[phone%3]))
				switch {
				case errors.Is(err, pledge.ErrDuplicate):
					dups.Add(1)
				case err != nil:
					t.Errorf("Submit: %v", err)
					return
				default:
					news.Add(1)
					mu.Lock()
					if numbers[rec.Number] {
						t.Errorf("number %d handed out twice", rec.Number)
					}
					numbers[rec.Number] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if news.Load() != distinct || dups.Load() != total-distinct {
		t.Fatalf("new=%d duplicate=%d, want %d and %d", news.Load(), dups.Load(), distinct, total-distinct)
	}
	for n := int64(1); n <= distinct; n++ {
		if !numbers[n] {
			t.Fatalf("number %d never handed out", n)
		}
	}
	a := storetest.MustAudit(t, s, c.ID)
	if a.Rows != distinct {
		t.Fatalf("rows = %d, want %d", a.Rows, distinct)
	}
	counts, _ := s.Counts(context.Background(), c.ID)
	var sum int64
	for _, n := range counts.Regions {
		sum += n
	}
	if sum != distinct || counts.Total != distinct {
		t.Fatalf("region counts sum to %d, total %d; want %d", sum, counts.Total, distinct)
	}
	if batches.Load() >= rows.Load() {
		t.Errorf("%d batches for %d rows: submissions were never grouped", batches.Load(), rows.Load())
	}
	t.Logf("%d rows in %d batches", rows.Load(), batches.Load())
}

// blocking is a Committer that holds every batch until released.
type blocking struct {
	release chan struct{}
	sizes   chan int

	mu    sync.Mutex
	names []string // of every submission committed
}

func (b *blocking) CommitBatch(_ context.Context, subs []pledge.Submission) ([]store.Result, error) {
	b.sizes <- len(subs)
	<-b.release
	b.mu.Lock()
	for _, sub := range subs {
		b.names = append(b.names, sub.Name)
	}
	b.mu.Unlock()
	res := make([]store.Result, len(subs))
	for i := range subs {
		res[i].Receipt = pledge.Receipt{CampaignID: subs[i].CampaignID, Number: int64(i + 1)}
	}
	return res, nil
}

func TestFullQueueAnswersAtOnceAndDrainOnClose(t *testing.T) {
	b := &blocking{release: make(chan struct{}), sizes: make(chan int, 100)}
	in := intake.New(b, discard, intake.Options{QueueSize: 3, MaxBatch: 10})
	go in.Run()
	h := pledge.NewHasher([]byte("k"))
	results := make(chan error, 10)
	submit := func(i int) {
		_, err := in.Submit(context.Background(), storetest.Submission(h, 1, i, "N1"))
		results <- err
	}
	go submit(0)
	if got := <-b.sizes; got != 1 {
		t.Fatalf("first batch size %d, want 1: a lone pledge must commit alone and at once", got)
	}
	for i := 1; i <= 3; i++ { // fill the queue while the first commit is held
		go submit(i)
	}
	waitFor(t, func() bool { return in.Len() == 3 })
	start := time.Now()
	_, err := in.Submit(context.Background(), storetest.Submission(h, 1, 99, "N1"))
	if !errors.Is(err, pledge.ErrOverloaded) {
		t.Fatalf("Submit on a full queue = %v, want ErrOverloaded", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("overload answer took %v, want immediate", d)
	}
	closed := make(chan error)
	go func() { closed <- in.Close(context.Background()) }()
	waitFor(t, func() bool {
		_, err := in.Submit(context.Background(), storetest.Submission(h, 1, 98, "N1"))
		return errors.Is(err, pledge.ErrShuttingDown)
	})
	close(b.release)
	if got := <-b.sizes; got != 3 {
		t.Errorf("second batch size %d, want the 3 that waited", got)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := <-results; err != nil {
			t.Errorf("queued submission answered %v, want committed during drain", err)
		}
	}
}

func TestCommitErrorReachesEverySubmitter(t *testing.T) {
	in := intake.New(failing{}, discard, intake.Options{})
	go in.Run()
	defer in.Close(context.Background())
	_, err := in.Submit(context.Background(), storetest.Submission(pledge.NewHasher(nil), 1, 1, "N1"))
	if err == nil || !errors.Is(err, errDisk) {
		t.Fatalf("Submit = %v, want the commit error", err)
	}
}

// TestWriteFailure: after three failed commits in a row WriteFailure says
// why, until a commit succeeds or FailingFor passes; one or two are a blip.
func TestWriteFailure(t *testing.T) {
	s, c := openStore(t)
	fail := &switchable{Committer: s}
	fail.failing.Store(true)
	in := intake.New(fail, discard, intake.Options{FailingFor: 300 * time.Millisecond})
	go in.Run()
	defer in.Close(context.Background())
	h := pledge.NewHasher(nil)
	if err := in.WriteFailure(); err != nil {
		t.Fatalf("before any commit: WriteFailure = %v", err)
	}
	for i := range 3 {
		if err := in.WriteFailure(); err != nil {
			t.Errorf("after %d failed commits: WriteFailure = %v, want nil", i, err)
		}
		if _, err := in.Submit(context.Background(), storetest.Submission(h, c.ID, 1, "N1")); !errors.Is(err, errDisk) {
			t.Fatalf("Submit = %v, want the commit error", err)
		}
	}
	if err := in.WriteFailure(); !errors.Is(err, errDisk) {
		t.Errorf("after three failed commits: WriteFailure = %v, want %v", err, errDisk)
	}
	time.Sleep(350 * time.Millisecond)
	if err := in.WriteFailure(); err != nil {
		t.Errorf("FailingFor after the failure: WriteFailure = %v, want nil", err)
	}
	if _, err := in.Submit(context.Background(), storetest.Submission(h, c.ID, 2, "N1")); !errors.Is(err, errDisk) {
		t.Fatalf("Submit = %v, want the commit error", err)
	}
	if err := in.WriteFailure(); !errors.Is(err, errDisk) {
		t.Errorf("a fourth failure in a row: WriteFailure = %v, want %v", err, errDisk)
	}
	fail.failing.Store(false)
	if _, err := in.Submit(context.Background(), storetest.Submission(h, c.ID, 3, "N1")); err != nil {
		t.Fatal(err)
	}
	if err := in.WriteFailure(); err != nil {
		t.Errorf("after a commit succeeded: WriteFailure = %v, want nil", err)
	}
}

// switchable fails every commit with errDisk while failing is set.
type switchable struct {
	intake.Committer
	failing atomic.Bool
}

func (s *switchable) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	if s.failing.Load() {
		return nil, errDisk
	}
	return s.Committer.CommitBatch(ctx, subs)
}

var errDisk = errors.New("disk on fire")

type failing struct{}

func (failing) CommitBatch(context.Context, []pledge.Submission) ([]store.Result, error) {
	return nil, errDisk
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLeftSubmissionsAreNotStored: a submission no batch took within
// MaxWait is answered ErrOverloaded, one whose caller gave up is answered
// with that; neither is stored later, when the queue moves again.
func TestLeftSubmissionsAreNotStored(t *testing.T) {
	b := &blocking{release: make(chan struct{}), sizes: make(chan int, 100)}
	in := intake.New(b, discard, intake.Options{MaxWait: 100 * time.Millisecond})
	go in.Run()
	defer in.Close(context.Background())
	h := pledge.NewHasher([]byte("k"))
	held := make(chan error, 1)
	go func() {
		_, err := in.Submit(context.Background(), storetest.Submission(h, 1, 1, "N1"))
		held <- err
	}()
	if got := <-b.sizes; got != 1 {
		t.Fatalf("first batch %d, want 1", got)
	}
	// The first batch is held: these wait in the queue.
	if _, err := in.Submit(context.Background(), storetest.Submission(h, 1, 2, "N1")); !errors.Is(err, pledge.ErrOverloaded) {
		t.Errorf("Submit left in the queue past MaxWait = %v, want ErrOverloaded", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		_, err := in.Submit(ctx, storetest.Submission(h, 1, 3, "N1"))
		gone <- err
	}()
	waitFor(t, func() bool { return in.Len() == 2 })
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("Submit whose caller left = %v, want context.Canceled", err)
	}
	close(b.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if _, err := in.Submit(context.Background(), storetest.Submission(h, 1, 4, "N1")); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	names := b.names
	b.mu.Unlock()
	if want := []string{"Citizen 1", "Citizen 4"}; !slices.Equal(names, want) {
		t.Errorf("committed %q, want %q: the two left behind are not stored", names, want)
	}
	if in.Shed() != 1 {
		t.Errorf("Shed() = %d, want 1", in.Shed())
	}
}

// TestCloseFailsOnlyWithPledgesLeft: a Close whose time runs out is an
// error only while submissions wait to be stored, and says how many; an
// empty queue closes without one however little time is left, and so does
// a queue whose only submission's caller has gone.
func TestCloseFailsOnlyWithPledgesLeft(t *testing.T) {
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	idle := intake.New(&blocking{release: make(chan struct{}), sizes: make(chan int, 10)}, discard, intake.Options{})
	go idle.Run()
	if err := idle.Close(expired); err != nil {
		t.Errorf("Close of an empty intake with no time left = %v, want nil: nothing was left unstored", err)
	}

	b := &blocking{release: make(chan struct{}), sizes: make(chan int, 10)}
	in := intake.New(b, discard, intake.Options{})
	go in.Run()
	h := pledge.NewHasher([]byte("k"))
	results := make(chan error, 3)
	for i := range 3 {
		go func() {
			_, err := in.Submit(context.Background(), storetest.Submission(h, 1, i, "N1"))
			results <- err
		}()
		if i == 0 {
			<-b.sizes // the first batch is held; the others queue behind it
		}
	}
	waitFor(t, func() bool { return in.Len() == 2 })
	gone, leave := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := in.Submit(gone, storetest.Submission(h, 1, 9, "N1"))
		left <- err
	}()
	waitFor(t, func() bool { return in.Len() == 3 })
	leave()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit whose caller left = %v", err)
	}

	short, stop := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer stop()
	err := in.Close(short)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3 pledges not stored") {
		t.Errorf("Close with one batch held and two queued = %v, want deadline exceeded with 3 pledges not stored", err)
	}
	close(b.release)
	for range 3 {
		if err := <-results; err != nil {
			t.Errorf("submission answered %v, want stored once the commit went on", err)
		}
	}
	if err := in.Close(expired); err != nil {
		t.Errorf("Close after everything was stored = %v, want nil", err)
	}
}

// TestAdmitBoundsSubmissionsInProgress: Admit lets in the queue's size
// plus one batch, refuses (and counts shed) past that, and takes again
// once a place is given back.
func TestAdmitBoundsSubmissionsInProgress(t *testing.T) {
	in := intake.New(failing{}, discard, intake.Options{QueueSize: 2, MaxBatch: 1})
	for i := range 3 {
		if !in.Admit() {
			t.Fatalf("Admit %d refused, want 3 places (a queue of 2 and a batch of 1)", i+1)
		}
	}
	if in.Admit() {
		t.Fatal("a fourth submission was admitted")
	}
	if in.InProgress() != 3 || in.Shed() != 1 {
		t.Errorf("in progress %d, shed %d; want 3 and 1", in.InProgress(), in.Shed())
	}
	in.Release()
	if !in.Admit() {
		t.Error("Admit refused after a place was given back")
	}
}
