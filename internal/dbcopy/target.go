package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/store/postgres"
)

// checkTarget refuses a target that is not a postgres:// URL, or a
// database this build has not migrated, the way the portal itself would
// refuse to start on it. It refuses too a database a newer build has
// migrated further, which the portal runs on with a warning: the copy
// would leave that build's new columns empty, as it refuses a newer
// source.
func checkTarget(ctx context.Context, url string, log *slog.Logger) error {
	shown := config.Config{Database: url}.DatabaseForLog()
	if !postgres.IsURL(url) {
		return fmt.Errorf("%w: %s: want a postgres:// URL", ErrTarget, shown)
	}
	s, err := postgres.Open(ctx, url, log, postgres.Options{MaxConns: 1, Name: "pledge copy"})
	if errors.Is(err, postgres.ErrNotMigrated) {
		return fmt.Errorf("%w: %s: %w: run pledge migrate --db %s first", ErrTarget, shown, err, shown)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", shown, err)
	}
	return s.Close()
}

// target is the PostgreSQL database being written, inside the one
// transaction the copy makes.
type target struct {
	conn *pgx.Conn
	tx   pgx.Tx
}

// beginTarget connects to url and begins the copy's transaction, locking
// the tables it writes against writes by anything else until it ends.
func beginTarget(ctx context.Context, url string) (*target, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres config: %w", err)
	}
	if _, set := cfg.RuntimeParams["application_name"]; !set {
		cfg.RuntimeParams["application_name"] = "pledge copy"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("begin: %w", err)
	}
	t := &target{conn: conn, tx: tx}
	names := make([]string, 0, len(tables()))
	for _, tb := range tables() {
		names = append(names, tb.name)
	}
	// Managed PostgreSQL often limits statements and idle transactions
	// per role; the copy of a large portal outlasts such limits (the
	// source is read between the target's statements).
	for _, set := range []string{`SET LOCAL lock_timeout = '10s'`, `SET LOCAL statement_timeout = 0`,
		`SET LOCAL idle_in_transaction_session_timeout = 0`} {
		if _, err := tx.Exec(ctx, set); err != nil {
			t.close(ctx)
			return nil, fmt.Errorf("%s: %w", set, err)
		}
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN EXCLUSIVE MODE"); err != nil {
		t.close(ctx)
		return nil, fmt.Errorf("lock the tables (is a portal running on it?): %w", err)
	}
	return t, nil
}

// close rolls back what was not committed and disconnects.
func (t *target) close(ctx context.Context) {
	_ = t.tx.Rollback(context.WithoutCancel(ctx))
	_ = t.conn.Close(context.WithoutCancel(ctx))
}

// analyze gathers the copied tables' statistics, in the transaction, so
// that the first instances plan with them: a table that autovacuum has
// not analysed yet is planned as if it were small (see insertFresh in
// internal/store/postgres), however many pledges it holds.
func (t *target) analyze(ctx context.Context) error {
	names := make([]string, 0, len(tables()))
	for _, tb := range tables() {
		names = append(names, tb.name)
	}
	if _, err := t.tx.Exec(ctx, "ANALYZE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("analyze the copied tables: %w", err)
	}
	return nil
}

// commit commits the copy.
func (t *target) commit(ctx context.Context) error {
	if err := t.tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit the copy: %w", err)
	}
	return nil
}

// checkNoPortal refuses while another connection to the database is a
// portal's (application_name "pledge serve", "pledge worker", "pledge
// user": see postgres.Options.Name). An instance started on the empty
// database keeps the secret it made in memory, while the copy replaces
// the settings it is in: every number could pledge again until it
// restarts. An idle instance holds no lock, so the table locks do not find
// it. Connections of pledge copy (this one's check, just closed, or
// another copy, which the locks stop) and pledge migrate (which holds no
// secret and exits) are left out.
func (t *target) checkNoPortal(ctx context.Context) error {
	rows, err := t.tx.Query(ctx, `SELECT application_name, count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND application_name LIKE 'pledge %' AND application_name NOT IN ('pledge copy', 'pledge migrate')
		GROUP BY application_name ORDER BY application_name`)
	if err != nil {
		return fmt.Errorf("look for running instances: %w", err)
	}
	var found []string
	var name string
	var n int64
	if _, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error {
		found = append(found, fmt.Sprintf("%d connections of %s", n, name))
		return nil
	}); err != nil {
		return fmt.Errorf("look for running instances: %w", err)
	}
	if len(found) > 0 {
		return fmt.Errorf("%w: the PostgreSQL database has %s: stop every instance on it (serve and worker) "+
			"before copying, and start them after", ErrPortalRunning, strings.Join(found, ", "))
	}
	return nil
}

// checkNotNewer refuses a target (shown, as logs show it) that a newer
// build has migrated further than this one: the copy would leave that
// build's new columns empty, as it refuses a newer source.
func (t *target) checkNotNewer(ctx context.Context, shown string) error {
	list, err := postgres.Migrations()
	if err != nil {
		return err
	}
	var newest int
	if err := t.tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read the target's migrations: %w", err)
	}
	if build := list[len(list)-1].Version; newest > build {
		return fmt.Errorf("%w: %s was migrated by a newer build than this one (migration %d, this build's last is %d): "+
			"copy with that build", ErrTarget, shown, newest, build)
	}
	return nil
}

// checkEmpty refuses a target where any copied table but settings has a
// row. Settings are the server secret's, which an instance started on the
// empty database may have made; the source's replace them.
func (t *target) checkEmpty(ctx context.Context) error {
	var full []string
	for _, tb := range tables() {
		if tb.name == "settings" {
			continue
		}
		var any bool
		if err := t.tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+tb.name+")").Scan(&any); err != nil {
			return fmt.Errorf("check %s is empty: %w", tb.name, err)
		}
		if any {
			full = append(full, tb.name)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: it has rows in %s; copy only into a new database that pledge migrate has prepared",
			ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// clearSettings removes the target's settings, for the source's.
func (t *target) clearSettings(ctx context.Context) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM settings`); err != nil {
		return fmt.Errorf("clear settings: %w", err)
	}
	return nil
}

// copyFrom copies rows into tb with COPY and returns how many.
func (t *target) copyFrom(ctx context.Context, tb table, rows pgx.CopyFromSource) (int64, error) {
	n, err := t.tx.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.names(), rows)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", tb.name, err)
	}
	return n, nil
}

// setSerial makes the next value of tb's ID sequence high+1 (1 for 0).
func (t *target) setSerial(ctx context.Context, tb table, high int64) error {
	_, err := t.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), greatest($3::bigint, 1), $3::bigint > 0)`,
		tb.name, tb.serial, high)
	if err != nil {
		return fmt.Errorf("set the %s sequence: %w", tb.name, err)
	}
	return nil
}
