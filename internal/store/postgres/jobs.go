package postgres

import (
	"context"
	"fmt"

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
