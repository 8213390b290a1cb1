// Package sqlite is the embedded SQLite backend of the store: one file, WAL,
// synchronous=FULL, one writer connection taking BEGIN IMMEDIATE and a
// separate pool of read-only connections.
package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"strings"

	"github.com/riverqueue/river"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/pledgeportal/pledge/internal/store"
)

// Store is the SQLite implementation of store.Store.
type Store struct {
	w     *sql.DB // exactly one connection: the writer
	r     *sql.DB // read-only pool
	log   *slog.Logger
	stmts stmtCache // the writer's prepared statements
	jobs  *river.Client[*sql.Tx]
}

var _ store.Store = (*Store)(nil)

// conninfo matches the start of a PostgreSQL key=value connection string
// ("host=db dbname=pledge", "application_name=x ..."): a key, then "=". A
// file whose name starts so must be written as ./name or sqlite:name.
var conninfo = regexp.MustCompile(`^\s*[A-Za-z_][A-Za-z0-9_]*\s*=`)

// Path extracts the file path from a database setting: a plain path,
// "sqlite:path", "sqlite://path" or "file:path". ok is false when dsn names
// another kind of database, a PostgreSQL key=value string included
// ("host=db dbname=pledge"), which would otherwise name a file.
func Path(dsn string) (path string, ok bool) {
	if conninfo.MatchString(dsn) {
		return "", false
	}
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(dsn, p) {
			path = strings.TrimPrefix(dsn, p)
			if i := strings.IndexByte(path, '?'); i >= 0 {
				path = path[:i]
			}
			return path, path != ""
		}
	}
	if strings.Contains(dsn, "://") {
		return "", false
	}
	return dsn, dsn != ""
}

// Open opens (creating if needed) the database file at path and applies any
// pending migrations.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	if err := createPrivate(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create sqlite database %s: %w", path, err)
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=cache_size(-65536)"
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	w, err := sql.Open("sqlite", base+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite writer %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, log: log}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, explainOpen(path, err)
	}
	if err := s.stmts.prepare(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"?"+pragmas+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	return s, nil
}

// explainOpen adds to an error opening the database at path what to check
// when SQLite could not open or write it: most often the file, or its
// directory (where SQLite keeps the -wal and -shm files), belongs to
// another user, as after a restore done as root.
func explainOpen(path string, err error) error {
	const cantOpen, readOnly = 14, 8 // SQLITE_CANTOPEN, SQLITE_READONLY
	var se interface{ Code() int }
	if !errors.As(err, &se) {
		return err
	}
	if code := se.Code() & 0xff; code != cantOpen && code != readOnly { // the primary code
		return err
	}
	return fmt.Errorf("sqlite database %s: %w: check that the user the portal runs as may read and write the file, "+
		"and write its directory (SQLite keeps its -wal and -shm files beside it)", path, err)
}

// createPrivate creates an empty file at path that only its owner may read
// (fs.ErrExist if there is one). The database holds the server secret and
// citizens' contact details, and SQLite gives its -wal and -shm files the
// database file's permissions, whatever the umask.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

// Ping checks that both pools answer.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	s.stmts.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Secret returns the server secret, creating it on first use.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	if _, err := s.w.ExecContext(ctx,
		`INSERT INTO settings (key, value) VALUES ('secret', ?) ON CONFLICT (key) DO NOTHING`, b[:]); err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	var secret []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'secret'`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	return secret, nil
}

// CheckSecret records fingerprint on first use and refuses another one
// later (store.ErrSecretChanged). See store.Store.
func (s *Store) CheckSecret(ctx context.Context, fingerprint []byte) error {
	if _, err := s.w.ExecContext(ctx,
		`INSERT INTO settings (key, value) VALUES ('secret_fingerprint', ?) ON CONFLICT (key) DO NOTHING`, fingerprint); err != nil {
		return fmt.Errorf("record secret fingerprint: %w", err)
	}
	var recorded []byte
	if err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'secret_fingerprint'`).Scan(&recorded); err != nil {
		return fmt.Errorf("read secret fingerprint: %w", err)
	}
	if !bytes.Equal(recorded, fingerprint) {
		return store.ErrSecretChanged
	}
	return nil
}

// Stats adds up the writer's and the readers' pools.
func (s *Store) Stats() store.PoolStats {
	w, r := s.w.Stats(), s.r.Stats()
	return store.PoolStats{
		Open: w.OpenConnections + r.OpenConnections, InUse: w.InUse + r.InUse, Idle: w.Idle + r.Idle,
		Max:       w.MaxOpenConnections + r.MaxOpenConnections,
		WaitCount: w.WaitCount + r.WaitCount, WaitDuration: w.WaitDuration + r.WaitDuration,
	}
}
