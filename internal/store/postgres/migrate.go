package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pledgeportal/pledge/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that keeps instances starting
// together from migrating at once.
const migrationLock = 7_221_000_001

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
	dir, _ := fs.Sub(migrations, "migrations")
	list, err := store.Migrations(dir)
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
	// River's migrations run on other connections of the pool, each in its
	// own transaction (some cannot share one), while this one holds the lock.
	return s.migrateRiver(ctx)
}
