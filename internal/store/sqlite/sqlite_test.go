package sqlite_test

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

func open(t *testing.T) store.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"pledge.db":                                   "pledge.db",
		"sqlite:pledge.db":                            "pledge.db",
		"sqlite:///var/lib/p.db":                      "/var/lib/p.db",
		"file:/tmp/x.db?mode=rwc":                     "/tmp/x.db",
		"postgres://localhost/db":                     "",
		"host=localhost dbname=pledge password=pw":    "",
		" dbname=pledge":                              "",
		"application_name=pledge host=db password=pw": "",
		"Host=db":       "",
		"./a=b.db":      "./a=b.db",
		"sqlite:a=b.db": "a=b.db",
		"host.db":       "host.db",
		"":              "",
	} {
		got, ok := sqlite.Path(in)
		if got != want || ok != (want != "") {
			t.Errorf("Path(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "re.db")
	log := slog.New(slog.DiscardHandler)
	s, err := sqlite.Open(ctx, path, log)
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.Campaign("keep")
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	secret, _ := s.Secret(ctx)
	s.Close()
	s, err = sqlite.Open(ctx, path, log) // migrations must be idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Campaign(ctx, "keep"); err != nil {
		t.Fatalf("campaign lost on reopen: %v", err)
	}
	again, _ := s.Secret(ctx)
	if string(again) != string(secret) {
		t.Fatal("secret changed on reopen")
	}
}

// openWithSQL opens a store on a new file and, beside it, a plain
// connection to the same file, for SQL that bypasses the store.
func openWithSQL(t *testing.T) (*sqlite.Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := sqlite.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s, db
}

// TestAuditLogAppendOnly: even SQL that bypasses the store cannot change or
// remove audit entries.
func TestAuditLogAppendOnly(t *testing.T) {
	ctx := context.Background()
	s, db := openWithSQL(t)
	if err := s.LogAction(ctx, &pledge.Action{Actor: "deo", Remote: "203.0.113.9", Kind: "login"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE admin_actions SET actor = 'x'`, `DELETE FROM admin_actions`} {
		if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
}

// TestChangeNotMadeWithoutAuditEntry: when its audit entry cannot be
// written, an administrator's change is not made either.
func TestChangeNotMadeWithoutAuditEntry(t *testing.T) {
	ctx := context.Background()
	s, db := openWithSQL(t)
	c := storetest.Campaign("vote")
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TRIGGER audit_refused BEFORE INSERT ON admin_actions
		BEGIN SELECT RAISE(ABORT, 'audit refused'); END`); err != nil {
		t.Fatal(err)
	}
	storetest.MustNotChangeUnaudited(t, s, c, &pledge.Action{Actor: "deo", Remote: "203.0.113.9", Kind: "campaign-pause", Detail: "vote: paused"})
}

// TestAnonymisedFoundInTheLog: see storetest.AnonymisedFoundInTheLog.
func TestAnonymisedFoundInTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	log := slog.New(slog.DiscardHandler)
	open := func() store.Store {
		s, err := sqlite.Open(ctx, path, log)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	storetest.AnonymisedFoundInTheLog(t, s, func() {
		s.Close()
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{`DROP INDEX pledges_withdrawn`, `ALTER TABLE campaigns DROP COLUMN anonymised_at`,
			`DELETE FROM schema_migrations WHERE version = 12`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}, open)
}

// TestNewerDatabaseWarned: a database migrated by a newer build opens, with
// a warning that says so.
func TestNewerDatabaseWarned(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newer.db")
	s, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var logs syncbuf.Buffer
	s, err = sqlite.Open(ctx, path, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("open a database migrated further: %v", err)
	}
	s.Close()
	if out := logs.String(); !strings.Contains(out, "migrated by a newer build") || !strings.Contains(out, `"database_migration":9999`) {
		t.Errorf("logs: %s", out)
	}
}
