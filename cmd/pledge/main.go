// Command pledge runs the Pledge Portal: `pledge serve` starts it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGHUP (the terminal closed) stops it as SIGTERM does, draining, rather
	// than killing it where it stands.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a command line that cannot work: an unknown command or
// flag, or an argument a command does not take.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with the message format makes.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// loggedError is an error the command's logger has written already.
type loggedError struct{ err error }

func (e loggedError) Error() string { return e.err.Error() }
func (e loggedError) Unwrap() error { return e.err }

// exitCode is the exit status for run's err: 0 for none, 2 for a command
// line that cannot work (as the flag package has it), 1 for any other. It
// writes err to stderr unless a logger has written it already.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if !errors.As(err, new(loggedError)) {
		fmt.Fprintln(stderr, "pledge:", err)
	}
	if errors.As(err, new(usageError)) {
		return 2
	}
	return 1
}
