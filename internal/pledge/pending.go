package pledge

import "time"

// Pending is a pledge waiting for its email address to be confirmed (double
// opt-in). It has no certificate number and is not counted until then.
type Pending struct {
	ID         int64
	CampaignID int64
	Name       string
	Email      string
	Region     string
	Lang       string
	CreatedAt  time.Time
	Sends      int   // opt-in mails enqueued so far
	Number     int64 // the certificate number once confirmed; 0 while pending
}

// Confirmed reports whether the pending pledge has been confirmed.
func (p Pending) Confirmed() bool { return p.Number > 0 }
