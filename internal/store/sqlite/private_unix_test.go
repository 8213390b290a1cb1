//go:build unix

package sqlite_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestFilesArePrivate: the database, its write-ahead log and a backup are
// readable by their owner only, whatever the umask: they hold the server
// secret and citizens' contact details.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022) // a login shell's or cron's
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "pledge.db")
	s, err := sqlite.Open(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateCampaign(ctx, storetest.Campaign("vote"), nil); err != nil { // a write, so the WAL exists
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "copy.db")
	if err := sqlite.Backup(ctx, db, backup); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Backup(ctx, db, backup); err == nil {
		t.Error("a backup over an existing file succeeded")
	}
	for _, p := range []string{db, db + "-wal", db + "-shm", backup} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), mode)
		}
	}
}
