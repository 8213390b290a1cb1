package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestAuditFiltersMigration: the migration that adds the audit log's
// campaign column gives the entries written before it the campaign their
// detail names, and leaves the log append-only.
func TestAuditFiltersMigration(t *testing.T) {
	ctx := context.Background()
	url := pgtest.New(t, nil)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	list, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.Name == "0013_audit_filters.sql" {
			break
		}
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
			t.Fatal(err)
		}
	}
	for _, slug := range []string{"vote", "vote-2"} {
		if _, err := conn.Exec(ctx, `INSERT INTO campaigns (slug, languages, title, pledge_text, email_mode, opens_at, created_at)
			VALUES ($1, '["en"]', '{}', '{}', 'none', now(), now())`, slug); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, a := range storetest.OldActions() {
		if _, err := conn.Exec(ctx, `INSERT INTO admin_actions (at, actor, remote, kind, detail) VALUES ($1, 'deo', 'local', $2, $3)`,
			at.Add(time.Duration(i)*time.Minute), a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}

	s, err := postgres.Open(ctx, url, slog.New(slog.DiscardHandler), postgres.Options{MaxConns: 2, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.CheckActionsBackfilled(t, s)
	if _, err := conn.Exec(ctx, `UPDATE admin_actions SET detail = 'changed'`); err == nil {
		t.Error("the audit log can be changed after the migration")
	}
}
