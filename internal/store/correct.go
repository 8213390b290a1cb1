package store

import (
	"fmt"
	"strings"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// NameCorrectionAction puts into act's Detail (act may be nil) the names
// before and after correction res, known only inside the transaction that
// makes it, after the Detail's first part, and returns act:
// "bilaspur #12; reason: typo" becomes
// `bilaspur #12: "Rmaesh Kumar" → "Ramesh Kumar"; reason: typo`.
func NameCorrectionAction(act *pledge.Action, res pledge.NameCorrection) *pledge.Action {
	if act != nil {
		head, rest, found := strings.Cut(act.Detail, "; ")
		act.Detail = fmt.Sprintf("%s: %q → %q", head, res.Old, res.New)
		if found {
			act.Detail += "; " + rest
		}
	}
	return act
}

// Correctable refuses, for CorrectName, to correct the name of pledge
// number of campaign campaignID when it no longer counts: withdrawn by its
// citizen or invalidated. The error wraps pledge.ErrNotFound.
func Correctable(campaignID, number int64, invalidated, withdrawn bool) error {
	switch {
	case withdrawn:
		return fmt.Errorf("pledge %d/%d was withdrawn: %w", campaignID, number, pledge.ErrNotFound)
	case invalidated:
		return fmt.Errorf("pledge %d/%d was invalidated: %w", campaignID, number, pledge.ErrNotFound)
	}
	return nil
}
