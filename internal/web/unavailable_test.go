package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/web"
)

// pledgeReadFails is a store whose reads of one pledge fail, as when the
// database is away.
type pledgeReadFails struct{ store.Store }

func (pledgeReadFails) Pledge(context.Context, int64, int64) (pledge.Pledge, error) {
	return pledge.Pledge{}, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

// pledgeReadTimesOut is a store whose reads of one pledge time out, as
// when the database accepts connections but does not answer.
type pledgeReadTimesOut struct{ store.Store }

func (pledgeReadTimesOut) Pledge(context.Context, int64, int64) (pledge.Pledge, error) {
	return pledge.Pledge{}, fmt.Errorf("read pledge: timeout: %w", context.DeadlineExceeded)
}

// TestCertificateWhileTheDatabaseIsAway: the thank-you and certificate
// pages (and the pictures, read the same way) answer 503 with
// Retry-After, not a server error, whether the database refuses or does
// not answer.
func TestCertificateWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	for name, away := range map[string]func(store.Store) store.Store{
		"refused":     func(s store.Store) store.Store { return pledgeReadFails{s} },
		"not answers": func(s store.Store) store.Store { return pledgeReadTimesOut{s} },
	} {
		p := newPortal(t, withDeps(func(d *web.Deps) { d.Store = away(d.Store) }))
		rec := p.mustPledge(t, "vote", "Ravi Kumar", "9876543210", "N1", "en")
		for _, path := range []string{"/certificate/" + rec.Token, "/c/vote/thanks/" + rec.Token} {
			r := p.get(t, path)
			if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s: GET %s = %d (Retry-After %q), want 503 with Retry-After", name, path, r.Status, r.Header.Get("Retry-After"))
			}
		}
	}
}

// campaignsReadFails is a store whose reads of the campaigns fail, as
// when the database is away before an instance has read them once.
type campaignsReadFails struct{ store.Store }

func (campaignsReadFails) Campaigns(context.Context) ([]pledge.Campaign, error) {
	return nil, errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

// TestColdInstanceWhileTheDatabaseIsAway: an instance that has not read
// the campaigns yet answers the campaign page, a pledge and the counts
// with 503 and Retry-After while the database is away, not with a server
// error.
func TestColdInstanceWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withDeps(func(d *web.Deps) { d.Store = campaignsReadFails{d.Store} }))
	for what, r := range map[string]response{
		"campaign page": p.get(t, "/c/vote"),
		"counts":        p.get(t, "/api/v1/campaigns/vote/stats"),
		"campaigns":     p.get(t, "/api/v1/campaigns"),
		"pledge": p.postJSON(t, "/api/v1/campaigns/vote/pledges",
			map[string]string{"name": "Ravi Kumar", "phone": "9876543210", "region": "N1"}),
	} {
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s = %d (Retry-After %q), want 503 with Retry-After", what, r.Status, r.Header.Get("Retry-After"))
		}
	}
}

// TestConfirmedLinksWhileTheDatabaseIsAway: the mail's links of a pledge
// confirmed since read the pledge to tell whether it was withdrawn; when
// that read fails they answer 503, not "confirmed".
func TestConfirmedLinksWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	p := newPortal(t, withCampaign(must), withDeps(func(d *web.Deps) { d.Store = pledgeReadFails{d.Store} }))
	pending, id := p.pendingPledge(t, must, "9876543210", "en")
	wantStatus(t, p.press(t, p.confirmPath(must, id)), http.StatusSeeOther)
	for _, path := range []string{p.confirmPath(must, id), pending} {
		r := p.get(t, path)
		if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s = %d (Retry-After %q), want 503 with Retry-After", path, r.Status, r.Header.Get("Retry-After"))
		}
	}
}
