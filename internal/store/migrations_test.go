package store_test

import (
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
