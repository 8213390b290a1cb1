package sqlite

import (
	"context"
	"fmt"
	"time"

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

// JobBacklog returns the jobs due and not taken, per queue. See
// store.Store.
func (s *Store) JobBacklog(ctx context.Context) ([]store.Backlog, error) {
	// River keeps times here as UTC text that julianday reads.
	rows, err := s.r.QueryContext(ctx, `SELECT queue, count(*), (julianday('now') - julianday(min(scheduled_at))) * 86400
		FROM river_job WHERE state IN ('available', 'retryable', 'scheduled') AND julianday(scheduled_at) <= julianday('now')
		GROUP BY queue ORDER BY queue`)
	if err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	defer rows.Close()
	var out []store.Backlog
	for rows.Next() {
		var b store.Backlog
		var secs float64
		if err := rows.Scan(&b.Queue, &b.Jobs, &secs); err != nil {
			return nil, fmt.Errorf("job backlog: %w", err)
		}
		b.Oldest = time.Duration(max(secs, 0) * float64(time.Second))
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	return out, nil
}
