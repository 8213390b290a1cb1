package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"riverqueue.com/riverui"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// QueueMail is the River queue of mail jobs.
const QueueMail = "mail"

// Backlog is one job queue's jobs that are due and not taken yet.
type Backlog struct {
	Queue string
	Jobs  int64
	// Oldest is how long the one due longest has waited since it was due.
	Oldest time.Duration
}

// JobClient is River's client over a backend's database, seen without the
// backend's transaction type.
type JobClient interface {
	// Start runs the configured queues' workers and periodic jobs.
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish (or ctx to end).
	Stop(ctx context.Context) error
	// UI returns River's web console for these jobs, served under prefix
	// and running until ctx ends.
	UI(ctx context.Context, prefix string, log *slog.Logger) (http.Handler, error)
	// Events reports each job run this client's workers finish, until
	// cancel is called or the client stops. Slow readers lose events.
	// Only for a client with queues to work (River panics otherwise).
	Events() (events <-chan JobEvent, cancel func())
}

// JobEvent is one finished run of a job: its kind, and its outcome:
// completed, failed (to be retried), discarded (out of attempts),
// cancelled or snoozed.
type JobEvent struct {
	Kind, Outcome string
}

type jobClient[TTx any] struct {
	*river.Client[TTx]
}

func (c jobClient[TTx]) UI(ctx context.Context, prefix string, log *slog.Logger) (http.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(c.Client, nil),
		Logger:    log,
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("job console: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("start job console: %w", err)
	}
	return h, nil
}

func (c jobClient[TTx]) Events() (<-chan JobEvent, func()) {
	sub, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	out := make(chan JobEvent, 256)
	go func() {
		defer close(out)
		for ev := range sub {
			e := JobEvent{Kind: ev.Job.Kind, Outcome: string(ev.Kind)}
			switch ev.Kind {
			case river.EventKindJobCompleted:
				e.Outcome = "completed"
			case river.EventKindJobCancelled:
				e.Outcome = "cancelled"
			case river.EventKindJobSnoozed:
				e.Outcome = "snoozed"
			case river.EventKindJobFailed:
				e.Outcome = "failed"
				if ev.Job.State == rivertype.JobStateDiscarded {
					e.Outcome = "discarded"
				}
			}
			select {
			case out <- e:
			default: // a slow reader loses events rather than stalling River
			}
		}
	}()
	return out, cancel
}

// NewJobClient returns River's client over driver with cfg, both typed (for
// the backend's InsertManyTx) and as a JobClient.
func NewJobClient[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (*river.Client[TTx], JobClient, error) {
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("job client: %w", err)
	}
	return c, jobClient[TTx]{c}, nil
}

// MigrateJobs applies River's own migrations over driver; River logs each
// to log. Backends call it after their own migrations.
func MigrateJobs[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// Enqueue inserts the jobs in params with client inside tx, the
// transaction that stores what they are about. A nil client (no jobs
// configured) or an empty list does nothing.
func Enqueue[TTx any](ctx context.Context, client *river.Client[TTx], tx TTx, params []river.InsertManyParams) error {
	if client == nil || len(params) == 0 {
		return nil
	}
	if _, err := client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue jobs: %w", err)
	}
	return nil
}

// MailJob returns the insert parameters of a mail job.
func MailJob(args river.JobArgs) river.InsertManyParams {
	return river.InsertManyParams{Args: args, InsertOpts: &river.InsertOpts{Queue: QueueMail}}
}

// MailJobFor is MailJob carrying the request ID of ctx, if any.
func MailJobFor(ctx context.Context, args river.JobArgs) river.InsertManyParams {
	p := MailJob(args)
	p.InsertOpts.Metadata = requestMetadata(pledge.RequestID(ctx))
	return p
}

// requestMetadata is a job's metadata naming request ID id; nil for none.
func requestMetadata(id string) []byte {
	if id == "" {
		return nil
	}
	b, _ := json.Marshal(struct {
		RequestID string `json:"request_id"`
	}{id})
	return b
}

// JobRequestID returns the request ID a job's metadata names, or "".
func JobRequestID(metadata []byte) string {
	var m struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(metadata, &m)
	return m.RequestID
}

// BatchJobs returns the jobs a committed batch implies: for each campaign
// with new pledges that gave an address, one pledge.MailBatchArgs naming
// its new counted pledges (for confirmation mails) and its new pending ones
// (for opt-in mails). One row per campaign and batch, not one per pledge:
// job rows cost the intake as much as the pledges themselves.
func BatchJobs(subs []pledge.Submission, results []Result) []river.InsertManyParams {
	type batch struct {
		args               pledge.MailBatchArgs
		numberIDs, pendIDs []string
	}
	var batches []*batch
	at := make(map[int64]*batch)
	for i, r := range results {
		if r.Err != nil || subs[i].Email == "" || r.Receipt.Pending == 0 && r.Receipt.Number == 0 {
			continue
		}
		b := at[r.Receipt.CampaignID]
		if b == nil {
			b = &batch{args: pledge.MailBatchArgs{CampaignID: r.Receipt.CampaignID}}
			at[r.Receipt.CampaignID] = b
			batches = append(batches, b)
		}
		if r.Receipt.Pending > 0 {
			b.args.Pending = append(b.args.Pending, r.Receipt.Pending)
			b.pendIDs = append(b.pendIDs, subs[i].RequestID)
		} else {
			b.args.Numbers = append(b.args.Numbers, r.Receipt.Number)
			b.numberIDs = append(b.numberIDs, subs[i].RequestID)
		}
	}
	params := make([]river.InsertManyParams, len(batches))
	for i, b := range batches {
		ids := append(b.numberIDs, b.pendIDs...)
		for _, id := range ids {
			if id != "" {
				b.args.RequestIDs = ids
				break
			}
		}
		params[i] = MailJob(b.args)
	}
	return params
}

// MailJobs returns the per-pledge mail jobs of a batch, each unique by its
// arguments, so that running the batch's job again enqueues nothing twice,
// and each carrying its request's ID in its metadata.
func MailJobs(b pledge.MailBatchArgs) []river.InsertManyParams {
	params := make([]river.InsertManyParams, 0, len(b.Numbers)+len(b.Pending))
	unique := func(args river.JobArgs) river.InsertManyParams {
		p := MailJob(args)
		p.InsertOpts.UniqueOpts = river.UniqueOpts{ByArgs: true}
		if i := len(params); i < len(b.RequestIDs) {
			p.InsertOpts.Metadata = requestMetadata(b.RequestIDs[i])
		}
		return p
	}
	for _, n := range b.Numbers {
		params = append(params, unique(pledge.ConfirmationMailArgs{CampaignID: b.CampaignID, Number: n}))
	}
	for _, id := range b.Pending {
		params = append(params, unique(pledge.OptInMailArgs{CampaignID: b.CampaignID, PendingID: id, Send: 1}))
	}
	return params
}
