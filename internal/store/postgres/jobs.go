package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/pledgeportal/pledge/internal/store"
)

// Jobs creates River's client over the pool. See store.Store.
func (s *Store) Jobs(cfg *river.Config) (store.JobClient, error) {
	c, jc, err := store.NewJobClient(riverpgxv5.New(s.pool), cfg)
	if err != nil {
		return nil, err
	}
	s.jobs = c
	return jc, nil
}

// EnqueueJobs inserts jobs in a transaction of their own. See store.Store.
func (s *Store) EnqueueJobs(ctx context.Context, params []river.InsertManyParams) error {
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return store.Enqueue(ctx, s.jobs, tx, params)
	}); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

// migrateRiver applies River's own migrations.
func (s *Store) migrateRiver(ctx context.Context) error {
	return store.MigrateJobs(ctx, riverpgxv5.New(s.pool), s.log)
}

// JobBacklog returns the jobs due and not taken, per queue. See
// store.Store.
func (s *Store) JobBacklog(ctx context.Context) ([]store.Backlog, error) {
	rows, err := s.pool.Query(ctx, `SELECT queue, count(*), extract(epoch FROM now() - min(scheduled_at))::float8
		FROM river_job WHERE state IN ('available', 'retryable', 'scheduled') AND scheduled_at <= now() GROUP BY queue ORDER BY queue`)
	if err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	var out []store.Backlog
	var b store.Backlog
	var secs float64
	_, err = pgx.ForEachRow(rows, []any{&b.Queue, &b.Jobs, &secs}, func() error {
		b.Oldest = time.Duration(max(secs, 0) * float64(time.Second))
		out = append(out, b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("job backlog: %w", err)
	}
	return out, nil
}
