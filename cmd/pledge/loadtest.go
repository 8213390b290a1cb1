package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/pledgeportal/pledge/internal/loadtest"
)

// runLoadtest sends pledges (or, with --hello, plain GETs) at a fixed rate
// or a ramp, shows progress on a terminal, and reports throughput, latency,
// status counts and whether the stored count moved by the accepted pledges.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadtest.ParseArgs(args, stderr, demoSlug)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return usageError{err} // a flag, an argument or a setting that cannot work
	}
	// The generator shares the machine with what it measures: collecting
	// garbage a quarter as often leaves the portal more of the CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil && rep.Requests == 0 {
		return err // nothing was sent (the campaign could not be read, say): no report to give
	}
	if werr := rep.WriteText(stdout); werr != nil && err == nil {
		err = werr
	}
	fmt.Fprintln(stdout, rep.ResultLine())
	if err == nil && !cfg.Hello && !rep.CountMatches {
		// The consistency check is the point of the run: a mismatch fails it.
		err = fmt.Errorf("loadtest: the portal's stats moved by %d, but %d pledges were acknowledged",
			rep.StoredAfter-rep.StoredBefore, rep.Success)
	}
	return err
}
