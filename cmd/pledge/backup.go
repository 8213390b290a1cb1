package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// runBackup copies a running portal's SQLite database to a new file.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := getenv("PLEDGE_DATABASE_URL")
	if db == "" {
		db = "pledge.db"
	}
	fs.StringVar(&db, "db", db, "SQLite database to copy (PLEDGE_DATABASE_URL)")
	fs.Lookup("db").DefValue = "pledge.db" // not the environment's: it may hold a password
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: pledge backup [--db pledge.db] NEW-FILE\n\nCopies the SQLite database, consistently, while the portal runs.\nFor PostgreSQL use pg_dump (see docs/operations.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("backup: name one new file to write")
	}
	path, ok := sqlite.Path(db)
	if !ok {
		return fmt.Errorf("backup: %s is not a SQLite database; for PostgreSQL use pg_dump", config.Config{Database: db}.DatabaseForLog())
	}
	if err := sqlite.Backup(ctx, path, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", fs.Arg(0))
	return nil
}
