package dbcopy

import (
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// notCopied are the tables of the schema the copy leaves behind: sessions
// (officers log in again), the migrations' record (the target has its
// own) and River's job tables (see source.unfinishedJobs).
func notCopied(name string) bool {
	return name == "sessions" || name == "schema_migrations" || name == "sqlite_sequence" || strings.HasPrefix(name, "river_")
}

// TestTablesCoverSchema: every table of both schemas is copied or left
// behind on purpose, and each copied table lists exactly the columns both
// schemas give it, so a migration that adds one cannot go uncopied.
func TestTablesCoverSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	want := map[string][]string{}
	for _, tb := range tables() {
		want[tb.name] = slices.Sorted(slices.Values(tb.names()))
	}

	path := filepath.Join(t.TempDir(), "pledge.db")
	s, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	src, err := openSource(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	lite := map[string][]string{}
	rows, err := src.tx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		lite[table] = append(lite[table], col)
	}
	rows.Close()

	url := pgtest.New(t, nil)
	ps, err := postgres.Open(ctx, url, slog.New(slog.DiscardHandler), postgres.Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	ps.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pg := map[string][]string{}
	prows, err := conn.Query(ctx, `SELECT c.relname, a.attname FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var table, col string
		if err := prows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		pg[table] = append(pg[table], col)
	}
	prows.Close()

	for backend, schema := range map[string]map[string][]string{"SQLite": lite, "PostgreSQL": pg} {
		for table, cols := range schema {
			if notCopied(table) {
				continue
			}
			slices.Sort(cols)
			if w, ok := want[table]; !ok {
				t.Errorf("%s table %s is not copied", backend, table)
			} else if !slices.Equal(w, cols) {
				t.Errorf("%s table %s has columns %v; the copy takes %v", backend, table, cols, w)
			}
		}
		for table := range want {
			if _, ok := schema[table]; !ok {
				t.Errorf("the copy takes table %s, which %s lacks", table, backend)
			}
		}
	}
}
