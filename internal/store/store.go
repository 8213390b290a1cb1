// Package store defines the storage the portal needs, small and owned here.
// Each backend lives in a sub-package (sqlite, postgres) and passes the one
// conformance suite in storetest.
package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Result is the outcome of one submission in a committed batch: a receipt,
// or Err set to pledge.ErrDuplicate.
type Result struct {
	Receipt pledge.Receipt
	Err     error
}

// Store is the persistence the rest of the portal uses.
type Store interface {
	// CreateCampaign stores a new campaign and sets c.ID and c.Version.
	// It and the other methods that change a campaign or its pledges at an
	// administrator's hand append act (if not nil) to the audit log in the
	// same transaction as the change, and set act.ID (act.At, if zero, to
	// now): a change is on record or not made.
	CreateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error
	// Campaigns lists every campaign, oldest first.
	Campaigns(ctx context.Context) ([]pledge.Campaign, error)
	// Campaign returns the campaign with slug, or pledge.ErrNotFound.
	Campaign(ctx context.Context, slug string) (pledge.Campaign, error)
	// UpdateCampaign saves the campaign c.ID (pledge.ErrNotFound if there is
	// none): title, pledge text, languages, email mode, opening and closing
	// times, goal and regions; not Paused (SetPaused), so that an edit made
	// from a copy read before a pause does not undo it. The slug never changes. Regions are
	// added and renamed freely; a region with pledges cannot be removed (nor
	// become a parent): that gives an error wrapping pledge.ErrRegionInUse
	// naming it, and nothing is changed. An edit that removes a region
	// pledges could name, or gives it a sub-region, advances RegionsRev;
	// c.RegionsRev is set to the campaign's. c.Version must be the stored
	// campaign's (pledge.ErrEditConflict otherwise, and nothing is changed);
	// it is advanced.
	UpdateCampaign(ctx context.Context, c *pledge.Campaign, act *pledge.Action) error
	// RegionsInUse returns the codes pledges of the campaign campaignID are
	// counted in (invalidated and withdrawn ones too) or pending pledges
	// will be counted in when confirmed, sorted: the regions UpdateCampaign
	// will neither remove nor make parents (CheckRegionsInUse).
	RegionsInUse(ctx context.Context, campaignID int64) ([]string, error)
	// SetPaused pauses or resumes the campaign campaignID, changing nothing
	// else (pledge.ErrNotFound if there is none).
	SetPaused(ctx context.Context, campaignID int64, paused bool, act *pledge.Action) error

	// CommitBatch stores subs in one transaction: duplicates within the batch
	// and against stored pledges are refused, certificate numbers assigned in
	// order, and count rows updated once per region touched. The results are
	// in the order of subs. An error means nothing was stored, but for an
	// *InDoubtError (PostgreSQL: the COMMIT went unanswered), whose Resolve
	// tells. A submission
	// checked against another RegionsRev than the campaign's is refused
	// with pledge.ErrRegionsChanged.
	CommitBatch(ctx context.Context, subs []pledge.Submission) ([]Result, error)

	// Counts returns a campaign's count rows.
	Counts(ctx context.Context, campaignID int64) (pledge.Counts, error)
	// Uncounted returns how many of a campaign's pledges wait for their
	// e-mail confirmation (read from the pending pledges, which expire) and
	// how many were withdrawn (from an index of those alone).
	Uncounted(ctx context.Context, campaignID int64) (pledge.Uncounted, error)
	// Pledge returns the pledge with certificate number in a campaign, or
	// pledge.ErrNotFound.
	Pledge(ctx context.Context, campaignID, number int64) (pledge.Pledge, error)
	// MinuteCounts returns the campaign's pledges per minute from since on,
	// oldest first; minutes without pledges are absent.
	MinuteCounts(ctx context.Context, campaignID int64, since time.Time) ([]pledge.MinuteCount, error)
	// NumberByPhone returns the certificate number of the campaign's pledge
	// made with the mobile number whose keyed hash is phoneHash, or
	// pledge.ErrNotFound.
	NumberByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error)
	// PendingByPhone returns the ID of the campaign's pending pledge, waiting
	// or confirmed, made with the mobile number whose keyed hash is
	// phoneHash (not one a later pledge of the number replaced), or
	// pledge.ErrNotFound.
	PendingByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error)
	// LastNumber returns the highest certificate number the campaign has
	// given: its pledges are numbered 1..LastNumber, counted or not
	// (invalidated, withdrawn). pledge.ErrNotFound if there is no campaign.
	LastNumber(ctx context.Context, campaignID int64) (int64, error)
	// ExportPledges calls fn for each pledge of the campaign in number order,
	// reading in pages so memory stays flat however many there are. An error
	// from fn stops the export and is returned.
	ExportPledges(ctx context.Context, campaignID int64, fn func(pledge.Pledge) error) error
	// Audit checks a campaign's rows, counts and numbers against each other.
	Audit(ctx context.Context, campaignID int64) (pledge.Audit, error)

	// Invalidate sets aside, in one transaction, the campaign's valid pledges
	// matching f (which must name a criterion: else pledge.ErrNoCriterion),
	// taking them off the count rows, and records the invalidation. act's
	// Detail is completed as InvalidationAction does.
	Invalidate(ctx context.Context, campaignID int64, f pledge.InvalidationFilter, reason, actor string, act *pledge.Action) (pledge.Invalidation, error)
	// CountInvalidation returns how many pledges Invalidate with f would
	// set aside now (pledge.ErrNoCriterion if f names none), changing
	// nothing: what the console shows before it asks to confirm.
	CountInvalidation(ctx context.Context, campaignID int64, f pledge.InvalidationFilter) (int64, error)
	// RevertInvalidation restores exactly the pledges invalidation id set
	// aside, counting them again; pledge.ErrNotFound if there is no such
	// invalidation in force.
	RevertInvalidation(ctx context.Context, campaignID, id int64, act *pledge.Action) error
	// Invalidations lists a campaign's invalidations, newest first.
	Invalidations(ctx context.Context, campaignID int64) ([]pledge.Invalidation, error)
	// Anonymise removes the e-mail addresses (and their keyed hashes) and
	// source addresses of a closed campaign's pledges (pledge.ErrStillOpen
	// if it has not closed),
	// keeping names, numbers and counts, and deletes its pending pledges;
	// it returns how many pledges it changed and how many unconfirmed
	// pending pledges it deleted. act's Detail is completed as
	// AnonymiseAction does.
	Anonymise(ctx context.Context, campaignID int64, act *pledge.Action) (pledge.Anonymisation, error)

	// Jobs creates River's client over this database with cfg. From then on
	// the store enqueues the mail jobs of what it stores (see BatchJobs)
	// through it, inside the transactions that store them. Call it once,
	// before the first write.
	Jobs(cfg *river.Config) (JobClient, error)
	// JobBacklog returns, for each queue with any, the jobs that are due
	// and not taken yet: growing, they say that no worker takes them.
	JobBacklog(ctx context.Context) ([]Backlog, error)
	// EnqueueJobs inserts jobs through the client Jobs created, in a
	// transaction of their own.
	EnqueueJobs(ctx context.Context, params []river.InsertManyParams) error
	// Pending returns pending pledge id of a campaign, confirmed or not, or
	// pledge.ErrNotFound (never made, or expired).
	Pending(ctx context.Context, campaignID, id int64) (pledge.Pending, error)
	// Confirm counts pending pledge id. In one transaction it becomes a
	// pledge with the campaign's next number, the count rows move, its
	// confirmation mail is enqueued and the pending row keeps only the
	// number. Confirming again returns the same receipt. pledge.ErrNotFound
	// when there is no such pending pledge; pledge.ErrDuplicate when its
	// number or address pledged meanwhile.
	Confirm(ctx context.Context, campaignID, id int64, now time.Time) (pledge.Receipt, error)
	// Resend enqueues another opt-in mail for pending pledge id, in the
	// transaction that counts it: pledge.ErrLimit once limit mails have
	// been enqueued, pledge.ErrNotFound when it is gone or confirmed.
	Resend(ctx context.Context, campaignID, id int64, limit int) error
	// Withdraw marks pledge number withdrawn at now, forgets its address
	// and, if it was counted, takes it off the count rows, all in one
	// transaction. Withdrawing again changes nothing; pledge.ErrNotFound
	// when there is no such pledge.
	Withdraw(ctx context.Context, campaignID, number int64, now time.Time) error
	// CorrectName gives pledge number of the campaign the name typed, as
	// pledge.NormaliseName (intake's own check) makes it, changing nothing
	// else: the number, the counts and the certificate's link stay. A name
	// NormaliseName refuses gives its *pledge.FieldError and changes
	// nothing. pledge.ErrNotFound when there is no such pledge, or it was
	// withdrawn or invalidated (the error's text says which). The same
	// name again changes nothing and records nothing. With limit > 0 the
	// correction is the citizen's own: it is counted on the pledge, and
	// refused with pledge.ErrLimit once limit have been counted. act's
	// Detail is completed as NameCorrectionAction does.
	CorrectName(ctx context.Context, campaignID, number int64, typed string, limit int, act *pledge.Action) (pledge.NameCorrection, error)
	// ExpirePending removes the pending pledges made before cutoff,
	// confirmed or not, and returns how many.
	ExpirePending(ctx context.Context, cutoff time.Time) (int64, error)

	// CreateUser stores a new admin account and sets u.ID; a taken username
	// gives pledge.ErrDuplicate. The account methods below append act (if
	// not nil) to the audit log in the same transaction as the change, and
	// set act.ID (act.At, if zero, to now): a change is on record or not made.
	CreateUser(ctx context.Context, u *pledge.User, act *pledge.Action) error
	// User returns the account named username, or pledge.ErrNotFound.
	User(ctx context.Context, username string) (pledge.User, error)
	// SetUserPassword replaces the password hash of username, changing
	// nothing else (a disabled account stays disabled), or returns
	// pledge.ErrNotFound.
	SetUserPassword(ctx context.Context, username, hash string, act *pledge.Action) error
	// SetUserRole gives username role, changing nothing else, or returns
	// pledge.ErrNotFound. Taking the admin role from the last enabled
	// admin gives ErrLastAdmin, and nothing is changed.
	SetUserRole(ctx context.Context, username string, role pledge.Role, act *pledge.Action) error
	// SetUserDisabled stops username logging in (disabled) or lets it log
	// in again, changing nothing else, or returns pledge.ErrNotFound.
	// Disabling the last enabled admin gives ErrLastAdmin, and nothing is
	// changed.
	SetUserDisabled(ctx context.Context, username string, disabled bool, act *pledge.Action) error
	// Users lists every account by username.
	Users(ctx context.Context) ([]pledge.User, error)

	// SessionFind returns the data of an unexpired session.
	SessionFind(ctx context.Context, token string) (data []byte, found bool, err error)
	// SessionCommit stores or replaces a session until expiry.
	SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error
	// SessionDelete removes a session.
	SessionDelete(ctx context.Context, token string) error

	// LogAction appends to the audit log and sets a.ID; the log is never
	// changed or shortened by the application.
	LogAction(ctx context.Context, a *pledge.Action) error
	// Actions returns up to limit entries older than before (0: newest), newest first.
	Actions(ctx context.Context, before int64, limit int) ([]pledge.Action, error)
	// FilterActions is Actions of the entries f matches alone, read
	// through an index of whichever field f names.
	FilterActions(ctx context.Context, f ActionFilter, before int64, limit int) ([]pledge.Action, error)
	// ChangeUserPassword replaces the password hash of username with hash
	// only while it is still old and the account is enabled (an account
	// changing its own password, checked against old a moment before), and
	// appends act in the same transaction. Otherwise it changes nothing
	// and returns ErrAccountChanged (pledge.ErrNotFound if there is no
	// such account): the password was changed, or the account disabled,
	// meanwhile.
	ChangeUserPassword(ctx context.Context, username, old, hash string, act *pledge.Action) error

	// Secret returns the server secret, creating it on first use, so that
	// keyed hashes stay the same across restarts and instances.
	Secret(ctx context.Context) ([]byte, error)
	// CheckSecret guards the keyed hashes against a change of the server
	// secret. fingerprint (SecretFingerprint of the secret in use) is
	// recorded on first use; later a different one gives ErrSecretChanged,
	// whatever the database holds: instances already running with the
	// recorded secret cannot be seen from here, so a new one never
	// replaces it (an operator can, deleting the setting while nothing
	// runs, on a database with no pledges). Callers starting together
	// agree on the first recorded.
	CheckSecret(ctx context.Context, fingerprint []byte) error
	// RekeyAddresses gives each address stored where the campaign keys
	// addresses (pledges, and pending pledges not yet confirmed) the key
	// that key makes of it, once for each AddressKeysSetting: keys made by
	// earlier releases kept the case of the part before the @, then its
	// "+tag" and Gmail's dots (see pledge.MailboxKey). An address whose new
	// key another row of its table and campaign already holds (one mailbox
	// that pledged twice before) keeps its old one. It returns how many
	// rows it rekeyed; instances starting together rekey once.
	RekeyAddresses(ctx context.Context, key func(addr string) []byte) (int64, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Stats returns the connection pool's figures, for metrics.
	Stats() PoolStats
	// Close releases the database.
	Close() error
}

// ErrAccountChanged means an account's password was changed, or the
// account disabled, after it was read: ChangeUserPassword changed nothing.
var ErrAccountChanged = errors.New("the account was changed since it was read")

// ActionFilter narrows the audit log to the entries that match each field
// given; the zero ActionFilter matches every entry.
type ActionFilter struct {
	Actor    string // the username (or "cli") that acted, exactly
	Kind     string // the kind of action, exactly: "login", "campaign-edit"
	Campaign string // the slug of the campaign acted on (pledge.Action.Campaign)
}

// IsZero reports whether f matches every entry.
func (f ActionFilter) IsZero() bool { return f == ActionFilter{} }

// AddressKeysSetting is the settings key RekeyAddresses records itself
// done under. A release that changes how addresses are keyed names a new
// one, so that each database rekeys once more. (The keys without regard to
// case were recorded as "address_keys_case_blind".)
const AddressKeysSetting = "address_keys_mailbox"

// ErrSecretChanged means the server secret is not the one the database's
// pledges were stored with: their phone and address hashes, which keep one
// pledge per number, and their certificate links were made with the other.
var ErrSecretChanged = errors.New("the server secret is not the one this database was used with")

// ErrLastAdmin refuses a change that would leave no enabled admin account
// (demoting or disabling the last one): no one could then manage accounts
// or campaigns in the console.
var ErrLastAdmin = errors.New("it is the last enabled admin account")

// SecretFingerprint identifies secret without revealing it, for
// CheckSecret: HMAC-SHA256 under secret of a fixed label that no keyed
// hash of the portal takes as input.
func SecretFingerprint(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("pledge portal: server secret fingerprint"))
	return m.Sum(nil)
}

// InvalidationAction adds to act's Detail (act may be nil) the number of
// invalidation inv and how many pledges it set aside, known only inside
// the transaction that makes it, and returns act.
func InvalidationAction(act *pledge.Action, inv pledge.Invalidation) *pledge.Action {
	if act != nil {
		act.Detail += fmt.Sprintf("; invalidation #%d: %d pledges", inv.ID, inv.Rows)
	}
	return act
}

// AnonymiseAction adds to act's Detail (act may be nil) how many pledges
// were anonymised and how many unconfirmed ones deleted, and returns act:
// "addresses removed" becomes "addresses removed from 8 pledges; 2
// unconfirmed pledges deleted".
func AnonymiseAction(act *pledge.Action, res pledge.Anonymisation) *pledge.Action {
	if act != nil {
		act.Detail += fmt.Sprintf(" from %d pledges; %d unconfirmed pledges deleted", res.Pledges, res.Pending)
	}
	return act
}

// PoolStats are a backend's connection pool figures.
type PoolStats struct {
	Open, InUse, Idle, Max int
	WaitCount              int64         // connections waited for, since start
	WaitDuration           time.Duration // time spent waiting for them
}

// RegionsInUseError is an edit refused because it would leave out regions
// pledges are counted in, or make them parents: the pledges would no
// longer be counted where they were made. It wraps pledge.ErrRegionInUse,
// and its message names the regions once.
type RegionsInUseError struct {
	Removed  []string // codes left out
	Parented []string // codes made the parent of another region
}

// Error names the regions, once.
func (e *RegionsInUseError) Error() string {
	var msgs []string
	if len(e.Removed) > 0 {
		msgs = append(msgs, "region "+strings.Join(e.Removed, ", ")+" has pledges and cannot be removed")
	}
	if len(e.Parented) > 0 {
		msgs = append(msgs, "region "+strings.Join(e.Parented, ", ")+" has pledges and cannot get sub-regions")
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns pledge.ErrRegionInUse.
func (e *RegionsInUseError) Unwrap() error { return pledge.ErrRegionInUse }

// CheckRegionsInUse returns a *RegionsInUseError naming the regions when
// c's regions leave out a region in use (codes with pledges counted in
// them, or pending ones to be counted there, as RegionsInUse lists them)
// or make one of them the parent of another. Backends call it inside
// UpdateCampaign; the console, to warn of an import before it is made.
func CheckRegionsInUse(c *pledge.Campaign, used []string) error {
	have := make(map[string]bool, len(c.Regions))
	parents := make(map[string]bool)
	for _, r := range c.Regions {
		have[r.Code] = true
		if r.Parent != "" {
			parents[r.Parent] = true
		}
	}
	var e RegionsInUseError
	for _, code := range used {
		switch {
		case !have[code]:
			e.Removed = append(e.Removed, code)
		case parents[code]:
			e.Parented = append(e.Parented, code)
		}
	}
	if len(e.Removed) == 0 && len(e.Parented) == 0 {
		return nil
	}
	slices.Sort(e.Removed)
	slices.Sort(e.Parented)
	return &e
}
