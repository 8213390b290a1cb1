package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// TestNewerDatabaseRefused: migrate, serve, worker (and the user commands)
// refuse a database a newer release has migrated, with exit status 1 and a
// message naming its newest migration and this binary's, and saying what
// to do; nothing is applied to it.
func TestNewerDatabaseRefused(t *testing.T) {
	for name, newDB := range userBackends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			mustUser(t, db, "first admin password\n", "add", "--username", "deo", "--role", "admin")
			list, err := sqlite.Migrations()
			if name == "postgres" {
				list, err = postgres.Migrations()
			}
			if err != nil {
				t.Fatal(err)
			}
			last := list[len(list)-1]
			newest := last.Version + 1
			count := addMigrationRow(t, name, db, newest)

			want := []string{
				"migrated by a newer build",
				fmt.Sprintf("its newest migration is %d", newest),
				fmt.Sprintf("this binary's newest is %d (%s)", last.Version, last.Name),
				"run the newer release on it, or restore a backup",
			}
			for _, cmd := range []string{"migrate", "serve", "worker"} {
				env := []string{"PLEDGE_DATABASE_URL=" + db, "PLEDGE_ADDR=127.0.0.1:0", "PLEDGE_WORKERS=1", "PLEDGE_LOG_LEVEL=warn"}
				var stdout, stderr bytes.Buffer
				err := run(t.Context(), []string{cmd}, env, strings.NewReader(""), &stdout, &stderr)
				if code := exitCode(err, &stderr); code != 1 {
					t.Errorf("%s: exit status %d (%v), want 1", cmd, code, err)
				}
				if !strings.Contains(stderr.String(), `"msg":"`+cmd+` failed"`) {
					t.Errorf("%s: stderr lacks the %q log line:\n%s", cmd, cmd+" failed", stderr.String())
				}
				for _, w := range want {
					if err == nil || !strings.Contains(err.Error(), w) || !strings.Contains(stderr.String(), w) {
						t.Errorf("%s: error %v\nstderr %s\nwant both to say %q", cmd, err, stderr.String(), w)
					}
				}
			}
			if _, _, err := pledgeUser(t, db, "", "list"); err == nil || !strings.Contains(err.Error(), want[1]) {
				t.Errorf("user list: %v, want the same refusal", err)
			}
			if n := addMigrationRow(t, name, db, 0); n != count {
				t.Errorf("schema_migrations has %d rows after the refusals, want %d: something was applied", n, count)
			}
		})
	}
}

// addMigrationRow records migration version in db (none for 0), as a
// newer release would have, and returns how many migrations db records.
func addMigrationRow(t *testing.T, backend, db string, version int) int {
	t.Helper()
	ctx := t.Context()
	var n int
	if backend == "postgres" {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if version > 0 {
			if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
				t.Fatal(err)
			}
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	d, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if version > 0 {
		if _, err := d.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, version); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
