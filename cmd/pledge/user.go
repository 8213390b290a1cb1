package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

const userUsage = `Usage: pledge user <command> [flags]

Commands:
  add      --username U --role admin|viewer   add an account; the password is
                                              the first line of standard input
  passwd   --username U                       set a new password, read the same way
  disable  --username U                       stop an account from logging in
  enable   --username U                       let a disabled account log in again,
                                              with a new password read the same way
  role     --username U --role admin|viewer   change an account's role; its open
                                              sessions have the new role at once
  list                                        list the accounts

Every command takes --db (PLEDGE_DATABASE_URL), the database serve uses, and
is recorded in the audit log as done by "cli" from "local". The last enabled
admin can be neither disabled nor made a viewer: add another admin first.
`

// runUser is `pledge user ...`: admin accounts, from the server's shell.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return usagef("user: no command given")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add", "passwd", "disable", "enable", "role", "list":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, userUsage)
		return nil
	default:
		fmt.Fprint(stderr, userUsage)
		return usagef("user: unknown command %q", sub)
	}

	// The configuration as serve reads it (PLEDGE_* over the defaults); of
	// its flags, only --db is offered here.
	var cfg config.Config
	envErr := cfg.Bind(flag.NewFlagSet("config", flag.ContinueOnError), getenv)
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Database, "db", cfg.Database, "database: a file path or sqlite: URL, or a postgres:// URL (PLEDGE_DATABASE_URL)")
	fs.Lookup("db").DefValue = config.Default().Database // not the environment's: it may hold a password
	var username, role string
	if sub != "list" {
		fs.StringVar(&username, "username", "", "the account's username")
	}
	switch sub {
	case "add":
		fs.StringVar(&role, "role", string(pledge.RoleViewer), "admin (everything) or viewer (dashboards and aggregate exports only)")
	case "role":
		fs.StringVar(&role, "role", "", "the new role: admin (everything) or viewer (dashboards and aggregate exports only)")
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return usageError{err}
	}
	if err := noArgs("user "+sub, fs); err != nil {
		return err
	}
	if err := errors.Join(envErr(), cfg.Validate()); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if sub != "list" && username == "" {
		return fmt.Errorf("user %s: --username is required", sub)
	}
	if sub == "role" {
		if role == "" {
			return fmt.Errorf("user role: --role is required: %s or %s", pledge.RoleAdmin, pledge.RoleViewer)
		}
		if !pledge.Role(role).Valid() {
			return fmt.Errorf("user role: unknown role %q: want %s or %s", role, pledge.RoleAdmin, pledge.RoleViewer)
		}
	}
	var password string
	if sub == "add" || sub == "passwd" || sub == "enable" {
		var err error
		if password, err = readPassword(stdin, stderr, username); err != nil {
			return err
		}
	}

	if getenv("PLEDGE_LOG_LEVEL") == "" {
		cfg.LogLevel = slog.LevelWarn // a one-shot command: no chatter on stderr
	}
	// A wrong --db or working directory would otherwise make a new, empty
	// database that serve never reads; only add may start one.
	if path, missing := missingSQLite(cfg.Database); missing {
		if sub != "add" {
			return fmt.Errorf("user %s: %w", sub, noDatabase(path))
		}
		fmt.Fprintf(stderr, "no database at %s yet: creating it\n", path)
	}
	log := newLogger(cfg, stderr)
	s, err := openStore(ctx, cfg, "user", log)
	if err != nil {
		return err
	}
	defer s.Close()
	acc := admin.Accounts{Store: s}
	cli := admin.Who{Actor: pledge.ActorCLI, Remote: "local"} // how the audit log names the command line

	switch sub {
	case "add":
		u, err := acc.Add(ctx, cli, username, pledge.Role(role), password)
		if errors.Is(err, pledge.ErrDuplicate) {
			return fmt.Errorf("user %q already exists", username)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s %s\n", u.Role, u.Username)
	case "passwd":
		if err := noUser(username, acc.SetPassword(ctx, cli, username, password)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "changed the password of %s\n", username)
		if u, err := s.User(ctx, username); err == nil && u.Disabled {
			fmt.Fprintf(stdout, "%s is disabled and still cannot log in; \"pledge user enable\" lets it again\n", username)
		}
	case "disable":
		if err := lastAdmin(username, "disabling it", noUser(username, acc.Disable(ctx, cli, username))); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "disabled %s\n", username)
	case "enable":
		u, err := s.User(ctx, username)
		if err := noUser(username, err); err != nil {
			return err
		}
		if !u.Disabled {
			return fmt.Errorf("user %q is not disabled: nothing changed (pledge user passwd sets a new password)", username)
		}
		if err := noUser(username, acc.Enable(ctx, cli, username, password)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enabled %s, with the new password\n", username)
	case "role":
		return setRole(ctx, s, cli, username, pledge.Role(role), stdout)
	case "list":
		us, err := s.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tSTATUS\tCREATED")
		for _, u := range us {
			st := "active"
			if u.Disabled {
				st = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, st, u.CreatedAt.In(pledge.IST).Format("2006-01-02 15:04 IST")) // as the console shows times
		}
		return tw.Flush()
	}
	return nil
}

// noUser words the store's pledge.ErrNotFound for the command line.
func noUser(username string, err error) error {
	if errors.Is(err, pledge.ErrNotFound) {
		return fmt.Errorf("no user %q", username)
	}
	return err
}

// lastAdmin words store.ErrLastAdmin for the command line; change says
// what was refused ("disabling it").
func lastAdmin(username, change string, err error) error {
	if errors.Is(err, store.ErrLastAdmin) {
		return fmt.Errorf("user %q is the last enabled admin, and %s would leave no one to manage accounts and campaigns: "+
			"add another admin first (pledge user add --username NAME --role admin, or pledge user role --username NAME --role admin), "+
			"then try again; nothing changed", username, change)
	}
	return err
}

// readPassword reads the first line of in; at a terminal it asks first
// (on Linux with the echo off, so that the password is not shown, and then
// once more: a typing slip nobody saw would set a password nobody knows).
func readPassword(in io.Reader, prompt io.Writer, username string) (string, error) {
	hidden := false
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			var restore func()
			if restore, hidden = hideInput(f); hidden {
				defer restore()
				fmt.Fprintf(prompt, "Password for %s (not shown): ", username)
			} else {
				fmt.Fprintf(prompt, "Password for %s (shown as typed): ", username)
			}
		}
	}
	r := bufio.NewReader(in)
	line, err := readLine(r)
	if hidden {
		fmt.Fprint(prompt, "\nThe same again: ") // the Enter typed was not shown either
		again, againErr := readLine(r)
		fmt.Fprintln(prompt)
		if err == nil && againErr == nil && again != line {
			return "", errors.New("the two passwords typed differ: nothing was changed")
		}
		err = cmp.Or(err, againErr)
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if line == "" {
		return "", errors.New("no password: give it as the first line of standard input")
	}
	if err := admin.ValidPassword(line); err != nil {
		return "", err
	}
	return line, nil
}

// readLine reads one line from r, without its line end; the end of input
// ends the last line.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}
