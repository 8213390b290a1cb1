package sqlite_test

import (
	"context"
	"log/slog"
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
	s, err := sqlite.Open(ctx, filepath.Join(dir, "live.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := storetest.Campaign("backup")
	if err := s.CreateCampaign(ctx, c); err != nil {
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
	err = s.Backup(ctx, path)
	stop.Store(true)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, path); err == nil {
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
