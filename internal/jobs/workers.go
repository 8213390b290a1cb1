package jobs

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// optInWorker sends the mail that lets a pending pledge be confirmed.
type optInWorker struct {
	river.WorkerDefaults[pledge.OptInMailArgs]
	p Params
}

func (w *optInWorker) Work(ctx context.Context, job *river.Job[pledge.OptInMailArgs]) error {
	a := job.Args
	pend, err := w.p.Store.Pending(ctx, a.CampaignID, a.PendingID)
	if errors.Is(err, pledge.ErrNotFound) || err == nil && (pend.Confirmed() || pend.Email == "" || w.expired(pend)) {
		return nil // expired or confirmed meanwhile: nothing to send
	}
	if err != nil {
		return err
	}
	c, err := campaign(ctx, w.p.Store, a.CampaignID)
	if err != nil {
		return err
	}
	d := mail.Data{
		Kind:          mail.KindOptIn,
		Lang:          pend.Lang,
		CampaignTitle: c.Title.In(pend.Lang, c.DefaultLang()),
		Signatory:     c.Signatory.In(pend.Lang, c.DefaultLang()),
		ConfirmURL:    w.p.BaseURL + w.p.Links.ConfirmPath(c.Slug, c.ID, pend.ID) + "?lang=" + url.QueryEscape(pend.Lang),
		ExpiresAt:     pend.CreatedAt.Add(w.p.PendingTTL),
	}
	return send(ctx, w.p, d, pend.Email, messageID(w.p.BaseURL, "optin", a.CampaignID, a.PendingID, a.Send),
		store.JobRequestID(job.Metadata), job.Attempt >= job.MaxAttempts)
}

// expired reports whether p's link no longer works (the web pages treat it
// so from then, before the periodic job removes the row): a mail retried
// until then would announce a deadline gone by.
func (w *optInWorker) expired(p pledge.Pending) bool {
	return w.p.PendingTTL > 0 && !time.Now().Before(p.CreatedAt.Add(w.p.PendingTTL))
}

// confirmationWorker sends the mail that tells a citizen their pledge is
// counted, with links to the certificate and to withdraw.
type confirmationWorker struct {
	river.WorkerDefaults[pledge.ConfirmationMailArgs]
	p Params
}

func (w *confirmationWorker) Work(ctx context.Context, job *river.Job[pledge.ConfirmationMailArgs]) error {
	a := job.Args
	pl, err := w.p.Store.Pledge(ctx, a.CampaignID, a.Number)
	if errors.Is(err, pledge.ErrNotFound) || err == nil && (pl.Withdrawn() || pl.Invalidated || pl.Email == "") {
		// Withdrawn, set aside by an admin (a mail saying it counts would be
		// false; reverting later does not send it) or anonymised meanwhile.
		return nil
	}
	if err != nil {
		return err
	}
	c, err := campaign(ctx, w.p.Store, a.CampaignID)
	if err != nil {
		return err
	}
	d := mail.Data{
		Kind:           mail.KindConfirmation,
		Lang:           pl.Lang,
		CampaignTitle:  c.Title.In(pl.Lang, c.DefaultLang()),
		Signatory:      c.Signatory.In(pl.Lang, c.DefaultLang()),
		Number:         pl.Number,
		CertificateURL: w.p.BaseURL + w.p.Links.CertificatePath(c.ID, pl.Number) + "?lang=" + url.QueryEscape(pl.Lang),
		WithdrawURL:    w.p.BaseURL + w.p.Links.WithdrawPath(c.Slug, c.ID, pl.Number) + "?lang=" + url.QueryEscape(pl.Lang),
	}
	return send(ctx, w.p, d, pl.Email, messageID(w.p.BaseURL, "confirmation", a.CampaignID, a.Number),
		store.JobRequestID(job.Metadata), job.Attempt >= job.MaxAttempts)
}

// mailBatchWorker turns a committed batch's job into one mail job per
// pledge. They are unique by their arguments, so a retry of this job (or a
// run after a crash) enqueues no mail twice.
type mailBatchWorker struct {
	river.WorkerDefaults[pledge.MailBatchArgs]
	p Params
}

func (w *mailBatchWorker) Work(ctx context.Context, job *river.Job[pledge.MailBatchArgs]) error {
	return w.p.Store.EnqueueJobs(ctx, store.MailJobs(job.Args))
}

// expireWorker removes pending pledges past their time.
type expireWorker struct {
	river.WorkerDefaults[pledge.ExpirePendingArgs]
	p Params
}

func (w *expireWorker) Work(ctx context.Context, _ *river.Job[pledge.ExpirePendingArgs]) error {
	n, err := w.p.Store.ExpirePending(ctx, time.Now().Add(-w.p.PendingTTL))
	if err != nil {
		return err
	}
	if n > 0 {
		w.p.Log.InfoContext(ctx, "expired unconfirmed pledges", "count", n)
	}
	return nil
}
