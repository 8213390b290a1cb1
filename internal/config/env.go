package config

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
)

// EnvNames returns the environment variables the configuration reads, in
// the order Bind reads them.
func EnvNames() []string {
	var names []string
	var c Config
	c.Bind(flag.NewFlagSet("names", flag.ContinueOnError), func(name string) string {
		names = append(names, name)
		return ""
	})
	return names
}

// settingNames returns what messages call the setting of a flag: the flag
// and its variable, "--queue (PLEDGE_QUEUE_SIZE)", as either may be where
// it was set.
func settingNames() func(flag string) string {
	fs := flag.NewFlagSet("names", flag.ContinueOnError)
	var c Config
	c.Bind(fs, func(string) string { return "" })
	return func(name string) string {
		f := fs.Lookup(name)
		if f == nil {
			return name
		}
		if i := strings.LastIndex(f.Usage, "(PLEDGE_"); i >= 0 {
			return "--" + name + " " + f.Usage[i:]
		}
		return "--" + name
	}
}

// CheckEnv refuses an environment (os.Environ's "NAME=value" entries) that
// sets a PLEDGE_* variable the configuration does not read, a misspelling
// that would otherwise be ignored (PLEDGE_DATABSE_URL and the portal runs
// on a new local database), or sets PLEDGE_DATABASE_URL empty, which would
// do the same. PLEDGE_TEST_* variables are the tests' own.
func CheckEnv(environ []string) error {
	known := EnvNames()
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case !strings.HasPrefix(name, "PLEDGE_") || strings.HasPrefix(name, "PLEDGE_TEST_"):
		case !slices.Contains(known, name):
			err := fmt.Errorf("%s is not a setting", name)
			if near := nearest(name, known); near != "" {
				err = fmt.Errorf("%w: did you mean %s?", err, near)
			}
			errs = append(errs, err)
		case name == "PLEDGE_DATABASE_URL" && strings.TrimSpace(value) == "":
			errs = append(errs, errors.New("PLEDGE_DATABASE_URL is set but empty: name the database, or unset it for ./pledge.db"))
		}
	}
	return errors.Join(errs...)
}

// nearest is the name among names closest to name in edits, if it takes
// at most three; else "".
func nearest(name string, names []string) string {
	best, bestD := "", 4
	for _, n := range names {
		if d := distance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
