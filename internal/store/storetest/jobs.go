package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// jobWait bounds how long a test waits for River to work a job.
const jobWait = 15 * time.Second

// mailJob is one mail job, as enqueued or as worked: exactly one of
// OptIn and Confirmation is set.
type mailJob struct {
	Queue        string
	OptIn        *pledge.OptInMailArgs
	Confirmation *pledge.ConfirmationMailArgs
}

// compareMailJobs orders mail jobs so that lists compare as sets.
func compareMailJobs(a, b mailJob) int {
	key := func(j mailJob) [4]int64 {
		if j.OptIn != nil {
			return [4]int64{0, j.OptIn.CampaignID, j.OptIn.PendingID, int64(j.OptIn.Send)}
		}
		if j.Confirmation != nil {
			return [4]int64{1, j.Confirmation.CampaignID, j.Confirmation.Number, 0}
		}
		return [4]int64{2, 0, 0, 0}
	}
	if a.Queue != b.Queue {
		return strings.Compare(a.Queue, b.Queue)
	}
	ka, kb := key(a), key(b)
	return slices.Compare(ka[:], kb[:])
}

// optInJob is the opt-in mail job numbered send for a pending pledge.
func optInJob(campaignID, pendingID int64, send int) mailJob {
	return mailJob{Queue: store.QueueMail, OptIn: &pledge.OptInMailArgs{CampaignID: campaignID, PendingID: pendingID, Send: send}}
}

// confirmationJob is the confirmation mail job for pledge number.
func confirmationJob(campaignID, number int64) mailJob {
	return mailJob{Queue: store.QueueMail, Confirmation: &pledge.ConfirmationMailArgs{CampaignID: campaignID, Number: number}}
}

// jobLister is the part of River's client that lists jobs.
type jobLister interface {
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// mailbox is a started River client over a store whose mail workers hand
// each job's arguments to worked.
type mailbox struct {
	client store.JobClient
	worked chan mailJob
}

// startJobs attaches River to s with workers for the mail jobs, starts it
// and stops it when t ends (before the store closes: clean-ups run last
// registered first). Call it before the test's first write.
func startJobs(t *testing.T, s store.Store) *mailbox {
	t.Helper()
	m := &mailbox{worked: make(chan mailJob, 100)}
	deliver := func(ctx context.Context, j mailJob) error {
		select {
		case m.worked <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[pledge.OptInMailArgs]) error {
		return deliver(ctx, mailJob{Queue: job.Queue, OptIn: &job.Args})
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[pledge.ConfirmationMailArgs]) error {
		return deliver(ctx, mailJob{Queue: job.Queue, Confirmation: &job.Args})
	}))
	// A batch's job stands for the mails it names; here it hands them to
	// the test directly (the real worker enqueues one job per mail).
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[pledge.MailBatchArgs]) error {
		for _, j := range expand(job.Queue, job.Args) {
			if err := deliver(ctx, j); err != nil {
				return err
			}
		}
		return nil
	}))
	jc, err := s.Jobs(&river.Config{
		Queues:            map[string]river.QueueConfig{store.QueueMail: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.DiscardHandler),
		TestOnly:          true,
	})
	if err != nil {
		t.Fatalf("Jobs: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := jc.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start job client: %v", err)
	}
	t.Cleanup(func() {
		defer cancel()
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := jc.Stop(stopCtx); err != nil {
			t.Errorf("stop job client: %v", err)
		}
	})
	m.client = jc
	return m
}

// expect fails t unless the workers get exactly want (in any order) and
// nothing more for a moment after.
func (m *mailbox) expect(t *testing.T, want ...mailJob) {
	t.Helper()
	var got []mailJob
	timeout := time.After(jobWait)
	for len(got) < len(want) {
		select {
		case j := <-m.worked:
			got = append(got, j)
		case <-timeout:
			t.Fatalf("after %v the workers got %d of %d jobs: %s", jobWait, len(got), len(want), describe(got))
		}
	}
	select {
	case j := <-m.worked:
		got = append(got, j)
	case <-time.After(500 * time.Millisecond):
	}
	slices.SortFunc(got, compareMailJobs)
	slices.SortFunc(want, compareMailJobs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("jobs worked mismatch (-want +got):\n%s", diff)
	}
}

// stored fails t unless River's job table holds exactly want, in any order.
func (m *mailbox) stored(t *testing.T, want ...mailJob) {
	t.Helper()
	l, ok := m.client.(jobLister)
	if !ok {
		t.Fatalf("job client %T cannot list jobs", m.client)
	}
	res, err := l.JobList(context.Background(), river.NewJobListParams().First(1000))
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	var got []mailJob
	for _, row := range res.Jobs {
		j := mailJob{Queue: row.Queue}
		var err error
		switch row.Kind {
		case pledge.OptInMailArgs{}.Kind():
			j.OptIn = new(pledge.OptInMailArgs)
			err = json.Unmarshal(row.EncodedArgs, j.OptIn)
		case pledge.ConfirmationMailArgs{}.Kind():
			j.Confirmation = new(pledge.ConfirmationMailArgs)
			err = json.Unmarshal(row.EncodedArgs, j.Confirmation)
		case pledge.MailBatchArgs{}.Kind():
			var b pledge.MailBatchArgs
			if err := json.Unmarshal(row.EncodedArgs, &b); err != nil {
				t.Fatalf("decode job %d: %v", row.ID, err)
			}
			got = append(got, expand(row.Queue, b)...)
			continue
		default:
			t.Errorf("unexpected job %d of kind %q in queue %s", row.ID, row.Kind, row.Queue)
			continue
		}
		if err != nil {
			t.Fatalf("decode job %d: %v", row.ID, err)
		}
		got = append(got, j)
	}
	slices.SortFunc(got, compareMailJobs)
	slices.SortFunc(want, compareMailJobs)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("jobs stored mismatch (-want +got):\n%s", diff)
	}
}

// expand returns the mail jobs a batch's job stands for.
func expand(queue string, b pledge.MailBatchArgs) []mailJob {
	var out []mailJob
	for _, n := range b.Numbers {
		out = append(out, mailJob{Queue: queue, Confirmation: &pledge.ConfirmationMailArgs{CampaignID: b.CampaignID, Number: n}})
	}
	for _, id := range b.Pending {
		out = append(out, mailJob{Queue: queue, OptIn: &pledge.OptInMailArgs{CampaignID: b.CampaignID, PendingID: id, Send: 1}})
	}
	return out
}

// describe renders jobs for a failure message.
func describe(jobs []mailJob) string {
	b, _ := json.Marshal(jobs)
	return string(b)
}

// testJobsConfirmationMail: a batch enqueues one confirmation mail per new
// pledge with an address, in its transaction.
func testJobsConfirmationMail(t *testing.T, s store.Store) {
	m := startJobs(t, s)
	c := mustCampaignMode(t, s, "jobs-optional", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	subs := []pledge.Submission{
		WithEmail(h, Submission(h, c.ID, 1, "N1"), 1),
		WithEmail(h, Submission(h, c.ID, 2, "N2"), 2),
		Submission(h, c.ID, 3, "S1"),                  // no address: no mail
		WithEmail(h, Submission(h, c.ID, 1, "S1"), 9), // duplicate: no mail
		WithEmail(h, Submission(h, c.ID, 4, "S1"), 4),
	}
	res := mustCommit(t, s, subs)
	var numbers []int64
	for _, r := range res {
		numbers = append(numbers, r.Receipt.Number)
	}
	if diff := cmp.Diff([]int64{1, 2, 3, 0, 4}, numbers); diff != "" || !errors.Is(res[3].Err, pledge.ErrDuplicate) {
		t.Fatalf("numbers (-want +got):\n%s\nduplicate: %v", diff, res[3].Err)
	}
	want := []mailJob{confirmationJob(c.ID, 1), confirmationJob(c.ID, 2), confirmationJob(c.ID, 4)}
	m.expect(t, want...)
	m.stored(t, want...)
}

// testJobsOptInMail: pending pledges enqueue opt-in mails, resends the
// next one, confirmation its confirmation mail.
func testJobsOptInMail(t *testing.T, s store.Store) {
	ctx := context.Background()
	m := startJobs(t, s)
	c := mustCampaignMode(t, s, "jobs-required", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	res := mustCommit(t, s, []pledge.Submission{
		PendingSubmission(h, c.ID, 1, "N1"),
		PendingSubmission(h, c.ID, 1, "S1"), // duplicate: no mail
		PendingSubmission(h, c.ID, 2, "S1"),
	})
	if res[0].Err != nil || res[2].Err != nil || !errors.Is(res[1].Err, pledge.ErrDuplicate) {
		t.Fatalf("results = %+v, want pending, duplicate, pending", res)
	}
	p1, p2 := res[0].Receipt.Pending, res[2].Receipt.Pending
	m.expect(t, optInJob(c.ID, p1, 1), optInJob(c.ID, p2, 1))

	if err := s.Resend(ctx, c.ID, p1, 2); err != nil {
		t.Fatal(err)
	}
	m.expect(t, optInJob(c.ID, p1, 2))
	if err := s.Resend(ctx, c.ID, p1, 2); !errors.Is(err, pledge.ErrLimit) {
		t.Fatalf("Resend past the limit = %v, want ErrLimit", err)
	}

	n := mustConfirm(t, s, c.ID, p2, time.Now().UTC())
	if n != 1 {
		t.Fatalf("Confirm number = %d, want 1", n)
	}
	m.expect(t, confirmationJob(c.ID, 1))
	if r, err := s.Confirm(ctx, c.ID, p2, time.Now().UTC()); err != nil || r.Number != 1 {
		t.Fatalf("second Confirm = %+v, %v; want number 1", r, err)
	}
	if err := s.Resend(ctx, c.ID, p2, 10); !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("Resend after Confirm = %v, want ErrNotFound", err)
	}
	if err := s.Withdraw(ctx, c.ID, 1, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	m.expect(t) // neither the refusals nor confirming again nor withdrawing mail
	m.stored(t, optInJob(c.ID, p1, 1), optInJob(c.ID, p2, 1), optInJob(c.ID, p1, 2), confirmationJob(c.ID, 1))
}

// testJobsFailedWrite: a write that fails enqueues nothing.
func testJobsFailedWrite(t *testing.T, s store.Store) {
	m := startJobs(t, s)
	opt := mustCampaignMode(t, s, "jobs-fail-optional", pledge.EmailOptional)
	req := mustCampaignMode(t, s, "jobs-fail-required", pledge.EmailRequired)
	h := pledge.NewHasher([]byte("k"))
	good := []pledge.Submission{
		WithEmail(h, Submission(h, opt.ID, 1, "N1"), 1),
		PendingSubmission(h, req.ID, 2, "N2"),
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := s.CommitBatch(cancelled, good); err == nil {
		t.Fatalf("CommitBatch with a cancelled context = %+v, want an error", res)
	}
	// Stored pledges first, then a campaign that does not exist.
	bad := append(slices.Clone(good), Submission(h, req.ID+1000, 3, "N1"))
	if res, err := s.CommitBatch(context.Background(), bad); err == nil {
		t.Fatalf("CommitBatch naming an unknown campaign = %+v, want an error", res)
	}
	if _, err := s.Confirm(context.Background(), req.ID, 1000, time.Now()); !errors.Is(err, pledge.ErrNotFound) {
		t.Fatalf("Confirm(unknown) = %v, want ErrNotFound", err)
	}
	mustCounts(t, s, opt.ID, pledge.Counts{})
	m.stored(t)

	// The same batch now commits, with numbers and IDs nothing took before.
	res := mustCommit(t, s, good)
	if res[0].Err != nil || res[0].Receipt.Number != 1 || res[1].Err != nil || res[1].Receipt.Pending == 0 {
		t.Fatalf("results = %+v, want number 1 and a pending pledge", res)
	}
	want := []mailJob{confirmationJob(opt.ID, 1), optInJob(req.ID, res[1].Receipt.Pending, 1)}
	m.expect(t, want...)
	m.stored(t, want...)
}

// testJobBacklog: mail jobs nobody takes show as the mail queue's backlog,
// with how long the oldest has waited.
func testJobBacklog(t *testing.T, s store.Store) {
	ctx := context.Background()
	// A client that inserts jobs but works none.
	if _, err := s.Jobs(&river.Config{Logger: slog.New(slog.DiscardHandler), TestOnly: true}); err != nil {
		t.Fatalf("Jobs: %v", err)
	}
	if got, err := s.JobBacklog(ctx); err != nil || len(got) != 0 {
		t.Fatalf("JobBacklog before any job = %+v, %v; want none", got, err)
	}
	c := mustCampaignMode(t, s, "backlog", pledge.EmailOptional)
	h := pledge.NewHasher([]byte("k"))
	mustCommit(t, s, []pledge.Submission{WithEmail(h, Submission(h, c.ID, 1, "N1"), 1)})
	time.Sleep(1100 * time.Millisecond)
	got, err := s.JobBacklog(ctx)
	if err != nil || len(got) != 1 || got[0].Queue != store.QueueMail || got[0].Jobs != 1 ||
		got[0].Oldest < time.Second || got[0].Oldest > time.Minute {
		t.Fatalf("JobBacklog = %+v, %v; want one mail job, waiting a second or more", got, err)
	}
}
