package postgres

import (
	"context"
	"log/slog"
	"testing"

	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestAnonymiseForgetsAddressKeys(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.New(t, nil), slog.New(slog.DiscardHandler), Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.AnonymiseForgetsAddressKeys(t, s, func(campaignID int64) int {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pledges WHERE campaign_id = $1 AND email_hash IS NOT NULL`, campaignID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	})
}
