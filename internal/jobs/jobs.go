// Package jobs runs the portal's background work on River: the opt-in and
// confirmation mails and the periodic expiry of unconfirmed pledges. Jobs
// are enqueued by the store inside the transactions that store what they
// are about (see store.BatchJobs); this package only configures River's
// client and does the work.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// Params configure the job client.
type Params struct {
	Store store.Store
	// Sender sends the mail; nil when no mail server is configured: mail
	// jobs then stay queued for a process that has one (this one does not
	// work the mail queue; a job it was handed anyway is snoozed).
	Sender mail.Sender
	Links  *pledge.Links
	// BaseURL prefixes the links in mails, e.g. https://pledge.example.org.
	BaseURL string
	// PendingTTL is how long a pledge waits for confirmation.
	PendingTTL time.Duration
	// Workers is how many mail jobs run at once in this process; 0 makes
	// an insert-only client that runs nothing.
	Workers int
	// RetryBase is the first wait before a failed mail is tried again; it
	// doubles with each attempt, up to an hour.
	RetryBase time.Duration
	// RescueAfter is how long a job may stay running before it is taken to
	// be lost with its process and run again.
	RescueAfter time.Duration
	// PollOnly finds new jobs by polling instead of PostgreSQL's
	// LISTEN/NOTIFY, which PgBouncer in transaction mode does not carry.
	PollOnly bool
	Log      *slog.Logger
}

// Mail jobs give up after maxAttempts tries (with RetryBase 5s and the
// one-hour cap: about 14 hours).
const maxAttempts = 20

// Config returns River's client configuration for p: the mail queue with
// p.Workers workers, the workers, the periodic expiry of pending pledges
// and the retry policy.
func Config(p Params) *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, &optInWorker{p: p})
	river.AddWorker(workers, &confirmationWorker{p: p})
	river.AddWorker(workers, &expireWorker{p: p})
	river.AddWorker(workers, &mailBatchWorker{p: p})
	timeout := min(time.Minute, p.RescueAfter/2)
	cfg := &river.Config{
		Logger:               p.Log.With("component", "jobs"),
		Workers:              workers,
		MaxAttempts:          maxAttempts,
		JobTimeout:           timeout,
		RescueStuckJobsAfter: p.RescueAfter,
		RetryPolicy:          &backoff{base: p.RetryBase},
		PollOnly:             p.PollOnly,
	}
	if p.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}
		// Without a mail server this process leaves the mail queue to one
		// that has one, rather than taking its jobs only to snooze them.
		if p.Sender != nil {
			cfg.Queues[store.QueueMail] = river.QueueConfig{MaxWorkers: p.Workers}
		}
		every := min(10*time.Minute, max(time.Minute, p.PendingTTL/10))
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
				return pledge.ExpirePendingArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true}),
		}
	}
	return cfg
}

// backoff retries after base, 2·base, 4·base... up to an hour, with a
// tenth of jitter so a recovering mail server is not hit all at once.
type backoff struct {
	base time.Duration
}

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	wait := time.Hour
	if shift := job.Attempt - 1; shift < 20 {
		wait = min(time.Hour, b.base<<max(shift, 0))
	}
	wait += time.Duration(rand.Int64N(int64(wait/10) + 1))
	return time.Now().Add(wait)
}

// send composes and sends one message; a permanent refusal cancels the job
// (River records it) instead of retrying it for hours. last says the job
// has no try left after this one: a failure then loses the mail, which is
// logged as an error.
func send(ctx context.Context, p Params, d mail.Data, to, messageID, requestID string, last bool) error {
	if p.Sender == nil {
		return river.JobSnooze(15 * time.Minute)
	}
	m, err := mail.Compose(d)
	if err != nil {
		return river.JobCancel(fmt.Errorf("compose %s mail: %w", d.Kind, err))
	}
	m.To, m.MessageID = to, messageID
	if err := p.Sender.Send(ctx, m); err != nil {
		if errors.Is(err, mail.ErrPermanent) {
			p.Log.WarnContext(ctx, "mail refused for good", "kind", d.Kind, "message_id", messageID,
				"request_id", requestID, "err", err)
			return river.JobCancel(err)
		}
		switch {
		case last: // River drops the job whatever the reason
			p.Log.ErrorContext(ctx, "mail not sent, and no try is left: it is dropped", "kind", d.Kind, "message_id", messageID,
				"request_id", requestID, "err", err)
		case errors.Is(ctx.Err(), context.Canceled): // the worker is stopping: the job runs again later
			p.Log.InfoContext(ctx, "mail not sent: stopping, will retry", "kind", d.Kind, "message_id", messageID,
				"request_id", requestID)
		default:
			p.Log.WarnContext(ctx, "mail not sent, will retry", "kind", d.Kind, "message_id", messageID,
				"request_id", requestID, "err", err)
		}
		return err
	}
	return nil
}

// messageID is the Message-ID of a mail: the same for every try of one
// job, so a mail that is sent twice (the process died after the server
// took it) can be recognised.
func messageID(base string, parts ...any) string {
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	if host == "" {
		host = "localhost"
	}
	var b strings.Builder
	b.WriteString("<pledge")
	for _, p := range parts {
		fmt.Fprintf(&b, ".%v", p)
	}
	b.WriteString("@" + host + ">")
	return b.String()
}

// campaign finds a campaign by ID.
func campaign(ctx context.Context, st store.Store, id int64) (pledge.Campaign, error) {
	list, err := st.Campaigns(ctx)
	if err != nil {
		return pledge.Campaign{}, err
	}
	for _, c := range list {
		if c.ID == id {
			return c, nil
		}
	}
	return pledge.Campaign{}, fmt.Errorf("campaign %d: %w", id, pledge.ErrNotFound)
}
