package pledge

import (
	"net/netip"
	"time"
)

// Submission is a validated, normalised pledge on its way to storage. It
// holds no raw mobile number: only its keyed hash and a masked form.
type Submission struct {
	CampaignID  int64
	Name        string
	PhoneHash   []byte // HMAC-SHA256 of the E.164 number under the server secret
	PhoneMasked string // e.g. "******3210"
	Email       string // empty unless the campaign asks for it
	EmailHash   []byte // keyed hash of Email where one is given: one pledge per address
	Pending     bool   // stored as pending until the address is confirmed (double opt-in)
	// ExpiredBefore frees the number and address of pending pledges made
	// before it: they can no longer be confirmed, and the citizen may
	// pledge again before the periodic expiry removes them. Zero: none.
	ExpiredBefore time.Time
	Region        string
	Lang          string
	CreatedAt     time.Time
	Source        netip.Addr // the client's address; zero when unknown
	RequestID     string     // the HTTP request that brought it, named in its jobs' logs
	RegionsRev    int64      // the campaign's RegionsRev it was checked against
}

// Receipt is what a citizen gets back once the pledge is committed: the
// certificate number; Tokens turns it into the certificate's URL token.
type Receipt struct {
	CampaignID int64
	Number     int64
	Pending    int64 // the pending pledge's ID when it waits for confirmation (Number is then 0)
}

// Pledge is a stored pledge as the certificate page shows it.
type Pledge struct {
	CampaignID  int64
	Number      int64
	Name        string
	Region      string
	Lang        string
	PhoneMasked string
	Email       string // only where the campaign stores it; never shown on public pages
	CreatedAt   time.Time
	Invalidated bool      // set aside by an invalidation: not counted
	WithdrawnAt time.Time // zero unless the citizen withdrew the pledge: then not counted
	// NameCorrections is how many times the citizen corrected the name
	// (an administrator's corrections are not counted). Read by Pledge
	// only; the export leaves it zero.
	NameCorrections int
}

// Withdrawn reports whether the citizen withdrew the pledge.
func (p Pledge) Withdrawn() bool { return !p.WithdrawnAt.IsZero() }

// MinuteCount is how many pledges a campaign took in one minute.
type MinuteCount struct {
	Minute time.Time // start of the minute, UTC
	N      int64
}

// Counts are a campaign's live counts. Regions holds the count of every leaf
// region with pledges; Total is their sum.
type Counts struct {
	Total   int64
	Regions map[string]int64
}

// Uncounted are the pledges of a campaign its counts leave out, but for
// invalidated ones (each invalidation says how many it set aside).
type Uncounted struct {
	Pending   int64 // waiting for their e-mail address to be confirmed
	Withdrawn int64 // withdrawn by whoever made them
}

// Audit is a consistency report on one campaign's stored pledges.
type Audit struct {
	Rows          int64 // pledges stored, invalidated or withdrawn or not
	Valid         int64 // pledges stored, neither invalidated nor withdrawn
	Counted       int64 // sum of the count rows
	RegionsAgree  bool  // every region's count row equals its valid stored rows
	MinNumber     int64
	MaxNumber     int64
	LastNumber    int64 // the campaign's number sequence
	DistinctNums  int64
	DistinctPhone int64
}

// Consistent reports whether counts, rows and numbers all agree: one row per
// number, count rows equal to the valid (counted) rows stored,
// numbers exactly 1..N over all rows.
func (a Audit) Consistent() bool {
	if a.Rows == 0 {
		return a.Counted == 0 && a.LastNumber == 0 && a.RegionsAgree
	}
	return a.RegionsAgree && a.Valid == a.Counted && a.Valid <= a.Rows && a.MinNumber == 1 &&
		a.MaxNumber == a.Rows && a.DistinctNums == a.Rows &&
		a.DistinctPhone == a.Rows && a.LastNumber == a.Rows
}
