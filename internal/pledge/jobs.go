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
