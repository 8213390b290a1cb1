package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// Backup writes a consistent copy of the portal's database at src to dst
// while the portal keeps running: SQLite's VACUUM INTO reads one snapshot
// (WAL lets writers go on meanwhile) and writes a compact file. dst must not
// exist; it is created readable by its owner only, as the database is. It
// neither creates src nor migrates it: a backup pointed at the
// wrong place fails rather than copying a new empty database, and one taken
// with a newer binary before an upgrade copies the database as it is.
func Backup(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", src, err)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: src}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'pledges'`).Scan(&n); err != nil {
		return fmt.Errorf("backup: read %s: %w", src, err)
	}
	if n == 0 {
		return fmt.Errorf("backup: %s holds no pledge portal database: %w", src, errors.ErrUnsupported)
	}
	// VACUUM INTO writes into an empty file, keeping its permissions.
	if err := createPrivate(dst); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s exists already", dst)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("backup to %s: %w", dst, err)
	}
	return nil
}
