package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestAuditFiltersMigration: the migration that adds the audit log's
// campaign column gives the entries written before it the campaign their
// detail names, and leaves the log append-only.
func TestAuditFiltersMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.Name == "0014_audit_filters.sql" {
			break
		}
		if _, err := db.ExecContext(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 0)`, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"vote", "vote-2"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO campaigns (slug, languages, title, pledge_text, email_mode, opens_at, created_at)
			VALUES (?, '["en"]', '{}', '{}', 'none', 0, 0)`, slug); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range storetest.OldActions() {
		if _, err := db.ExecContext(ctx, `INSERT INTO admin_actions (at, actor, remote, kind, detail) VALUES (?, 'deo', 'local', ?, ?)`,
			i, a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckActionsBackfilled(t, s)
	if _, err := s.w.ExecContext(ctx, `UPDATE admin_actions SET detail = 'changed'`); err == nil {
		t.Error("the audit log can be changed after the migration")
	}
}

// TestActionsFilterUsesIndex: a filtered page of the audit log is read
// through the index of a field it names, not by scanning the log.
func TestActionsFilterUsesIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		f    store.ActionFilter
		want []string // one of these indexes
	}{
		{store.ActionFilter{Actor: "deo"}, []string{"admin_actions_actor"}},
		{store.ActionFilter{Kind: "login"}, []string{"admin_actions_kind"}},
		{store.ActionFilter{Campaign: "vote"}, []string{"admin_actions_campaign"}},
		{store.ActionFilter{Actor: "deo", Kind: "login", Campaign: "vote"},
			[]string{"admin_actions_actor", "admin_actions_kind", "admin_actions_campaign"}},
	} {
		q, args := actionsQuery(tc.f, 1000, 51)
		rows, err := s.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !slices.ContainsFunc(tc.want, func(ix string) bool { return strings.Contains(joined, "USING INDEX "+ix+" ") }) ||
			strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("plan of %+v: %s; want a walk of one of %v, in id order", tc.f, joined, tc.want)
		}
	}
}
