package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// source is the SQLite database being copied, read in one transaction so
// that every table comes from the same moment.
type source struct {
	db   *sql.DB
	tx   *sql.Tx
	path string
}

// openSource opens the SQLite database at path without writing to it (it
// must exist) and begins the read transaction the copy reads in. It
// refuses a database this build has not migrated fully, or that a newer
// build has migrated further.
func openSource(ctx context.Context, path string) (*source, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: there is no file %s", ErrSource, path)
	} else if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSource, err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=rw&_pragma=busy_timeout(10000)&_pragma=query_only(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &source{db: db, path: path}
	if err := s.checkMigrated(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.tx, err = db.BeginTx(ctx, nil); err != nil {
		db.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return s, nil
}

// Close ends the read transaction and closes the database.
func (s *source) Close() error {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	return s.db.Close()
}

// checkMigrated compares the migrations the database records with this
// build's: each must be applied, and none beyond them (a newer build's
// columns would not be copied).
func (s *source) checkMigrated(ctx context.Context) error {
	list, err := sqlite.Migrations()
	if err != nil {
		return err
	}
	var hasTable bool
	if err := s.db.QueryRowContext(ctx,
		`SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&hasTable); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSource, s.path, err)
	}
	if !hasTable {
		return fmt.Errorf("%w: %s is not a database of the portal (it has no migrations)", ErrSource, s.path)
	}
	applied := make(map[int]bool)
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read migrations of %s: %w", s.path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return fmt.Errorf("read migrations of %s: %w", s.path, err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read migrations of %s: %w", s.path, err)
	}
	for _, m := range list {
		if !applied[m.Version] {
			return fmt.Errorf("%w: %s lacks migration %s: run pledge migrate --db %s first", ErrSourceNotMigrated, s.path, m.Name, s.path)
		}
		delete(applied, m.Version)
	}
	if len(applied) > 0 {
		return fmt.Errorf("%w: %s was migrated by a newer build than this one: copy it with that build", ErrSourceNotMigrated, s.path)
	}
	return nil
}

// checkNoLeader refuses while River's leadership in the source has not
// expired: a running serve or worker holds it, renewing it every few
// seconds, and what it commits after the read transaction began would be
// left behind.
func (s *source) checkNoLeader(ctx context.Context) error {
	var leader string
	err := s.tx.QueryRowContext(ctx, `SELECT leader_id FROM river_leader
		WHERE unixepoch(expires_at, 'subsec') > unixepoch('now', 'subsec')`).Scan(&leader)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read River's leader in %s: %w", s.path, err)
	}
	return fmt.Errorf("%w: a portal instance (%s) is running on %s: stop the portal (systemctl stop pledge) "+
		"and copy when it is stopped", ErrPortalRunning, leader, s.path)
}

// unfinishedJobs counts the mail jobs River has not finished: available,
// scheduled, retryable, running or pending. Periodic jobs (the expiry of
// unconfirmed pledges) are left out: River enqueues them again when the
// portal starts.
func (s *source) unfinishedJobs(ctx context.Context) (int64, error) {
	var n int64
	err := s.tx.QueryRowContext(ctx, `SELECT count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') AND kind <> ?`,
		pledge.ExpirePendingArgs{}.Kind()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unfinished jobs in %s: %w", s.path, err)
	}
	return n, nil
}

// rows opens t's rows, in key order.
func (s *source) rows(ctx context.Context, t table) (*sql.Rows, error) {
	rows, err := s.tx.QueryContext(ctx, t.selectSQL())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", t.name, err)
	}
	return rows, nil
}

// count returns how many rows t has.
func (s *source) count(ctx context.Context, t string) (int64, error) {
	var n int64
	if err := s.tx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", t, err)
	}
	return n, nil
}

// highestID returns the highest ID t has given: for pending pledges, whose
// IDs are never reused (they are in confirmation links), what SQLite's
// AUTOINCREMENT recorded, which outlives the rows expiry removes.
func (s *source) highestID(ctx context.Context, t table) (int64, error) {
	var n int64
	q := "SELECT coalesce(max(" + t.serial + "), 0) FROM " + t.name
	if t.name == "pending_pledges" {
		q = `SELECT max(coalesce((SELECT max(id) FROM pending_pledges), 0),
			coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'pending_pledges'), 0))`
	}
	if err := s.tx.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return 0, fmt.Errorf("highest id of %s: %w", t.name, err)
	}
	return n, nil
}
