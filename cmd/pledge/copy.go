package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/dbcopy"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

const copyAbout = `Usage: pledge copy --from pledge.db --to postgres://… [--drop-unsent-mail]

Copies the SQLite database of a stopped portal into a new PostgreSQL database,
to run several instances on it: the server secret, campaigns, pledges, pending
pledges, counts and certificate numbers, invalidations, admin accounts and the
audit log, in one transaction, checked against the source before it commits.
Sessions are not copied: officers log in again.

The SQLite database must be at this build's migration (pledge migrate --db
pledge.db) and have no mail left to send (run pledge worker until its queue is
empty). The PostgreSQL database must have been prepared by pledge migrate and
hold nothing yet. A refused copy writes nothing. Give the password with
PGPASSWORD or ~/.pgpass rather than in the URL. See docs/operations.md.
`

// runCopy is `pledge copy`: a SQLite database into a new PostgreSQL one.
func runCopy(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// Only the log settings of serve's configuration (PLEDGE_LOG_*) apply,
	// and only they are checked: a bad value of another setting does not
	// stop the copy. Misspelt PLEDGE_* names are refused before
	// (config.CheckEnv, in run).
	cfg, cfgErr := copyConfig(getenv)
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from, to string
	var drop bool
	fs.StringVar(&from, "from", "", "the SQLite database to copy: a file path or sqlite: URL")
	fs.StringVar(&to, "to", "", "the PostgreSQL database to fill: a postgres:// URL")
	fs.BoolVar(&drop, "drop-unsent-mail", false, "copy even though mail jobs are not done, losing them")
	fs.Usage = func() {
		fmt.Fprint(stderr, copyAbout+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return usageError{err}
	}
	if err := noArgs("copy", fs); err != nil {
		return err
	}
	if cfgErr != nil {
		return fmt.Errorf("configuration: %w", cfgErr)
	}
	path, ok := sqlite.Path(from)
	if from == "" || to == "" {
		fs.Usage()
		return usagef("copy: give both --from (the SQLite file) and --to (the postgres:// URL)")
	}
	if !ok {
		return usagef("copy: --from %s is not a SQLite database", config.Config{Database: from}.DatabaseForLog())
	}
	shown := config.Config{Database: to}.DatabaseForLog()
	if !postgres.IsURL(to) {
		return usagef("copy: --to %s is not a postgres:// URL", shown)
	}
	log := newLogger(cfg, stderr)
	rep, err := dbcopy.Copy(ctx, dbcopy.Options{From: path, To: to, DropUnsentMail: drop, Log: log})
	if err != nil {
		log.Error("copy failed", "err", err)
		return loggedError{err}
	}
	var pledges int64
	for _, t := range rep.Tables {
		if t.Table == "pledges" {
			pledges = t.Rows
		}
	}
	log.Info("copy done", "from", path, "to", shown, "campaigns", rep.Campaigns, "pledges", pledges,
		"unsent_mail_dropped", rep.DroppedJobs, "took", rep.Took.String())
	fmt.Fprintf(stdout, "copied %s into %s: %d campaigns and %d pledges, checked; start the portal on it (officers log in again)\n",
		path, shown, rep.Campaigns, pledges)
	return nil
}

// copyConfig reads the settings copy uses, PLEDGE_LOG_LEVEL and
// PLEDGE_LOG_FORMAT, with serve's defaults.
func copyConfig(getenv func(string) string) (config.Config, error) {
	cfg := config.Default()
	var errs []error
	if v := getenv("PLEDGE_LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Errorf("PLEDGE_LOG_LEVEL: %w", err))
		}
	}
	if v := getenv("PLEDGE_LOG_FORMAT"); v != "" {
		cfg.LogFormat = v
	}
	if cfg.LogFormat != "json" && cfg.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("PLEDGE_LOG_FORMAT %q: want json or text", cfg.LogFormat))
	}
	return cfg, errors.Join(errs...)
}
