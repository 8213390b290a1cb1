package sqlite_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestBackupWhileWriting: a backup taken while batches commit is a
// consistent database of its own: rows, numbers and counts agree, and it
// holds every pledge committed before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	livePath := filepath.Join(dir, "live.db")
	s, err := sqlite.Open(ctx, livePath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storetest.Campaign("backup")
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	h := pledge.NewHasher([]byte("k"))
	commit := func(from, n int) {
		subs := make([]pledge.Submission, n)
		for i := range subs {
			subs[i] = storetest.Submission(h, c.ID, from+i, storetest.Leaves[i%3])
		}
		if _, err := s.CommitBatch(ctx, subs); err != nil {
			t.Error(err)
		}
	}
	commit(1, 500)
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; !stop.Load(); i++ {
			commit(1000*i, 50)
		}
	}()
	path := filepath.Join(dir, "copy.db")
	err = sqlite.Backup(ctx, livePath, path)
	stop.Store(true)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Backup(ctx, livePath, path); err == nil {
		t.Error("a second backup overwrote the first")
	}
	b, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := b.Audit(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Consistent() || a.Rows < 500 {
		t.Errorf("backup audit %+v: want consistent with at least 500 rows", a)
	}
	live, err := s.Audit(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Rows > live.Rows {
		t.Errorf("backup has %d rows, more than the live %d", a.Rows, live.Rows)
	}
}

// TestBackupOfNoDatabase: a backup pointed at a file that does not exist,
// or at one that is not the portal's, fails and creates nothing.
func TestBackupOfNoDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing, dst := filepath.Join(dir, "typo.db"), filepath.Join(dir, "copy.db")
	if err := sqlite.Backup(ctx, missing, dst); err == nil {
		t.Error("a backup of a missing database succeeded")
	}
	for _, p := range []string{missing, dst} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, nil, 0o600); err != nil { // an empty file is an empty SQLite database
		t.Fatal(err)
	}
	if err := sqlite.Backup(ctx, other, dst); err == nil {
		t.Error("a backup of a database without the portal's tables succeeded")
	}
	if _, err := os.Stat(dst); err == nil {
		t.Errorf("%s was written", dst)
	}
}
