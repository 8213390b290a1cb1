package store_test

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/pledgeportal/pledge/internal/store"
)

func TestMigrationsOrderedByNumber(t *testing.T) {
	list, err := store.Migrations(fstest.MapFS{
		"0010_later.sql": {Data: []byte("B")},
		"0002_first.sql": {Data: []byte("A")},
		"README.md":      {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Version != 2 || list[0].SQL != "A" || list[1].Version != 10 {
		t.Fatalf("Migrations() = %+v, want 2 then 10", list)
	}
}

func TestMigrationsRefuseBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no number":    {"init.sql": {}},
		"same numbers": {"0001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := store.Migrations(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckNotNewer(t *testing.T) {
	list := []store.Migration{{Version: 1, Name: "0001_init.sql"}, {Version: 12, Name: "0012_withdrawn.sql"}}
	for _, newest := range []int{0, 1, 12} {
		if err := store.CheckNotNewer(newest, list); err != nil {
			t.Errorf("CheckNotNewer(%d) = %v, want nil", newest, err)
		}
	}
	err := store.CheckNotNewer(13, list)
	want := "the database was migrated by a newer build than this one: its newest migration is 13, " +
		"this binary's newest is 12 (0012_withdrawn.sql); run the newer release on it, or restore a backup taken before it was migrated"
	if !errors.Is(err, store.ErrMigratedByNewer) || err.Error() != want {
		t.Errorf("CheckNotNewer(13) = %v\nwant %s", err, want)
	}
}
