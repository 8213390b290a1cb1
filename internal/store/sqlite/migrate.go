package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pledgeportal/pledge/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns this build's migrations of the SQLite schema, in the
// order of their numbers.
func Migrations() ([]store.Migration, error) {
	dir, _ := fs.Sub(migrations, "migrations")
	return store.Migrations(dir)
}

// migrate applies the embedded migrations not applied yet, each in its own
// transaction, in the order of their numbers. Migrations only go forward.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	list, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range list {
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	var newest int
	if err := s.w.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&newest); err == nil {
		store.WarnIfNewer(s.log, newest, list)
	}
	return s.migrateRiver(ctx)
}

func (s *Store) apply(ctx context.Context, m store.Migration) error {
	version, name := m.Version, m.Name
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %d: %w", version, err)
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&done); err != nil {
		return fmt.Errorf("check migration %d: %w", version, err)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("record migration %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %d: %w", version, err)
	}
	s.log.Info("applied migration", "version", version, "name", name)
	return nil
}
