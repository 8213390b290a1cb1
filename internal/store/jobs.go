package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"riverqueue.com/riverui"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// QueueMail is the River queue of mail jobs.
const QueueMail = "mail"

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

// NewJobClient returns River's client over driver with cfg, both typed (for
// the backend's InsertManyTx) and as a JobClient.
func NewJobClient[TTx any](driver riverdriver.Driver[TTx], cfg *river.Config) (*river.Client[TTx], JobClient, error) {
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("job client: %w", err)
	}
	return c, jobClient[TTx]{c}, nil
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

// BatchJobs returns the mail jobs a committed batch implies: a
// confirmation for each new counted pledge with an address, an opt-in mail
// for each new pending one.
func BatchJobs(subs []pledge.Submission, results []Result) []river.InsertManyParams {
	var params []river.InsertManyParams
	for i, r := range results {
		switch {
		case r.Err != nil || subs[i].Email == "":
		case r.Receipt.Pending > 0:
			params = append(params, MailJob(pledge.OptInMailArgs{CampaignID: r.Receipt.CampaignID, PendingID: r.Receipt.Pending, Send: 1}))
		case r.Receipt.Number > 0:
			params = append(params, MailJob(pledge.ConfirmationMailArgs{CampaignID: r.Receipt.CampaignID, Number: r.Receipt.Number}))
		}
	}
	return params
}
