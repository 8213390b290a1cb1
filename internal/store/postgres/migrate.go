package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pledgeportal/pledge/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotMigrated means the database lacks migrations this binary has: Open
// without Options.Migrate refuses it, rather than failing later on a
// missing table or column.
var ErrNotMigrated = errors.New("database not migrated")

// migrationLock is the advisory lock key that keeps instances starting
// together from migrating at once.
const migrationLock = 7_221_000_001

// Migrations are this build's PostgreSQL migrations, in order.
func Migrations() ([]store.Migration, error) {
	dir, _ := fs.Sub(migrations, "migrations")
	return store.Migrations(dir)
}

// Migrate applies the embedded migrations not applied yet, in the order of
// their numbers, each in its own transaction. Migrations only go forward.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	list, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range list {
		version, name := m.Version, m.Name
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("begin migration %d: %w", version, err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("check migration %d: %w", version, err)
		}
		if done {
			tx.Rollback(ctx)
			continue
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("record migration %d: %w", version, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit migration %d: %w", version, err)
		}
		s.log.Info("applied migration", "version", version, "name", name)
	}
	s.warnIfNewer(ctx, list)
	// River's migrations run on other connections of the pool, each in its
	// own transaction (some cannot share one), while this one holds the lock.
	return s.migrateRiver(ctx)
}

// checkMigrated returns an error wrapping ErrNotMigrated when a migration
// of this binary has not been applied, as schema_migrations records them.
// A database migrated further, by a newer binary, is fine: migrations are
// written so that the previous binary keeps working.
func (s *Store) checkMigrated(ctx context.Context) error {
	list, err := Migrations()
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	var table bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&table); err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	if !table {
		return fmt.Errorf("%w: no migration has been applied to it", ErrNotMigrated)
	}
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	applied := make(map[int]bool)
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("check migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check migrations: %w", err)
	}
	var missing []string
	for _, m := range list {
		if !applied[m.Version] {
			missing = append(missing, m.Name)
		}
	}
	switch len(missing) {
	case 0:
		s.warnIfNewer(ctx, list)
		return nil
	case 1:
		return fmt.Errorf("%w: migration %s is not applied", ErrNotMigrated, missing[0])
	default:
		return fmt.Errorf("%w: migration %s and %d more are not applied", ErrNotMigrated, missing[0], len(missing)-1)
	}
}

// warnIfNewer logs when a newer build has migrated the database.
func (s *Store) warnIfNewer(ctx context.Context, list []store.Migration) {
	var newest int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err == nil {
		store.WarnIfNewer(s.log, newest, list)
	}
}
