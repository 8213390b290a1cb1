package store

import (
	"errors"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// DedupeBatch marks every submission that repeats an earlier one of the same
// batch (same campaign and phone hash, or same campaign and email hash where
// one is set) as pledge.ErrDuplicate in results and
// returns the indexes of the rest, in order. Backends call it first so a
// batch never races with itself.
func DedupeBatch(subs []pledge.Submission, results []Result) []int {
	type key struct {
		campaign int64
		phone    string
	}
	seen := make(map[key]struct{}, len(subs))
	seenEmail := make(map[key]struct{})
	fresh := make([]int, 0, len(subs))
	for i := range subs {
		k := key{subs[i].CampaignID, string(subs[i].PhoneHash)}
		e := key{subs[i].CampaignID, string(subs[i].EmailHash)}
		_, dup := seen[k]
		if _, dupEmail := seenEmail[e]; dupEmail && len(subs[i].EmailHash) > 0 {
			dup = true
		}
		if dup {
			results[i].Err = pledge.ErrDuplicate
			continue
		}
		seen[k] = struct{}{}
		if len(subs[i].EmailHash) > 0 {
			seenEmail[e] = struct{}{}
		}
		fresh = append(fresh, i)
	}
	return fresh
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

// RepeatsFollow gives a submission refused as the repeat of an earlier one
// in the same batch (DedupeBatch) that earlier one's
// pledge.ErrRegionsChanged: neither was stored, and both are to be checked
// again, so "already pledged" would be wrong. Backends call it last.
func RepeatsFollow(subs []pledge.Submission, results []Result) {
	type key struct {
		campaign int64
		hash     string
	}
	first := make(map[key]int, len(subs))
	firstEmail := make(map[key]int)
	for i := range subs {
		k := key{subs[i].CampaignID, string(subs[i].PhoneHash)}
		e := key{subs[i].CampaignID, string(subs[i].EmailHash)}
		orig, seen := first[k]
		if !seen {
			first[k] = i
		}
		if len(subs[i].EmailHash) > 0 {
			if o, ok := firstEmail[e]; ok && !seen {
				orig, seen = o, true
			} else if !ok {
				firstEmail[e] = i
			}
		}
		if seen && errors.Is(results[i].Err, pledge.ErrDuplicate) && errors.Is(results[orig].Err, pledge.ErrRegionsChanged) {
			results[i].Err = pledge.ErrRegionsChanged
		}
	}
}
