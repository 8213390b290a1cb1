package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/syncbuf"
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

// readsHang is a store whose reads of a pledge or of a pending pledge get
// no answer, as when the database is frozen (no reply, no reset): they
// wait until their context ends, or the test does.
type readsHang struct {
	store.Store
	done <-chan struct{}
}

func (s readsHang) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("read: %w", ctx.Err())
	case <-s.done:
		return errors.New("test over")
	}
}

func (s readsHang) Pledge(ctx context.Context, _, _ int64) (pledge.Pledge, error) {
	return pledge.Pledge{}, s.wait(ctx)
}

func (s readsHang) Pending(ctx context.Context, _, _ int64) (pledge.Pending, error) {
	return pledge.Pending{}, s.wait(ctx)
}

// TestTokenPagesWhenTheDatabaseHangs: the pages that read a pledge behind
// a token (certificate, thank-you, verification, and the mail's links)
// bound the read as other pages do: with a database that does not answer
// they give 503 with Retry-After within seconds, not a request that hangs
// until the client gives up.
func TestTokenPagesWhenTheDatabaseHangs(t *testing.T) {
	t.Parallel()
	must := requiredCampaign("must")
	done := make(chan struct{})
	p := newPortal(t, withCampaign(must), withDeps(func(d *web.Deps) { d.Store = readsHang{Store: d.Store, done: done} }))
	t.Cleanup(func() { close(done) }) // before the server closes, which waits for its requests
	rec := p.mustPledge(t, "vote", "Ravi Kumar", "9876543210", "N1", "en")
	pending, id := p.pendingPledge(t, must, "9876543211", "en")
	l := p.Links
	paths := map[string]string{
		"certificate": "/certificate/" + rec.Token,
		"thanks":      "/c/vote/thanks/" + rec.Token,
		"verify":      l.VerifyPath(p.Campaign.ID, rec.Number),
		"withdraw":    l.WithdrawPath("vote", p.Campaign.ID, rec.Number),
		"confirm":     p.confirmPath(must, id),
		"pending":     pending,
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := p.get(t, path)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("GET %s took %v", path, took)
			}
			if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Errorf("GET %s = %d (Retry-After %q), want 503 with Retry-After", path, r.Status, r.Header.Get("Retry-After"))
			}
		})
	}
}

// TestStorageUnavailableLoggedEveryFewSeconds: while the database is away,
// every request that needs it is answered 503 (and has its access log
// line), but the warning that the store is unavailable comes once every
// 5 s at most, counting the ones held back: an outage at thousands of
// requests a second must not flood the log.
func TestStorageUnavailableLoggedEveryFewSeconds(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	p := newPortal(t, withClock(now), withDeps(func(d *web.Deps) {
		d.Store = pledgeReadFails{d.Store}
		d.Log = slog.New(slog.NewJSONHandler(&out, nil))
	}))
	rec := p.mustPledge(t, "vote", "Ravi Kumar", "9876543210", "N1", "en")
	get := func(n int) {
		for range n {
			wantStatus(t, p.get(t, "/certificate/"+rec.Token), http.StatusServiceUnavailable)
		}
	}
	warnings := func() []string {
		var w []string
		for line := range strings.Lines(out.String()) {
			if strings.Contains(line, `"msg":"storage unavailable"`) {
				w = append(w, line)
			}
		}
		return w
	}

	get(20)
	if w := warnings(); len(w) != 1 || !strings.Contains(w[0], `"held_back":0`) {
		t.Fatalf("after 20 requests within a moment: %d warnings, want 1 holding back none:\n%s", len(w), strings.Join(w, ""))
	}
	clock.Add(int64(4 * time.Second))
	get(1)
	if w := warnings(); len(w) != 1 {
		t.Fatalf("4 s later: %d warnings, want still 1", len(w))
	}
	clock.Add(int64(time.Second))
	get(1)
	if w := warnings(); len(w) != 2 || !strings.Contains(w[1], `"held_back":20`) {
		t.Fatalf("5 s after the first: %d warnings, want 2, the second counting the 20 held back:\n%s", len(w), strings.Join(w, ""))
	}
}

// full is an intake that admits no pledge, as when as many are in progress
// as may be.
type full struct{ web.Submitter }

func (full) Admit() bool { return false }

// TestOverloadLoggedEveryFewSeconds: pledges refused because the intake is
// full are each answered 503 with an access log line at info, and the
// warning that the portal is overloaded comes once every few seconds.
func TestOverloadLoggedEveryFewSeconds(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	p := newPortal(t, withDeps(func(d *web.Deps) {
		d.Intake = full{d.Intake}
		d.Log = slog.New(slog.NewJSONHandler(&out, nil))
	}))
	for i := range 10 {
		r := p.postJSON(t, pledgesPath("vote"), pledgeReq("Ravi Kumar", fmt.Sprintf("98765432%02d", i), "N1", "en"))
		wantStatus(t, r, http.StatusServiceUnavailable)
	}
	var overloaded, warnedRequests, requests int
	for line := range strings.Lines(out.String()) {
		switch {
		case strings.Contains(line, `"msg":"overloaded"`):
			overloaded++
		case strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"status":503`):
			requests++
			if strings.Contains(line, `"level":"WARN"`) {
				warnedRequests++
			}
		}
	}
	if overloaded != 1 || requests != 10 || warnedRequests != 0 {
		t.Errorf("10 pledges refused for overload: %d overload warnings (want 1), %d access lines (want 10), %d of them at WARN (want 0):\n%s",
			overloaded, requests, warnedRequests, out.String())
	}
}
