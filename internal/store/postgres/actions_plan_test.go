package postgres

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
)

// TestActionsFilterUsesIndex: a page of a large audit log filtered by an
// account, a kind or a campaign with few entries is read through the
// index of a field it names, not by scanning the log. (For a value with
// many entries, PostgreSQL may rightly walk the primary key backwards
// instead, stopping at the page's end.)
func TestActionsFilterUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.New(t, nil), slog.New(slog.DiscardHandler), Options{MaxConns: 4, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// 20,000 entries: 50 actors, 20 kinds, one in ten on one of 10
	// campaigns; and one in a thousand by the actor "rare", of the kind
	// "rare", on the campaign "rare".
	if _, err := s.pool.Exec(ctx, `INSERT INTO admin_actions (at, actor, remote, kind, detail, campaign)
		SELECT now(), CASE WHEN i % 1000 = 7 THEN 'rare' ELSE 'user' || (i % 50) END, 'local',
		       CASE WHEN i % 1000 = 7 THEN 'rare' ELSE 'kind' || (i % 20) END, 'd',
		       CASE WHEN i % 1000 = 7 THEN 'rare' WHEN i % 10 = 0 THEN 'camp' || (i % 100 / 10) ELSE '' END
		FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE admin_actions`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    store.ActionFilter
		want []string // one of these indexes
	}{
		{store.ActionFilter{Actor: "rare"}, []string{"admin_actions_actor"}},
		{store.ActionFilter{Kind: "rare"}, []string{"admin_actions_kind"}},
		{store.ActionFilter{Campaign: "rare"}, []string{"admin_actions_campaign"}},
		{store.ActionFilter{Actor: "rare", Kind: "rare", Campaign: "rare"},
			[]string{"admin_actions_actor", "admin_actions_kind", "admin_actions_campaign"}},
	} {
		for _, before := range []int64{0, 15000} {
			q, args := actionsQuery(tc.f, before, 51)
			rows, err := s.pool.Query(ctx, "EXPLAIN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			used := false
			for _, ix := range tc.want {
				used = used || strings.Contains(plan, " using "+ix+" ") || strings.Contains(plan, " on "+ix+" ")
			}
			if !used || strings.Contains(plan, "Seq Scan") {
				t.Errorf("plan of %+v before %d:\n%s\nwant a read of one of %v", tc.f, before, plan, tc.want)
			}
		}
	}
}
