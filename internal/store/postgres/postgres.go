// Package postgres is the PostgreSQL backend of the store, on pgx v5 and
// pgxpool. Several stateless instances may share one database: batches of
// one campaign are ordered by a row lock on its sequence row, so numbers
// stay gap-free and unique across instances.
package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/store"
)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool   *pgxpool.Pool
	writer *pgxpool.Pool // CommitBatch's own connection (see writerConfig)
	log    *slog.Logger
	jobs   *river.Client[pgx.Tx]
}

var _ store.Store = (*Store)(nil)

// IsURL reports whether dsn names a PostgreSQL database.
func IsURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Options tune the connection pool.
type Options struct {
	MaxConns int32 // default: pgxpool's (max(4, CPUs)); CommitBatch has one more of its own
	Migrate  bool  // apply pending migrations on open (else refuse a database that lacks some)
	// Name is the connections' application_name, which pg_stat_activity
	// shows, unless the URL sets one.
	Name string
}

// Open connects to the database at url (a postgres:// URL; pgx settings such
// as default_query_exec_mode or search_path may be given as parameters) and,
// if asked, applies pending migrations; if not, it checks that they have
// been applied (an error wrapping ErrNotMigrated if not).
func Open(ctx context.Context, url string, log *slog.Logger, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres config: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if _, set := cfg.ConnConfig.RuntimeParams["application_name"]; !set && opts.Name != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = opts.Name
	}
	if cfg.ConnConfig.ConnectTimeout == 0 || cfg.ConnConfig.ConnectTimeout > 2*time.Second {
		// A database that is away must turn into a quick 503, not a hang.
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", err)
	}
	writer, err := pgxpool.NewWithConfig(ctx, writerConfig(cfg))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres writer pool: %w", err)
	}
	s := &Store{pool: pool, writer: writer, log: log}
	check := s.checkMigrated
	if opts.Migrate {
		check = s.Migrate
	}
	if err := check(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// writerConfig returns the configuration of CommitBatch's pool, made from
// the store's. It has one connection, since the intake commits one batch at
// a time.
//
// A batch's statements go in pipelines, which run in the connection's
// default mode. Where that mode would cache prepared statements, the writer
// caches only their descriptions, so that insertFresh and insertPendingSQL
// are planned for each batch: a cached generic plan made while a campaign's
// partition was small would stay in use long after it has grown, since
// nothing analyses the table meanwhile. Made at about 150 pledges, it probes
// by the primary key's campaign_id alone and reads the whole campaign for
// each row (see plan_test.go). The statements that read no pledges, whose
// plans cannot go wrong that way, are prepared on connecting instead, and
// the pipelines run them by name.
func writerConfig(cfg *pgxpool.Config) *pgxpool.Config {
	w := cfg.Copy()
	w.MaxConns = 1
	w.MinConns, w.MinIdleConns = 0, 0
	if w.ConnConfig.DefaultQueryExecMode != pgx.QueryExecModeCacheStatement {
		return w // no prepared statements: e.g. behind PgBouncer
	}
	w.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	after := w.AfterConnect
	w.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if after != nil {
			if err := after(ctx, c); err != nil {
				return err
			}
		}
		for _, sql := range []string{lockSeq, advanceSeq, addCounts, addMinutes} {
			if _, err := c.Prepare(ctx, sql, sql); err != nil {
				return fmt.Errorf("prepare batch statement: %w", err)
			}
		}
		return nil
	}
	return w
}

// Ping checks that the database answers. It also opens the intake's
// connection when that has none (at start, or after a failed batch closed
// it), so that a batch does not wait for one; it never waits for the
// connection while a batch has it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	if s.writer.Stat().TotalConns() == 0 {
		if err := s.writer.Ping(ctx); err != nil {
			return fmt.Errorf("ping postgres (intake connection): %w", err)
		}
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	s.writer.Close()
	s.pool.Close()
	return nil
}

// Secret returns the server secret, creating it on first use. Instances
// starting together agree: the loser of the insert reads the winner's secret
// in a statement of its own, which sees the committed row.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING`, b[:]); err != nil {
		return nil, fmt.Errorf("create secret: %w", err)
	}
	var secret []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'secret'`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	return secret, nil
}

// CheckSecret records fingerprint on first use and refuses another one
// later (store.ErrSecretChanged). See store.Store. Instances starting
// together agree: the losers of the insert read the winner's fingerprint
// in a statement of their own.
func (s *Store) CheckSecret(ctx context.Context, fingerprint []byte) error {
	if _, err := s.pool.Exec(ctx,
		`INSERT INTO settings (key, value) VALUES ('secret_fingerprint', $1) ON CONFLICT (key) DO NOTHING`, fingerprint); err != nil {
		return fmt.Errorf("record secret fingerprint: %w", err)
	}
	var recorded []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = 'secret_fingerprint'`).Scan(&recorded); err != nil {
		return fmt.Errorf("read secret fingerprint: %w", err)
	}
	if !bytes.Equal(recorded, fingerprint) {
		return store.ErrSecretChanged
	}
	return nil
}

// Stats returns pgxpool's figures for both pools together.
func (s *Store) Stats() store.PoolStats {
	var ps store.PoolStats
	for _, p := range []*pgxpool.Pool{s.pool, s.writer} {
		st := p.Stat()
		ps.Open += int(st.TotalConns())
		ps.InUse += int(st.AcquiredConns())
		ps.Idle += int(st.IdleConns())
		ps.Max += int(st.MaxConns())
		ps.WaitCount += st.EmptyAcquireCount()
		ps.WaitDuration += st.EmptyAcquireWaitTime()
	}
	return ps
}
