package config

import (
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCheckEnv: a misspelt PLEDGE_* variable, or an empty database, is
// refused with the name it means; known names, PLEDGE_TEST_* and other
// variables pass.
func TestCheckEnv(t *testing.T) {
	ok := [][]string{
		nil,
		{"PATH=/bin", "PLEDGE_DATABASE_URL=postgres://db/p", "PLEDGE_MIGRATE=false", "PLEDGE_TEST_REDIS_URL=x", "PLEDGE_SMTP_HOST="},
		{"PLEDGE_LOG_LEVEL=warn", "PLEDGE_JOBS_POLL_ONLY=1", "PLEDGE_DEMO=0", "PLEDGE_SECRET=0123456789abcdef0123456789abcdef"},
	}
	for _, env := range ok {
		if err := CheckEnv(env); err != nil {
			t.Errorf("CheckEnv(%q) = %v, want nil", env, err)
		}
	}
	for env, want := range map[string][]string{
		"PLEDGE_DATABSE_URL=postgres://db/p": {"PLEDGE_DATABSE_URL is not a setting", "did you mean PLEDGE_DATABASE_URL?"},
		"PLEDGE_SMTP_HOTS=mail":              {"PLEDGE_SMTP_HOTS", "did you mean PLEDGE_SMTP_HOST?"},
		"PLEDGE_COLOUR=blue":                 {"PLEDGE_COLOUR is not a setting"},
		"PLEDGE_DATABASE_URL=":               {"PLEDGE_DATABASE_URL is set but empty"},
		"PLEDGE_DATABASE_URL=  ":             {"PLEDGE_DATABASE_URL is set but empty"},
	} {
		err := CheckEnv([]string{"PATH=/bin", env})
		if err == nil {
			t.Errorf("CheckEnv(%q) = nil, want an error", env)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CheckEnv(%q) = %q, want it to say %q", env, err, w)
			}
		}
		if strings.Contains(env, "COLOUR") && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("CheckEnv(%q) = %q: suggests a name far from it", env, err)
		}
	}
}

// TestEnvNamesListsEverySetting: the variable every flag's help names is
// known, so none is refused as a misspelling.
func TestEnvNamesListsEverySetting(t *testing.T) {
	names := EnvNames()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var c Config
	c.Bind(fs, func(string) string { return "" })
	fs.VisitAll(func(f *flag.Flag) {
		m := regexp.MustCompile(`\((PLEDGE_[A-Z_]+)\)`).FindStringSubmatch(f.Usage)
		if m == nil {
			t.Errorf("flag -%s names no variable: %q", f.Name, f.Usage)
		} else if !slices.Contains(names, m[1]) {
			t.Errorf("EnvNames() lacks %s, flag -%s's", m[1], f.Name)
		}
	})
}
