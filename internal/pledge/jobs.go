package pledge

// Background job arguments. River needs only a Kind method, so the types
// live here, where the store (which enqueues them inside its transactions)
// and the workers (which run them) can both reach them.

// OptInMailArgs asks for the mail that lets a pending pledge be confirmed
// (double opt-in). Send numbers the mails sent for the pledge, from 1, so a
// resend is a new message and a retried job the same one.
type OptInMailArgs struct {
	CampaignID int64 `json:"campaign_id"`
	PendingID  int64 `json:"pending_id"`
	Send       int   `json:"send"`
}

// Kind names the job.
func (OptInMailArgs) Kind() string { return "optin_mail" }

// ConfirmationMailArgs asks for the mail that tells a citizen their pledge
// is counted, with links to the certificate and to withdraw it.
type ConfirmationMailArgs struct {
	CampaignID int64 `json:"campaign_id"`
	Number     int64 `json:"number"`
}

// Kind names the job.
func (ConfirmationMailArgs) Kind() string { return "confirmation_mail" }

// ExpirePendingArgs asks for pending pledges past their time to be removed.
type ExpirePendingArgs struct{}

// Kind names the job.
func (ExpirePendingArgs) Kind() string { return "expire_pending" }

// MailBatchArgs asks for the mails of one committed batch of a campaign:
// a confirmation mail for each counted pledge in Numbers, an opt-in mail
// for each pending pledge in Pending. The batch's transaction enqueues this
// one job instead of one per pledge, which keeps the job rows off the
// intake's hot path; its worker enqueues the per-pledge mail jobs.
type MailBatchArgs struct {
	CampaignID int64   `json:"campaign_id"`
	Numbers    []int64 `json:"numbers,omitempty"`
	Pending    []int64 `json:"pending,omitempty"`
	// RequestIDs name the HTTP request of each pledge, Numbers' first then
	// Pending's, so each mail job can carry its request's ID.
	RequestIDs []string `json:"request_ids,omitempty"`
}

// Kind names the job.
func (MailBatchArgs) Kind() string { return "mail_batch" }
