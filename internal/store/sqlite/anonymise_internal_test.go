package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestAnonymiseForgetsAddressKeys(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "anon.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.AnonymiseForgetsAddressKeys(t, s, func(campaignID int64) int {
		var n int
		if err := s.r.QueryRow(`SELECT count(*) FROM pledges WHERE campaign_id = ? AND email_hash IS NOT NULL`, campaignID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}
