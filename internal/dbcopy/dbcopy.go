// Package dbcopy copies a portal's SQLite database into a new PostgreSQL
// one, for an office that outgrows one machine: the server secret, the
// campaigns, their pledges (pending ones too), count rows and number
// sequences, the invalidations, the admin accounts and the audit log, in
// one PostgreSQL transaction, then checks the counts and numbers against
// the source before it commits.
package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
)

// Errors a refused copy wraps; nothing has been written when one is
// returned.
var (
	// ErrSource means the source is not an existing SQLite database of
	// the portal.
	ErrSource = errors.New("no SQLite database of the portal to copy")
	// ErrSourceNotMigrated means the source lacks a migration of this
	// build, or has one of a newer build.
	ErrSourceNotMigrated = errors.New("the SQLite database is not at this build's migration")
	// ErrUnsentMail means the source holds mail jobs not done yet, which
	// the copy would lose.
	ErrUnsentMail = errors.New("the SQLite database has mail not sent yet")
	// ErrTarget means the target is not a PostgreSQL database this build
	// has migrated.
	ErrTarget = errors.New("the target is not a PostgreSQL database migrated by this build")
	// ErrTargetNotEmpty means the target holds campaigns, pledges,
	// accounts or other data already.
	ErrTargetNotEmpty = errors.New("the PostgreSQL database is not empty")
	// ErrPortalRunning means a portal instance is connected to the
	// target, or holds the source; it must be stopped first.
	ErrPortalRunning = errors.New("a portal is running on the database")
	// ErrVerify means the copied counts or numbers differ from the
	// source's; the copy was rolled back.
	ErrVerify = errors.New("the copy does not match the source")
)

// Options say what to copy where.
type Options struct {
	// From is the path of the SQLite database file.
	From string
	// To is the postgres:// URL of the target database.
	To string
	// DropUnsentMail copies even when mail jobs are not done yet: they
	// are lost (logged as a warning), rather than refusing.
	DropUnsentMail bool
	// Log receives one line per table copied and per campaign verified.
	Log *slog.Logger
}

// TableRows is how many rows of one table were copied.
type TableRows struct {
	Table string
	Rows  int64
}

// Report is what a copy did.
type Report struct {
	Tables []TableRows
	// Campaigns are the campaigns verified.
	Campaigns int
	// DroppedJobs are the unfinished mail jobs left behind (only with
	// Options.DropUnsentMail).
	DroppedJobs int64
	Took        time.Duration
}

// Copy copies the SQLite database opts.From into the empty PostgreSQL
// database opts.To, in one transaction: either all of it is there,
// checked, or nothing was written.
func Copy(ctx context.Context, opts Options) (Report, error) {
	start := time.Now()
	var rep Report
	src, err := openSource(ctx, opts.From)
	if err != nil {
		return rep, err
	}
	defer src.Close()
	if err := src.checkNoLeader(ctx); err != nil {
		return rep, err
	}
	jobs, err := src.unfinishedJobs(ctx)
	if err != nil {
		return rep, err
	}
	if jobs > 0 && !opts.DropUnsentMail {
		return rep, fmt.Errorf("%w: %d mail jobs are not done: run pledge worker --db %s (or serve) until none is left, "+
			"or pass --drop-unsent-mail to copy without them", ErrUnsentMail, jobs, opts.From)
	}
	if err := checkTarget(ctx, opts.To, opts.Log); err != nil {
		return rep, err
	}
	dst, err := beginTarget(ctx, opts.To)
	if err != nil {
		return rep, err
	}
	defer dst.close(ctx)
	if err := dst.checkNotNewer(ctx, config.Config{Database: opts.To}.DatabaseForLog()); err != nil {
		return rep, err
	}
	if err := dst.checkNoPortal(ctx); err != nil {
		return rep, err
	}
	if err := dst.checkEmpty(ctx); err != nil {
		return rep, err
	}
	if rep.Tables, err = copyTables(ctx, src, dst, opts.Log); err != nil {
		return rep, err
	}
	if rep.Campaigns, err = verify(ctx, src, dst, opts.Log); err != nil {
		return rep, err
	}
	if err := dst.analyze(ctx); err != nil {
		return rep, err
	}
	if err := dst.commit(ctx); err != nil {
		return rep, err
	}
	if jobs > 0 {
		rep.DroppedJobs = jobs
		opts.Log.Warn("unsent mail was not copied", "jobs", jobs)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// copyTables copies every table, then moves the target's ID sequences past
// the copied IDs, so that new rows never take one.
func copyTables(ctx context.Context, src *source, dst *target, log *slog.Logger) ([]TableRows, error) {
	if err := dst.clearSettings(ctx); err != nil {
		return nil, err
	}
	var out []TableRows
	for _, t := range tables() {
		want, err := src.count(ctx, t.name)
		if err != nil {
			return nil, err
		}
		rows, err := src.rows(ctx, t)
		if err != nil {
			return nil, err
		}
		n, err := dst.copyFrom(ctx, t, &rowSource{t: t, rows: rows})
		rows.Close()
		if err != nil {
			return nil, err
		}
		if n != want {
			return nil, fmt.Errorf("%w: %s: copied %d rows of %d", ErrVerify, t.name, n, want)
		}
		if t.serial != "" {
			high, err := src.highestID(ctx, t)
			if err != nil {
				return nil, err
			}
			if err := dst.setSerial(ctx, t, high); err != nil {
				return nil, err
			}
		}
		log.Info("copied", "table", t.name, "rows", n)
		out = append(out, TableRows{Table: t.name, Rows: n})
	}
	return out, nil
}
