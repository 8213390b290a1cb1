package web_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeportal/pledge/internal/ratelimit"
)

// testRedis returns a client for the test Redis, skipping (or failing, when
// services are required) without one.
func testRedis(t *testing.T) *redis.Client {
	u := os.Getenv("PLEDGE_TEST_REDIS_URL")
	if u == "" {
		if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("PLEDGE_TEST_REDIS_URL is not set but PLEDGE_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("PLEDGE_TEST_REDIS_URL not set")
	}
	c, err := ratelimit.OpenRedis(context.Background(), u, discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// randomClient is a client address no other test uses, so tests sharing one
// Redis do not share counters.
func randomClient() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("100.%d.%d.%d", 64+b[0]%64, b[1], b[2])
}

// randomPhone is a mobile number no other test run in the last hours used,
// so per-number counters in a shared Redis start at zero.
func randomPhone() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("9%09d", (uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]))%1000000000)
}

func (p *portal) pledgeAs(t *testing.T, client, phone string) response {
	t.Helper()
	return p.do(t, http.MethodPost, pledgesPath("vote"), strings.NewReader(jsonText(t, pledgeReq("Asha", phone, "N1", "en"))),
		"Content-Type", "application/json", "X-Forwarded-For", client)
}

// TestLimitsSharedAcrossInstances: two instances over one Redis share the
// per-address and per-number counters.
func TestLimitsSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	opts := ratelimit.Options{PerIP: 4, PerPhone: 3, Redis: rdb, Log: discard}
	a := newPortal(t, withLimits(ratelimit.New(opts)))
	b := newPortal(t, withLimits(ratelimit.New(opts)))

	client := randomClient()
	for _, p := range []*portal{a, b, a, b} {
		wantStatus(t, p.pledgeAs(t, client, randomPhone()), http.StatusCreated)
	}
	r := b.pledgeAs(t, client, randomPhone())
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another address behind the same proxy is not affected.
	wantStatus(t, a.pledgeAs(t, randomClient(), randomPhone()), http.StatusCreated)

	// The same number from different addresses: three attempts, then refused
	// on the other instance too, so nobody can probe which numbers pledged.
	// (Each test instance has its own database, hence no 409 on b.)
	phone := randomPhone()
	wantStatus(t, a.pledgeAs(t, randomClient(), phone), http.StatusCreated)
	wantStatus(t, a.pledgeAs(t, randomClient(), phone), http.StatusConflict)
	wantStatus(t, a.pledgeAs(t, randomClient(), phone), http.StatusConflict)
	wantStatus(t, b.pledgeAs(t, randomClient(), phone), http.StatusTooManyRequests)
}

// TestLimitsLocalWithoutRedis: limits hold per instance, and the form says
// so in the visitor's language.
func TestLimitsLocalWithoutRedis(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withLimits(ratelimit.New(ratelimit.Options{PerIP: 2, Log: discard})))
	client := randomClient()
	wantStatus(t, p.pledgeAs(t, client, "9811111111"), http.StatusCreated)
	wantStatus(t, p.pledgeAs(t, client, "9811111112"), http.StatusCreated)
	before := p.state(t, p.Campaign)
	r := p.do(t, http.MethodPost, "/c/vote", strings.NewReader(pledgeForm("Asha", "9811111113", "N1", "hi").Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", client)
	wantStatus(t, r, http.StatusTooManyRequests)
	mustContain(t, r.text(), `<p class="alert" role="alert">`+htmlText(msg(t, "hi", "rate_limited")))
	p.requireUnchanged(t, p.Campaign, before)
}

// TestPhoneLimitSaysSo: the form tells a citizen refused for a number tried
// too often that it is the number, not where they are, that was refused.
func TestPhoneLimitSaysSo(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withLimits(ratelimit.New(ratelimit.Options{PerPhone: 1, Log: discard})))
	wantStatus(t, p.pledgeAs(t, randomClient(), "9811111111"), http.StatusCreated)
	r := p.do(t, http.MethodPost, "/c/vote", strings.NewReader(pledgeForm("Asha", "9811111111", "N1", "en").Encode()),
		"Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", randomClient())
	wantStatus(t, r, http.StatusTooManyRequests)
	mustContain(t, r.text(), `<p class="alert" role="alert">`+htmlText(msg(t, "en", "phone_limited")))
	mustNotContain(t, r.text(), htmlText(msg(t, "en", "rate_limited")))
	if a := p.postJSON(t, pledgesPath("vote"), pledgeReq("Asha", "9811111111", "N1", "en")); decode[apiError](t, a).Error != "rate_limited" {
		t.Errorf("API error for a number tried too often = %+v, want rate_limited", decode[apiError](t, a))
	}
}

// TestRedisDownKeepsTakingPledges: with Redis unreachable the instance falls
// back to local counters, keeps taking pledges, and says so in /readyz.
func TestRedisDownKeepsTakingPledges(t *testing.T) {
	t.Parallel()
	dead, err := ratelimit.OpenRedis(context.Background(), "redis://127.0.0.1:1/0", discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dead.Close() })
	p := newPortal(t, withLimits(ratelimit.New(ratelimit.Options{PerIP: 100, PerPhone: 5, Redis: dead, Log: discard})))
	for i := range 3 {
		wantStatus(t, p.pledgeAs(t, randomClient(), fmt.Sprintf("96%08d", i)), http.StatusCreated)
	}
	r := p.get(t, "/readyz")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r.text(), "redis unreachable")
}
