package loadtest

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// ParseArgs parses the flags of `pledge loadtest` into a Config. Flag
// errors and -h output go to stderr; -h returns flag.ErrHelp. campaign is
// the default campaign slug.
//
// Progress lines go to stderr when --progress is given, or when it is not
// given and stderr is a terminal; --progress=false turns them off.
func ParseArgs(args []string, stderr io.Writer, campaign string) (Config, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:8080", "base URL of the portal (one instance or nginx)")
	fs.StringVar(&cfg.Campaign, "campaign", campaign, "campaign slug")
	fs.IntVar(&cfg.Rate, "rate", 1000, "requests per second (with --ramp-to: at the start)")
	fs.IntVar(&cfg.RampTo, "ramp-to", 0, "ramp the rate linearly from --rate to this many requests per second over --duration (0: fixed rate)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.Float64Var(&cfg.Repeat, "repeat", 0, "share of requests, 0 to <1, that repeat an earlier request's number and expect 409")
	fs.Uint64Var(&cfg.Workers, "workers", DefaultWorkers, "initial concurrent workers of vegeta's attacker (https targets; systems other than Linux)")
	fs.Uint64Var(&cfg.MaxWorkers, "max-workers", DefaultMaxWorkers, "most requests in flight at once, one per connection")
	fs.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "time limit of one request")
	fs.BoolVar(&cfg.Hello, "hello", false, "reference mode: plain GET / against a hello-world server")
	fs.Int64Var(&cfg.Seed, "seed", time.Now().Unix(), "selects the block of mobile numbers, so runs do not collide, and the names, regions and repeats")
	progress := fs.Bool("progress", false, "print a progress line every second to stderr (default: only if stderr is a terminal)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: pledge loadtest [flags]

Sends unique pledges to a campaign at a fixed rate (or a ramp), then checks
that its public count moved by exactly the number acknowledged. Prints a
report and a RESULT line; exits non-zero if the counts disagree.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("loadtest: unexpected argument %q", fs.Arg(0))
	}
	if _, err := cfg.withDefaults(); err != nil {
		return cfg, err // a setting that cannot work: refused before anything is sent
	}
	show := IsTerminal(stderr)
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "progress" {
			show = *progress
		}
	})
	if show {
		cfg.Progress = stderr
	}
	return cfg, nil
}

// IsTerminal reports whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
