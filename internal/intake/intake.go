// Package intake is the write path: a bounded queue in front of one writer
// loop that group-commits submissions. While one batch commits, the next
// accumulates; at low load a pledge commits alone and at once, at high load
// batches grow up to a cap. Nobody waits on a timer.
//
// It also bounds the submissions in progress, from the moment a request is
// admitted (once its body is read) to its answer: when the machine runs
// out of CPU, requests wait for it everywhere but in the queue, and the
// bound is what turns that wait into a 503 at once.
package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pledgeportal/pledge/internal/logevery"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Committer stores one batch atomically; store.Store satisfies it.
type Committer interface {
	CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error)
}

// Observer is told about every batch once its commit returns (results nil
// and err set when it failed), e.g. to refresh counts or
// export metrics. It must be quick; it runs on the writer loop, but for a
// batch whose commit went unanswered (store.InDoubtError): that one is told
// from another goroutine, once its outcome is known.
type Observer func(batch []pledge.Submission, results []store.Result, took time.Duration, err error)

// Options tunes an Intake.
type Options struct {
	// QueueSize is how many submissions may wait beyond the batch in
	// flight; default 4,000. Admit lets in at most QueueSize + MaxBatch
	// submissions in progress.
	QueueSize int
	MaxBatch  int           // rows per transaction; default 1,000
	Timeout   time.Duration // limit for one commit; default 5s
	// MaxWait is how long a submission may wait in the queue before it is
	// answered ErrOverloaded and left out; default 10s, under a proxy's
	// usual read timeout, so that the citizen gets the answer.
	MaxWait time.Duration
	// FailingFor is how long after the last of three failed commits in a
	// row, with none succeeding since, WriteFailure reports them; default
	// 30s.
	FailingFor time.Duration
	Observer   Observer // optional
}

// A request's state: the writer takes it into a batch, or its caller gives
// up on it first, whichever comes first; a request left is never stored.
const (
	queued int32 = iota
	taken
	left
)

type request struct {
	sub   pledge.Submission
	done  chan store.Result // buffered: the writer never blocks on a gone caller
	state atomic.Int32
}

// Intake group-commits submissions through a Committer.
type Intake struct {
	store Committer
	log   *slog.Logger
	opts  Options

	mu     sync.RWMutex // guards closed against sends on q
	closed bool
	q      chan *request
	done   chan struct{}
	shed   atomic.Int64

	inProgress atomic.Int64 // admitted and not yet released
	// unstored counts the submissions queued, and not left by their
	// callers, or in the batch being committed: those Close waits for.
	unstored atomic.Int64

	failed  atomic.Pointer[failure] // the last commit's failure; nil once one succeeds
	doubts  sync.WaitGroup          // batches in doubt, being asked about (see commit)
	failLog logevery.Every          // thins out "batch commit failed"
}

// failure is the last of run commits in a row that failed, and when.
type failure struct {
	at  time.Time
	err error
	run int
}

// failingAfter is how many commits in a row must fail before WriteFailure
// reports them: one failure may be a blip every instance sees at once (a
// connection reset), and the next commit succeeds.
const failingAfter = 3

// WriteFailure returns why the last commit failed, if it and the two
// before it failed, the last within Options.FailingFor, and none has
// succeeded since: the database answers but does not take pledges (a full
// disk, a read-only file). After that it returns nil again, so that
// traffic sent elsewhere meanwhile comes back and a commit shows whether
// it still fails.
func (in *Intake) WriteFailure() error {
	f := in.failed.Load()
	if f == nil || f.run < failingAfter || time.Since(f.at) >= in.opts.FailingFor {
		return nil
	}
	return f.err
}

// New returns an Intake; call Run to start its writer loop.
func New(s Committer, log *slog.Logger, opts Options) *Intake {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4000
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 10 * time.Second
	}
	if opts.FailingFor <= 0 {
		opts.FailingFor = 30 * time.Second
	}
	return &Intake{
		store: s,
		log:   log,
		opts:  opts,
		q:     make(chan *request, opts.QueueSize),

		failLog: logevery.Every{Period: 5 * time.Second},
		done:    make(chan struct{}),
	}
}

// Submit queues sub and waits until its batch is committed. It returns the
// receipt, pledge.ErrDuplicate, pledge.ErrOverloaded at once when the queue
// is full (or after MaxWait if no batch has taken sub by then; it is then
// not stored), pledge.ErrShuttingDown after Close, or the commit's error.
// If ctx ends first, sub is left out unless a batch has taken it already;
// then it may still be committed, and the caller just stops waiting.
func (in *Intake) Submit(ctx context.Context, sub pledge.Submission) (pledge.Receipt, error) {
	r := &request{sub: sub, done: make(chan store.Result, 1)}
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		return pledge.Receipt{}, pledge.ErrShuttingDown
	}
	select {
	case in.q <- r:
		in.unstored.Add(1) // before the unlock: Close cannot miss it
		in.mu.RUnlock()
	default:
		in.mu.RUnlock()
		in.shed.Add(1)
		return pledge.Receipt{}, pledge.ErrOverloaded
	}
	wait := time.NewTimer(in.opts.MaxWait)
	defer wait.Stop()
	select {
	case res := <-r.done:
		return res.Receipt, res.Err
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, left) {
			in.unstored.Add(-1)
		}
		return pledge.Receipt{}, fmt.Errorf("waiting for commit: %w", ctx.Err())
	case <-wait.C:
		if r.state.CompareAndSwap(queued, left) {
			in.unstored.Add(-1)
			in.shed.Add(1)
			return pledge.Receipt{}, fmt.Errorf("%w: not taken into a batch within %v", pledge.ErrOverloaded, in.opts.MaxWait)
		}
		res := <-r.done // in a batch already: its commit is bounded by Timeout
		return res.Receipt, res.Err
	}
}

// Admit takes a place for one submission in progress, to be given back
// with Release once it is answered, or reports false (and counts it shed)
// when QueueSize + MaxBatch are in progress already: the caller answers
// 503 at once, before spending anything more on the request. Submit does
// not require it; the web layer calls it once a request's body is read.
func (in *Intake) Admit() bool {
	if in.inProgress.Add(1) > int64(in.opts.QueueSize+in.opts.MaxBatch) {
		in.inProgress.Add(-1)
		in.shed.Add(1)
		return false
	}
	return true
}

// Release gives back the place Admit took.
func (in *Intake) Release() { in.inProgress.Add(-1) }

// InProgress is the number of submissions admitted and not yet released.
func (in *Intake) InProgress() int { return int(in.inProgress.Load()) }

// Len is the number of submissions waiting.
func (in *Intake) Len() int { return len(in.q) }

// Cap is the most submissions that may wait.
func (in *Intake) Cap() int { return cap(in.q) }

// Shed is how many submissions were refused with ErrOverloaded so far, at
// once (by Admit or Submit) or after MaxWait.
func (in *Intake) Shed() int64 { return in.shed.Load() }

// Run is the writer loop. It returns after Close once every queued
// submission has been committed and answered.
func (in *Intake) Run() {
	defer close(in.done)
	batch := make([]*request, 0, in.opts.MaxBatch)
	for first := range in.q {
		batch = batch[:0]
		if first.state.CompareAndSwap(queued, taken) {
			batch = append(batch, first)
		}
	fill:
		for len(batch) < in.opts.MaxBatch {
			select {
			case r, ok := <-in.q:
				if !ok {
					break fill
				}
				if r.state.CompareAndSwap(queued, taken) { // else its caller has left
					batch = append(batch, r)
				}
			default:
				break fill
			}
		}
		if len(batch) > 0 {
			in.commit(batch)
		}
	}
	in.doubts.Wait()
}

// Close stops accepting submissions and waits until the queue has drained
// or ctx ends. It returns an error only when ctx ended with submissions
// still to be stored (queued, or in a batch not committed yet); those left
// by their callers do not count: they were never to be stored.
func (in *Intake) Close(ctx context.Context) error {
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.q)
	}
	in.mu.Unlock()
	select {
	case <-in.done:
		return nil
	case <-ctx.Done():
		if n := in.unstored.Load(); n > 0 {
			return fmt.Errorf("draining intake: %d pledges not stored: %w", n, ctx.Err())
		}
		return nil
	}
}

func (in *Intake) commit(batch []*request) {
	subs := make([]pledge.Submission, len(batch))
	for i, r := range batch {
		subs[i] = r.sub
	}
	// The commit does not inherit any caller's context: a client that hangs
	// up must not roll back the pledges of everyone else in its batch.
	ctx, cancel := context.WithTimeout(context.Background(), in.opts.Timeout)
	start := time.Now()
	results, err := in.store.CommitBatch(ctx, subs)
	if err != nil {
		in.failing(err)
	} else {
		in.failed.Store(nil)
	}
	var doubt *store.InDoubtError
	if errors.As(err, &doubt) {
		// Whether it was stored is learnt aside, within what is left of
		// the commit's time, while the next batches go on: they fail fast
		// if the database is away, rather than wait behind this one.
		in.log.Warn("batch commit unanswered; asking whether it was stored", "size", len(batch), "err", err)
		batch = slices.Clone(batch) // Run reuses its slice
		in.doubts.Add(1)
		go func() {
			defer in.doubts.Done()
			defer cancel()
			results, err := doubt.Resolve(ctx)
			if err != nil {
				in.logFailure(len(batch), err)
			}
			in.answer(batch, subs, results, time.Since(start), err)
		}()
		return
	}
	cancel()
	if err != nil {
		in.logFailure(len(batch), err)
	}
	in.answer(batch, subs, results, time.Since(start), err)
}

// logFailure logs a failed commit of size submissions: once every few
// seconds at most, since with the database away every batch fails at once
// and the next follows straight away. held_back counts the failed batches
// not logged since the last line.
func (in *Intake) logFailure(size int, err error) {
	if ok, held := in.failLog.Allow(time.Now()); ok {
		in.log.Error("batch commit failed", "size", size, "err", err, "held_back", held)
	}
}

// failing records a failed commit for WriteFailure. Only the writer loop
// calls it.
func (in *Intake) failing(err error) {
	run := 1
	if last := in.failed.Load(); last != nil {
		run = last.run + 1
	}
	in.failed.Store(&failure{at: time.Now(), err: err, run: run})
}

// answer tells the Observer and every submitter of batch how its commit
// went: results, or err (then nothing of it is stored).
func (in *Intake) answer(batch []*request, subs []pledge.Submission, results []store.Result, took time.Duration, err error) {
	if in.opts.Observer != nil {
		in.opts.Observer(subs, results, took, err)
	}
	// Settled, stored or not, before anyone is told: a submitter that has
	// its answer finds Close counting it no longer.
	in.unstored.Add(-int64(len(batch)))
	if err != nil {
		for _, r := range batch {
			r.done <- store.Result{Err: fmt.Errorf("%w: %w", pledge.ErrUnavailable, err)}
		}
		return
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// IsTemporary reports whether err from Submit means "try again shortly".
func IsTemporary(err error) bool {
	return errors.Is(err, pledge.ErrOverloaded) || errors.Is(err, pledge.ErrShuttingDown) ||
		errors.Is(err, pledge.ErrUnavailable)
}
