package sqlite

import (
	"context"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path while the portal
// keeps running: SQLite's VACUUM INTO reads one snapshot (WAL lets writers
// go on meanwhile) and writes a compact file. path must not exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists already", path)
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	// query_only forbids VACUUM INTO on the read pool's connections; lift
	// it on this one for the statement. It writes only to path.
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = OFF`); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA query_only = ON`)
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
