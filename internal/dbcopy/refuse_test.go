package dbcopy_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/dbcopy"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// TestCopyRefusesUnsentMail: mail jobs not done yet stop the copy, which
// names them and what to do, and writes nothing; --drop-unsent-mail
// copies without them.
func TestCopyRefusesUnsentMail(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := fill(t)
	s := openSQLite(t, f.path)
	enqueue(t, s, store.MailJob(pledge.ConfirmationMailArgs{CampaignID: f.alpha.ID, Number: 1}),
		store.MailJob(pledge.OptInMailArgs{CampaignID: f.optin.ID, PendingID: f.pendingID, Send: 1}))
	s.Close()
	url := target(t)
	empty := tableRows(t, url)
	_, err := copyDB(ctx, f.path, url, false)
	if !errors.Is(err, dbcopy.ErrUnsentMail) || !strings.Contains(err.Error(), "2 mail jobs") ||
		!strings.Contains(err.Error(), "pledge worker --db "+f.path) || !strings.Contains(err.Error(), "--drop-unsent-mail") {
		t.Fatalf("copy with unsent mail: %v", err)
	}
	if after := tableRows(t, url); !cmp.Equal(empty, after) {
		t.Errorf("a refused copy wrote rows: %v", after)
	}
	rep, err := copyDB(ctx, f.path, url, true)
	if err != nil || rep.DroppedJobs != 2 {
		t.Fatalf("copy with --drop-unsent-mail: %+v, %v", rep, err)
	}
}

// TestCopyRefusesSource: a missing file (not created), and a database
// this build has not migrated fully, are refused before the target is
// touched.
func TestCopyRefusesSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := target(t)
	empty := tableRows(t, url)
	missing := filepath.Join(t.TempDir(), "nope.db")
	if _, err := copyDB(ctx, missing, url, false); !errors.Is(err, dbcopy.ErrSource) {
		t.Errorf("missing source: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy created %s", missing)
	}

	f := fill(t)
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	var top int
	if err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&top); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = ?`, top); err != nil {
		t.Fatal(err)
	}
	_, err = copyDB(ctx, f.path, url, false)
	if !errors.Is(err, dbcopy.ErrSourceNotMigrated) || !strings.Contains(err.Error(), "pledge migrate --db "+f.path) {
		t.Errorf("source lacking a migration: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0), (?, 0)`, top, top+1000); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := copyDB(ctx, f.path, url, false); !errors.Is(err, dbcopy.ErrSourceNotMigrated) || !strings.Contains(err.Error(), "newer build") {
		t.Errorf("source of a newer build: %v", err)
	}
	if after := tableRows(t, url); !cmp.Equal(empty, after) {
		t.Errorf("a refused copy wrote rows: %v", after)
	}
}

// TestCopyRefusesTarget: a database pledge migrate has not prepared, and
// a URL that is not PostgreSQL's, are refused.
func TestCopyRefusesTarget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := fill(t)
	bare := schema(t)
	if _, err := copyDB(ctx, f.path, bare, false); !errors.Is(err, dbcopy.ErrTarget) || !strings.Contains(err.Error(), "pledge migrate --db postgres://") {
		t.Errorf("unmigrated target: %v", err)
	}
	if _, err := copyDB(ctx, f.path, filepath.Join(t.TempDir(), "other.db"), false); !errors.Is(err, dbcopy.ErrTarget) {
		t.Errorf("SQLite target: %v", err)
	}
}

// TestCopyRefusesNewerTarget: a database a newer build has migrated
// further is refused, as a newer source is, and left as it was.
func TestCopyRefusesNewerTarget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := fill(t)
	url := target(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) SELECT max(version) + 1000 FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	empty := tableRows(t, url)
	_, err = copyDB(ctx, f.path, url, false)
	if !errors.Is(err, dbcopy.ErrTarget) || !strings.Contains(err.Error(), "newer build") {
		t.Errorf("target of a newer build: %v", err)
	}
	if after := tableRows(t, url); !cmp.Equal(empty, after) {
		t.Errorf("a refused copy wrote rows: %v", after)
	}
}

// TestCopyRefusesRunningTarget: an instance connected to the target
// ("pledge serve") would keep the secret it made while the copy replaces
// it, so the copy refuses, saying to stop it, and writes nothing. Not
// parallel: the connection would stop the other tests' copies, on the
// same database.
func TestCopyRefusesRunningTarget(t *testing.T) {
	ctx := t.Context()
	f := fill(t)
	url := target(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "pledge serve"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	empty := tableRows(t, url)
	_, err = copyDB(ctx, f.path, url, false)
	if !errors.Is(err, dbcopy.ErrPortalRunning) || !strings.Contains(err.Error(), "1 connections of pledge serve") ||
		!strings.Contains(err.Error(), "stop every instance") {
		t.Errorf("copy with pledge serve connected: %v", err)
	}
	if after := tableRows(t, url); !cmp.Equal(empty, after) {
		t.Errorf("a refused copy wrote rows: %v", after)
	}
	conn.Close(ctx)
	// The server ends the backend soon after the connection closes.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = copyDB(ctx, f.path, url, false)
		if !errors.Is(err, dbcopy.ErrPortalRunning) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("copy once pledge serve is gone: %v", err)
	}
}

// TestCopyRefusesRunningSource: River's leadership in the source, not
// expired, means a serve or worker is running on it: the copy refuses,
// saying to stop it; an expired one is a portal that stopped.
func TestCopyRefusesRunningSource(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := fill(t)
	url := target(t)
	empty := tableRows(t, url)
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO river_leader (leader_id, elected_at, expires_at)
		VALUES ('host_1', datetime('now', 'subsec'), datetime('now', 'subsec', '+1 minute'))`); err != nil {
		t.Fatal(err)
	}
	_, err = copyDB(ctx, f.path, url, false)
	if !errors.Is(err, dbcopy.ErrPortalRunning) || !strings.Contains(err.Error(), "stop the portal") {
		t.Errorf("copy of a source with a leader: %v", err)
	}
	if after := tableRows(t, url); !cmp.Equal(empty, after) {
		t.Errorf("a refused copy wrote rows: %v", after)
	}
	if _, err := db.Exec(`UPDATE river_leader SET expires_at = datetime('now', 'subsec', '-1 minute')`); err != nil {
		t.Fatal(err)
	}
	if _, err := copyDB(ctx, f.path, url, false); err != nil {
		t.Errorf("copy of a source whose leader expired: %v", err)
	}
}
