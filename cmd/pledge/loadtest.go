package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pledgeportal/pledge/internal/loadtest"
)

// runLoadtest sends pledges (or, with --hello, plain GETs) at a fixed rate and
// reports throughput, latency and whether the stored count matches.
func runLoadtest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadtest.Config
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:8080", "base URL of the portal")
	fs.StringVar(&cfg.Campaign, "campaign", demoSlug, "campaign slug")
	fs.IntVar(&cfg.Rate, "rate", 1000, "requests per second")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.Uint64Var(&cfg.Workers, "workers", loadtest.DefaultWorkers, "initial concurrent workers")
	fs.BoolVar(&cfg.Hello, "hello", false, "reference mode: plain GET / against a hello-world server")
	fs.Int64Var(&cfg.Seed, "seed", time.Now().Unix(), "selects the block of mobile numbers, so runs do not collide")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	rep, err := loadtest.Run(ctx, cfg)
	if werr := rep.WriteText(stdout); werr != nil && err == nil {
		err = werr
	}
	fmt.Fprintln(stdout, rep.ResultLine())
	return err
}
