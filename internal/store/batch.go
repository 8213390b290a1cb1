package store

import (
	"context"
	"errors"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// DedupeBatch marks every submission that repeats an earlier one of the same
// batch (same campaign and phone hash, or same campaign and email hash where
// one is set) as pledge.ErrDuplicate in results and returns the indexes of
// the rest, in order, and which earlier one each repeat repeats. Backends
// call it first so a batch never races with itself.
func DedupeBatch(subs []pledge.Submission, results []Result) ([]int, Repeats) {
	type key struct {
		campaign int64
		hash     string
	}
	first := make(map[key]int, len(subs)) // phone -> index of the fresh submission
	firstEmail := make(map[key]int)
	fresh := make([]int, 0, len(subs))
	var repeats Repeats
	for i := range subs {
		k := key{subs[i].CampaignID, string(subs[i].PhoneHash)}
		e := key{subs[i].CampaignID, string(subs[i].EmailHash)}
		orig, dup := first[k]
		if o, ok := firstEmail[e]; ok && !dup && len(subs[i].EmailHash) > 0 {
			orig, dup = o, true
		}
		if dup {
			results[i].Err = pledge.ErrDuplicate
			if repeats == nil {
				repeats = make(Repeats)
			}
			repeats[i] = orig
			continue
		}
		first[k] = i
		if len(subs[i].EmailHash) > 0 {
			firstEmail[e] = i
		}
		fresh = append(fresh, i)
	}
	return fresh, repeats
}

// Repeats maps each submission DedupeBatch refused as a repeat to the
// earlier one of the batch it repeats.
type Repeats map[int]int

// Follow gives a repeat its original's pledge.ErrRegionsChanged: neither
// was stored, and both are to be checked again, so "already pledged" would
// be wrong. Backends call it last.
func (r Repeats) Follow(results []Result) {
	for i, orig := range r {
		if errors.Is(results[orig].Err, pledge.ErrRegionsChanged) {
			results[i].Err = pledge.ErrRegionsChanged
		}
	}
}

// ByCampaign groups the indexes in fresh by the campaign of their
// submission, keeping arrival order within each group and ordering groups by
// first arrival.
func ByCampaign(subs []pledge.Submission, fresh []int) [][]int {
	var groups [][]int
	at := make(map[int64]int)
	for _, i := range fresh {
		g, ok := at[subs[i].CampaignID]
		if !ok {
			g = len(groups)
			at[subs[i].CampaignID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// RegionsRev returns the newest pledge.Campaign.RegionsRev the
// submissions of group were checked against. Backends store only those
// checked against the campaign's current revision.
func RegionsRev(subs []pledge.Submission, group []int) int64 {
	var rev int64
	for _, i := range group {
		rev = max(rev, subs[i].RegionsRev)
	}
	return rev
}

// KeepRegionsRev sets pledge.ErrRegionsChanged as the result of the
// submissions of group checked against another regions revision than rev,
// and returns the indexes of the rest, in order.
func KeepRegionsRev(subs []pledge.Submission, group []int, rev int64, results []Result) []int {
	keep := group[:0:0]
	for _, i := range group {
		if subs[i].RegionsRev != rev {
			results[i].Err = pledge.ErrRegionsChanged
			continue
		}
		keep = append(keep, i)
	}
	return keep
}

// InDoubtError is CommitBatch's error for a batch whose COMMIT was sent and
// never answered (PostgreSQL: the connection failed in between), so that
// it may or may not be stored. Resolve finds out, waiting as long as ctx
// allows for the database to say: it returns the batch's results if it was
// stored, and an error if it was not or if that is still unknown when ctx
// ends. The caller may go on committing other batches meanwhile.
type InDoubtError struct {
	Err     error
	Resolve func(ctx context.Context) ([]Result, error)
}

func (e *InDoubtError) Error() string { return e.Err.Error() }

// Unwrap returns the error that left the batch in doubt.
func (e *InDoubtError) Unwrap() error { return e.Err }
