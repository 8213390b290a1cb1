package sqlite

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/pledgeportal/pledge/internal/store"
)

// Jobs creates River's client over the writer connection. River shares it
// with intake: SQLite takes one writer at a time, and sharing the one
// connection queues River's writes behind a batch instead of making either
// wait on the file lock. See store.Store.
func (s *Store) Jobs(cfg *river.Config) (store.JobClient, error) {
	c, jc, err := store.NewJobClient(riversqlite.New(s.w), cfg)
	if err != nil {
		return nil, err
	}
	s.jobs = c
	return jc, nil
}

// EnqueueJobs inserts jobs in a transaction of their own. See store.Store.
func (s *Store) EnqueueJobs(ctx context.Context, params []river.InsertManyParams) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin enqueue: %w", err)
	}
	defer tx.Rollback()
	if err := store.Enqueue(ctx, s.jobs, tx, params); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit enqueue: %w", err)
	}
	return nil
}

// migrateRiver applies River's own migrations.
func (s *Store) migrateRiver(ctx context.Context) error {
	return store.MigrateJobs(ctx, riversqlite.New(s.w), s.log)
}
