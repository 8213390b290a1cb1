package config

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestConfigurationDocumented: docs/configuration.md has one row per flag,
// naming its variable and default exactly as the code does, and no row for
// a flag that no longer exists.
func TestConfigurationDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // flag -> row
	row := regexp.MustCompile("^\\| `--([a-z-]+)` \\|")
	for _, line := range strings.Split(string(b), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.Bind(fs, func(string) string { return "" })
	env := regexp.MustCompile(`\((PLEDGE_[A-Z_]+)\)$`)
	fs.VisitAll(func(f *flag.Flag) {
		line, ok := rows[f.Name]
		if !ok {
			t.Errorf("--%s is not documented", f.Name)
			return
		}
		delete(rows, f.Name)
		m := env.FindStringSubmatch(f.Usage)
		if m == nil {
			t.Errorf("--%s names no PLEDGE_ variable in its usage %q", f.Name, f.Usage)
			return
		}
		if !strings.Contains(line, "`"+m[1]+"`") {
			t.Errorf("--%s: the row does not name %s: %s", f.Name, m[1], line)
		}
		def := "—"
		if f.DefValue != "" {
			def = "`" + f.DefValue + "`"
		}
		if cells := strings.Split(line, "|"); len(cells) < 4 || strings.TrimSpace(cells[3]) != def {
			t.Errorf("--%s: default should read %s: %s", f.Name, def, line)
		}
	})
	for name := range rows {
		t.Errorf("--%s is documented but does not exist", name)
	}
}
