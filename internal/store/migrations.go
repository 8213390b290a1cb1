package store

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered, forward-only schema change of a backend.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations reads the *.sql files at the root of fsys, each named
// "<number>_<what>.sql", in the order of their numbers.
func Migrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number: %w", name, err)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: version, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share number %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// ErrMigratedByNewer means the database records a migration this binary
// does not have: a newer release migrated it, and this one does not know
// its schema.
var ErrMigratedByNewer = errors.New("the database was migrated by a newer build than this one")

// CheckNotNewer returns an error wrapping ErrMigratedByNewer, naming both
// migrations, when newest (the highest migration the database records) is
// past the last of list (this binary's migrations). The commands that
// open a database refuse one a newer release has migrated: this binary
// does not know what the newer migrations changed, and what it writes
// there may not be what the newer release expects.
func CheckNotNewer(newest int, list []Migration) error {
	if len(list) == 0 || newest <= list[len(list)-1].Version {
		return nil
	}
	last := list[len(list)-1]
	return fmt.Errorf("%w: its newest migration is %d, this binary's newest is %d (%s); "+
		"run the newer release on it, or restore a backup taken before it was migrated",
		ErrMigratedByNewer, newest, last.Version, last.Name)
}
