package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/pledgeportal/pledge/internal/config"
)

const usage = `Usage: pledge <command> [flags]

Commands:
  serve      run the portal (default: http://localhost:8080, SQLite file ./pledge.db)
  worker     run the background jobs (mail) without the web server
  migrate    apply database migrations and exit
  backup     copy the SQLite database to a new file while the portal runs
  copy       copy a stopped portal's SQLite database into a new PostgreSQL one
  user       admin accounts: pledge user add|passwd|disable|enable|role|list
  loadtest   send pledges to a running portal at a fixed rate or a ramp, and report
  version    print the version, VCS revision and Go version of this binary

Run "pledge <command> -h" for the flags of a command. Every flag of serve,
worker and migrate can also be set with the PLEDGE_* environment variable
named in its help.
`

// run dispatches a subcommand; it is main without the process around it.
// environ is the environment, as os.Environ gives it.
func run(ctx context.Context, args []string, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	getenv := lookup(environ)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve", "migrate", "worker":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		var cfg config.Config
		envErr := cfg.Bind(fs, getenv)
		fs.Usage = func() { commandUsage(fs, stderr) }
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil
		} else if err != nil {
			return usageError{err}
		}
		if err := noArgs(cmd, fs); err != nil {
			return err
		}
		if err := errors.Join(config.CheckEnv(environ), envErr(), cfg.Validate()); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		log := newLogger(cfg, stderr)
		var err error
		switch cmd {
		case "migrate":
			err = migrate(ctx, cfg, log)
		case "worker":
			err = worker(ctx, cfg, log)
		default:
			err = serve(ctx, cfg, log)
		}
		if err != nil {
			// The process has a logger: its last word goes there too,
			// where a log collector expects every line in its format.
			log.Error(cmd+" failed", "err", err)
			return loggedError{err}
		}
		return nil
	case "user", "backup", "copy":
		if err := config.CheckEnv(environ); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		switch cmd {
		case "user":
			return runUser(ctx, args, getenv, stdin, stdout, stderr)
		case "copy":
			return runCopy(ctx, args, getenv, stdout, stderr)
		}
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "loadtest":
		return runLoadtest(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, readBuildInfo())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usagef("unknown command %q", cmd)
	}
}

// noArgs refuses, with a usage error, the arguments left after fs's flags:
// serve, worker, migrate and the user commands take none. They are named as
// logs name a database, without a password, since a database given there
// instead of with --db is the usual slip.
func noArgs(cmd string, fs *flag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	shown := make([]string, fs.NArg())
	for i, a := range fs.Args() {
		shown[i] = config.Config{Database: a}.DatabaseForLog()
	}
	return usagef("%s: unexpected arguments %q: give the database with --db or PLEDGE_DATABASE_URL; %q lists the flags",
		cmd, shown, "pledge "+cmd+" -h")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// commandHelp says what serve, worker or migrate does, and which of the
// shared flags it reads (nil: all of them).
func commandHelp(name string) (about string, flags []string) {
	switch name {
	case "worker":
		return "Runs the background jobs (mail) without the web server, against the same database as serve.",
			[]string{"db", "db-max-conns", "migrate", "secret", "base-url", "addr", "smtp-host", "smtp-port", "smtp-username",
				"smtp-password", "smtp-tls", "mail-from", "mail-retry-base", "job-rescue-after", "workers", "pending-ttl",
				"jobs-poll-only", "metrics-addr", "shutdown-timeout", "log-level", "log-format"}
	case "migrate":
		return "Applies the database's pending migrations (SQLite or PostgreSQL) and exits.",
			[]string{"db", "db-max-conns", "log-level", "log-format"}
	default:
		return "Runs the portal: the citizen pages, the API, the admin console and, with --workers, the mail jobs.", nil
	}
}

// commandUsage prints the usage of serve, worker or migrate (fs's name):
// what it does and the flags it reads.
func commandUsage(fs *flag.FlagSet, w io.Writer) {
	about, flags := commandHelp(fs.Name())
	fmt.Fprintf(w, "Usage: pledge %s [flags]\n\n%s\n\nFlags (each also a PLEDGE_* variable, named in its help):\n", fs.Name(), about)
	if flags == nil {
		fs.PrintDefaults()
		return
	}
	only := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	only.SetOutput(w)
	for _, name := range flags {
		if f := fs.Lookup(name); f != nil {
			usage := f.Usage
			if fs.Name() == "worker" && name == "metrics-addr" { // no web server to serve them otherwise
				usage = "listen address of /metrics, e.g. 127.0.0.1:9190 (empty or off: none) (PLEDGE_METRICS_ADDR)"
			}
			only.Var(f.Value, f.Name, usage)
			only.Lookup(name).DefValue = f.DefValue // the built-in default, not the environment's
		}
	}
	only.PrintDefaults()
}

// lookup is os.Getenv over environ: the value of the first entry for a
// name, as os.Getenv gives it.
func lookup(environ []string) func(string) string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			if _, seen := env[name]; !seen {
				env[name] = value
			}
		}
	}
	return func(name string) string { return env[name] }
}
