package store

import "github.com/pledgeportal/pledge/internal/pledge"

// DedupeBatch marks every submission that repeats an earlier one of the same
// batch (same campaign and phone hash) as pledge.ErrDuplicate in results and
// returns the indexes of the rest, in order. Backends call it first so a
// batch never races with itself.
func DedupeBatch(subs []pledge.Submission, results []Result) []int {
	type key struct {
		campaign int64
		phone    string
	}
	seen := make(map[key]struct{}, len(subs))
	fresh := make([]int, 0, len(subs))
	for i := range subs {
		k := key{subs[i].CampaignID, string(subs[i].PhoneHash)}
		if _, dup := seen[k]; dup {
			results[i].Err = pledge.ErrDuplicate
			continue
		}
		seen[k] = struct{}{}
		fresh = append(fresh, i)
	}
	return fresh
}
