package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// checkSecrets calls CheckSecret with each fingerprint at once and returns
// the errors in the same order.
func checkSecrets(s store.Store, fingerprints ...[]byte) []error {
	errs := make([]error, len(fingerprints))
	var wg sync.WaitGroup
	for i, fp := range fingerprints {
		wg.Go(func() { errs[i] = s.CheckSecret(context.Background(), fp) })
	}
	wg.Wait()
	return errs
}

// mustSecret fails t unless CheckSecret accepts fingerprint.
func mustSecret(t *testing.T, s store.Store, fingerprint []byte, why string) {
	t.Helper()
	if err := s.CheckSecret(context.Background(), fingerprint); err != nil {
		t.Fatalf("CheckSecret (%s): %v", why, err)
	}
}

// mustRefuseSecret fails t unless CheckSecret refuses fingerprint with
// store.ErrSecretChanged.
func mustRefuseSecret(t *testing.T, s store.Store, fingerprint []byte, why string) {
	t.Helper()
	if err := s.CheckSecret(context.Background(), fingerprint); !errors.Is(err, store.ErrSecretChanged) {
		t.Fatalf("CheckSecret (%s) = %v, want ErrSecretChanged", why, err)
	}
}

// testSecretGuard: the first secret's fingerprint is kept, by instances
// starting together too, and another secret is refused from then on, with
// no pledge stored as with one: an instance still running with the first
// would go on hashing with it.
func testSecretGuard(t *testing.T, s store.Store) {
	a, b := store.SecretFingerprint([]byte("secret A, 16+ chars")), store.SecretFingerprint([]byte("secret B, 16+ chars"))
	if string(a) == string(b) || len(a) < 32 {
		t.Fatalf("fingerprints of two secrets: %x and %x, want distinct 32-byte sums", a, b)
	}
	if string(store.SecretFingerprint([]byte("secret A, 16+ chars"))) != string(a) {
		t.Fatal("SecretFingerprint differs for the same secret")
	}
	for i, err := range checkSecrets(s, a, a, a, a, a, a, a, a) {
		if err != nil {
			t.Fatalf("first start %d of 8 with the same secret: %v", i, err)
		}
	}
	mustSecret(t, s, a, "restart with the same secret")
	mustRefuseSecret(t, s, b, "another secret before any pledge")
	mustSecret(t, s, a, "the first, after another was refused")

	c := mustCampaign(t, s, "secret-guard")
	mustCommit(t, s, []pledge.Submission{Submission(pledge.NewHasher([]byte("secret A, 16+ chars")), c.ID, 1, "N1")})
	mustRefuseSecret(t, s, b, "another secret after a pledge")
	mustSecret(t, s, a, "the secret the pledge was stored with")
}

// testSecretGuardFirstRecord: on a database that holds no fingerprint yet
// (new, or kept by a portal from before the check and holding pledges),
// instances starting together with two secrets agree on one of them:
// every instance with it starts, every other is refused.
func testSecretGuardFirstRecord(t *testing.T, s store.Store) {
	c := mustCampaign(t, s, "secret-guard-first")
	mustCommit(t, s, []pledge.Submission{Submission(pledge.NewHasher([]byte("k")), c.ID, 1, "N1")})
	a, b := store.SecretFingerprint([]byte("secret A, 16+ chars")), store.SecretFingerprint([]byte("secret B, 16+ chars"))
	fps := [][]byte{a, b, a, b, a, b, a, b}
	accepted := map[string]int{}
	for i, err := range checkSecrets(s, fps...) {
		switch {
		case err == nil:
			accepted[string(fps[i])]++
		case !errors.Is(err, store.ErrSecretChanged):
			t.Fatalf("CheckSecret: %v", err)
		}
	}
	if len(accepted) != 1 {
		t.Fatalf("instances starting together accepted %d different secrets, want 1", len(accepted))
	}
	for fp, n := range accepted {
		if n != 4 {
			t.Errorf("%d of 4 instances with the kept secret started", n)
		}
		mustSecret(t, s, []byte(fp), "restart with the kept secret")
	}
}
