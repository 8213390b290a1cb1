package store

import (
	"fmt"
	"io/fs"
	"log/slog"
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

// WarnIfNewer logs a warning when the database records a migration newer
// than the last of list: a newer build migrated it (a rolling upgrade under
// way, or a build rolled back). This build runs on it, since migrations
// leave the previous build working, but the operator should know.
func WarnIfNewer(log *slog.Logger, newest int, list []Migration) {
	if len(list) > 0 && newest > list[len(list)-1].Version {
		log.Warn("the database was migrated by a newer build than this one",
			"database_migration", newest, "build_migration", list[len(list)-1].Version)
	}
}
