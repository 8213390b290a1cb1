package config

import (
	"flag"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cfgEnv is a map-backed getenv.
func cfgEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// cfgBind binds a fresh Config to a silent flag set, parses args and
// returns the config, the environment error and the parse error.
func cfgBind(t *testing.T, env map[string]string, args ...string) (Config, error, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	envErr := c.Bind(fs, cfgEnv(env))
	perr := fs.Parse(args)
	return c, envErr(), perr
}

func TestDefaultIsValid(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if d.Addr != ":8080" || d.Database != "pledge.db" || d.LogLevel != slog.LevelInfo ||
		d.LogFormat != "json" || d.QueueSize != 4000 || d.MaxBatch != 1000 || !d.Demo ||
		d.ShutdownTimeout != 20*time.Second || d.BaseURL != "" || d.Secret != "" ||
		d.DBMaxConns != 0 || !d.Migrate {
		t.Errorf("unexpected defaults: %+v", d)
	}
}

func TestBindNothingSetGivesDefaults(t *testing.T) {
	c, envErr, perr := cfgBind(t, nil)
	if envErr != nil || perr != nil {
		t.Fatalf("errors: %v, %v", envErr, perr)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("got %+v, want defaults %+v", c, Default())
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestBindOverwritesPreviousValues(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	c := Config{Addr: "stale", QueueSize: -5}
	envErr := c.Bind(fs, cfgEnv(nil))
	if err := fs.Parse(nil); err != nil || envErr() != nil {
		t.Fatal(err, envErr())
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Bind kept earlier values: %+v", c)
	}
}

func TestBindEnv(t *testing.T) {
	env := map[string]string{
		"PLEDGE_ADDR":             "127.0.0.1:9000",
		"PLEDGE_DATABASE_URL":     "sqlite:/var/lib/pledge/pledge.db",
		"PLEDGE_BASE_URL":         "https://pledge.example.org",
		"PLEDGE_SECRET":           "0123456789abcdef0123",
		"PLEDGE_LOG_LEVEL":        "debug",
		"PLEDGE_LOG_FORMAT":       "text",
		"PLEDGE_DEMO":             "false",
		"PLEDGE_QUEUE_SIZE":       "500",
		"PLEDGE_MAX_BATCH":        "250",
		"PLEDGE_SHUTDOWN_TIMEOUT": "45s",
		"PLEDGE_DB_MAX_CONNS":     "12",
		"PLEDGE_MIGRATE":          "false",
	}
	c, envErr, perr := cfgBind(t, env)
	if envErr != nil || perr != nil {
		t.Fatalf("errors: %v, %v", envErr, perr)
	}
	want := Default()
	want.Addr = "127.0.0.1:9000"
	want.Database = "sqlite:/var/lib/pledge/pledge.db"
	want.BaseURL = "https://pledge.example.org"
	want.Secret = "0123456789abcdef0123"
	want.LogLevel = slog.LevelDebug
	want.LogFormat = "text"
	want.QueueSize = 500
	want.MaxBatch = 250
	want.Demo = false
	want.ShutdownTimeout = 45 * time.Second
	want.DBMaxConns = 12
	want.Migrate = false
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestBindEnvForms(t *testing.T) {
	cases := []struct {
		env   map[string]string
		check func(Config) bool
	}{
		{map[string]string{"PLEDGE_LOG_LEVEL": "WARN"}, func(c Config) bool { return c.LogLevel == slog.LevelWarn }},
		{map[string]string{"PLEDGE_LOG_LEVEL": "error"}, func(c Config) bool { return c.LogLevel == slog.LevelError }},
		{map[string]string{"PLEDGE_LOG_LEVEL": "info+2"}, func(c Config) bool { return c.LogLevel == slog.LevelInfo+2 }},
		{map[string]string{"PLEDGE_DEMO": "0"}, func(c Config) bool { return !c.Demo }},
		{map[string]string{"PLEDGE_DEMO": "true"}, func(c Config) bool { return c.Demo }},
		{map[string]string{"PLEDGE_DEMO": "1"}, func(c Config) bool { return c.Demo }},
		{map[string]string{"PLEDGE_QUEUE_SIZE": "1"}, func(c Config) bool { return c.QueueSize == 1 }},
		{map[string]string{"PLEDGE_MIGRATE": "0"}, func(c Config) bool { return !c.Migrate }},
		{map[string]string{"PLEDGE_MIGRATE": "TRUE"}, func(c Config) bool { return c.Migrate }},
		{map[string]string{"PLEDGE_DB_MAX_CONNS": "0"}, func(c Config) bool { return c.DBMaxConns == 0 }},
		{map[string]string{"PLEDGE_DATABASE_URL": "postgres://u@db/pledge"}, func(c Config) bool { return c.Database == "postgres://u@db/pledge" }},
		{map[string]string{"PLEDGE_SHUTDOWN_TIMEOUT": "1m30s"}, func(c Config) bool { return c.ShutdownTimeout == 90*time.Second }},
		// An empty variable counts as unset.
		{map[string]string{"PLEDGE_ADDR": "", "PLEDGE_QUEUE_SIZE": "", "PLEDGE_DEMO": ""}, func(c Config) bool {
			return c.Addr == ":8080" && c.QueueSize == 4000 && c.Demo
		}},
	}
	for _, tc := range cases {
		c, envErr, perr := cfgBind(t, tc.env)
		if envErr != nil || perr != nil {
			t.Errorf("%v: errors %v, %v", tc.env, envErr, perr)
			continue
		}
		if !tc.check(c) {
			t.Errorf("%v: got %+v", tc.env, c)
		}
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	env := map[string]string{
		"PLEDGE_ADDR":             ":7000",
		"PLEDGE_DATABASE_URL":     "env.db",
		"PLEDGE_LOG_LEVEL":        "debug",
		"PLEDGE_DEMO":             "true",
		"PLEDGE_QUEUE_SIZE":       "10",
		"PLEDGE_MAX_BATCH":        "10",
		"PLEDGE_LOG_FORMAT":       "text",
		"PLEDGE_SHUTDOWN_TIMEOUT": "5s",
		"PLEDGE_BASE_URL":         "https://env.example.org",
		"PLEDGE_SECRET":           "env-secret-0123456789",
		"PLEDGE_DB_MAX_CONNS":     "3",
		"PLEDGE_MIGRATE":          "false",
	}
	c, envErr, perr := cfgBind(t, env,
		"-addr", ":9090", "-db", "flag.db", "-log-level", "error", "-demo=false",
		"-queue", "99", "-batch", "42", "-log-format", "json", "-shutdown-timeout", "2m",
		"-base-url", "http://flag.example.org", "-secret", "flag-secret-0123456789",
		"-db-max-conns", "20", "-migrate")
	if envErr != nil || perr != nil {
		t.Fatalf("errors: %v, %v", envErr, perr)
	}
	want := Default()
	want.Addr, want.Database, want.LogLevel, want.Demo = ":9090", "flag.db", slog.LevelError, false
	want.QueueSize, want.MaxBatch, want.LogFormat, want.ShutdownTimeout = 99, 42, "json", 2*time.Minute
	want.BaseURL, want.Secret = "http://flag.example.org", "flag-secret-0123456789"
	want.DBMaxConns, want.Migrate = 20, true
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}

	// Flags not given keep the environment's values.
	c, envErr, perr = cfgBind(t, env, "-addr", ":9090")
	if envErr != nil || perr != nil {
		t.Fatalf("errors: %v, %v", envErr, perr)
	}
	if c.Addr != ":9090" || c.Database != "env.db" || c.QueueSize != 10 || c.LogLevel != slog.LevelDebug {
		t.Errorf("partial override: %+v", c)
	}
}

// TestFlagDefaultsHideEnv: help shows the built-in defaults and names the
// variables, but never prints what the environment holds: usage goes to
// standard error on every mistyped flag, into logs, and the environment
// holds secrets.
func TestFlagDefaultsHideEnv(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	var c Config
	secrets := map[string]string{"PLEDGE_SECRET": "supersecretvalue1234", "PLEDGE_SMTP_PASSWORD": "hunter2pass",
		"PLEDGE_DATABASE_URL": "postgres://u:dbpass@h/db", "PLEDGE_ADDR": ":7000", "PLEDGE_QUEUE_SIZE": "10",
		"PLEDGE_DEMO": "false", "PLEDGE_LOG_LEVEL": "debug", "PLEDGE_SHUTDOWN_TIMEOUT": "3s"}
	c.Bind(fs, cfgEnv(secrets))
	if c.Secret != "supersecretvalue1234" || c.Addr != ":7000" || c.Demo {
		t.Fatalf("the environment was not applied: %+v", c)
	}
	fs.PrintDefaults()
	for _, env := range []string{"PLEDGE_SECRET", "PLEDGE_SMTP_PASSWORD", "PLEDGE_DATABASE_URL"} {
		if v := secrets[env]; strings.Contains(help.String(), v) {
			t.Errorf("help shows the value of %s:\n%s", env, help.String())
		}
	}
	d := Default()
	if f := fs.Lookup("addr"); f == nil || f.DefValue != d.Addr || !strings.Contains(f.Usage, "PLEDGE_ADDR") {
		t.Errorf("addr flag: %+v", f)
	}
	if f := fs.Lookup("queue"); f == nil || f.DefValue != strconv.Itoa(d.QueueSize) || !strings.Contains(f.Usage, "PLEDGE_QUEUE_SIZE") {
		t.Errorf("queue flag: %+v", f)
	}
	for name, want := range map[string]string{"demo": strconv.FormatBool(d.Demo), "log-level": d.LogLevel.String(),
		"shutdown-timeout": d.ShutdownTimeout.String(), "secret": "", "db": d.Database} {
		if f := fs.Lookup(name); f == nil || f.DefValue != want {
			t.Errorf("flag -%s shows default %q, want the built-in %q", name, f.DefValue, want)
		}
	}
	for _, name := range []string{"addr", "db", "base-url", "secret", "log-format", "queue", "batch", "log-level", "demo", "shutdown-timeout", "db-max-conns", "migrate"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag -%s not registered", name)
		}
	}
}

func TestBindBadEnv(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want []string // fragments of the message
	}{
		{map[string]string{"PLEDGE_QUEUE_SIZE": "lots"}, []string{"PLEDGE_QUEUE_SIZE", "lots"}},
		{map[string]string{"PLEDGE_QUEUE_SIZE": "1e3"}, []string{"PLEDGE_QUEUE_SIZE"}},
		{map[string]string{"PLEDGE_QUEUE_SIZE": " 10"}, []string{"PLEDGE_QUEUE_SIZE"}},
		{map[string]string{"PLEDGE_MAX_BATCH": "1.5"}, []string{"PLEDGE_MAX_BATCH"}},
		{map[string]string{"PLEDGE_LOG_LEVEL": "verbose"}, []string{"PLEDGE_LOG_LEVEL"}},
		{map[string]string{"PLEDGE_DEMO": "yes"}, []string{"PLEDGE_DEMO", "yes"}},
		{map[string]string{"PLEDGE_SHUTDOWN_TIMEOUT": "20"}, []string{"PLEDGE_SHUTDOWN_TIMEOUT"}},
		{map[string]string{"PLEDGE_MIGRATE": "on"}, []string{"PLEDGE_MIGRATE"}},
		{map[string]string{"PLEDGE_DB_MAX_CONNS": "four"}, []string{"PLEDGE_DB_MAX_CONNS"}},
		{map[string]string{"PLEDGE_SHUTDOWN_TIMEOUT": "soon"}, []string{"PLEDGE_SHUTDOWN_TIMEOUT"}},
		// Every bad variable is reported, not only the first.
		{map[string]string{"PLEDGE_QUEUE_SIZE": "x", "PLEDGE_DEMO": "maybe", "PLEDGE_LOG_LEVEL": "loud"},
			[]string{"PLEDGE_QUEUE_SIZE", "PLEDGE_DEMO", "PLEDGE_LOG_LEVEL"}},
	}
	for _, tc := range cases {
		_, envErr, perr := cfgBind(t, tc.env)
		if perr != nil {
			t.Errorf("%v: parse error %v", tc.env, perr)
		}
		if envErr == nil {
			t.Errorf("%v: no error", tc.env)
			continue
		}
		for _, frag := range tc.want {
			if !strings.Contains(envErr.Error(), frag) {
				t.Errorf("%v: message %q does not mention %q", tc.env, envErr, frag)
			}
		}
	}
}

// TestBindBadEnvEvenWhenOverridden: a bad variable is reported even when a
// flag gives the setting, so a broken environment never goes unnoticed.
func TestBindBadEnvEvenWhenOverridden(t *testing.T) {
	c, envErr, perr := cfgBind(t, map[string]string{"PLEDGE_QUEUE_SIZE": "lots"}, "-queue", "10")
	if perr != nil {
		t.Fatal(perr)
	}
	if c.QueueSize != 10 {
		t.Errorf("queue = %d, want the flag's 10", c.QueueSize)
	}
	if envErr == nil || !strings.Contains(envErr.Error(), "PLEDGE_QUEUE_SIZE") {
		t.Errorf("env error = %v", envErr)
	}
}

func TestBindBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-queue", "many"},
		{"-log-level", "verbose"},
		{"-demo=maybe"},
		{"-shutdown-timeout", "20"},
		{"-db-max-conns", "x"},
		{"-migrate=perhaps"},
		{"-nonexistent"},
	} {
		_, _, perr := cfgBind(t, nil, args...)
		if perr == nil {
			t.Errorf("%q: no parse error", args)
		}
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid, else a fragment of the message
	}{
		{"port only", func(c *Config) { c.Addr = ":80" }, ""},
		{"host and port", func(c *Config) { c.Addr = "0.0.0.0:8080" }, ""},
		{"IPv6", func(c *Config) { c.Addr = "[::1]:8080" }, ""},
		{"sqlite URL", func(c *Config) { c.Database = "sqlite:file.db?_pragma=busy_timeout(5000)" }, ""},
		{"base URL https", func(c *Config) { c.BaseURL = "https://pledge.example.org" }, ""},
		{"base URL http with port", func(c *Config) { c.BaseURL = "http://localhost:8080" }, ""},
		{"secret of 16", func(c *Config) { c.Secret = strings.Repeat("s", 16) }, ""},
		{"text logs", func(c *Config) { c.LogFormat = "text" }, ""},
		{"batch 1", func(c *Config) { c.MaxBatch = 1 }, ""},
		{"batch 10000", func(c *Config) { c.MaxBatch = 10000 }, ""},
		{"queue 1", func(c *Config) { c.QueueSize = 1 }, ""},
		{"postgres URL", func(c *Config) { c.Database = "postgres://pledge@localhost/pledge?sslmode=disable" }, ""},
		{"db conns 0", func(c *Config) { c.DBMaxConns = 0 }, ""},
		{"db conns 50", func(c *Config) { c.DBMaxConns = 50 }, ""},
		{"no migrate", func(c *Config) { c.Migrate = false }, ""},
		{"metrics on its own port", func(c *Config) { c.Addr, c.MetricsAddr = ":8080", "127.0.0.1:9100" }, ""},
		{"metrics on another host's port", func(c *Config) { c.Addr, c.MetricsAddr = "127.0.0.1:8080", "127.0.0.2:8080" }, ""},
		{"metrics on a free port", func(c *Config) { c.Addr, c.MetricsAddr = ":0", "127.0.0.1:0" }, ""},
		{"metrics on addr", func(c *Config) { c.Addr, c.MetricsAddr = ":8080", ":8080" }, "metrics-addr"},
		{"metrics on addr, spelt otherwise", func(c *Config) { c.Addr, c.MetricsAddr = ":8080", "0.0.0.0:8080" }, "metrics-addr"},
		{"metrics on addr's port, one host", func(c *Config) { c.Addr, c.MetricsAddr = "[::]:8080", "127.0.0.1:8080" }, "metrics-addr"},

		{"addr without port", func(c *Config) { c.Addr = "localhost" }, "addr"},
		{"addr bare port", func(c *Config) { c.Addr = "8080" }, "addr"},
		{"addr empty", func(c *Config) { c.Addr = "" }, "addr"},
		{"database empty", func(c *Config) { c.Database = "" }, "--db (PLEDGE_DATABASE_URL) must be set"},
		{"trusted proxy out of range", func(c *Config) { c.TrustedProxies = "127.0.0.1, 10.0.0.0/33" },
			`--trusted-proxies (PLEDGE_TRUSTED_PROXIES): trusted proxy "10.0.0.0/33"`},
		{"database blank", func(c *Config) { c.Database = "  " }, "--db (PLEDGE_DATABASE_URL)"},
		{"base URL relative", func(c *Config) { c.BaseURL = "/pledge" }, "base-url"},
		{"base URL no scheme", func(c *Config) { c.BaseURL = "pledge.example.org" }, "base-url"},
		{"base URL ftp", func(c *Config) { c.BaseURL = "ftp://pledge.example.org" }, "base-url"},
		{"base URL no host", func(c *Config) { c.BaseURL = "https://" }, "base-url"},
		{"base URL unparsable", func(c *Config) { c.BaseURL = "http://[::1" }, "base-url"},
		{"short secret", func(c *Config) { c.Secret = strings.Repeat("s", 15) }, "secret"},
		{"log format", func(c *Config) { c.LogFormat = "xml" }, "log-format"},
		{"log format empty", func(c *Config) { c.LogFormat = "" }, "log-format"},
		{"queue 0", func(c *Config) { c.QueueSize = 0 }, "--queue (PLEDGE_QUEUE_SIZE) must be at least 1"},
		{"ip limit negative", func(c *Config) { c.LimitIP = -1 }, "--limit-ip (PLEDGE_LIMIT_IP) must not be negative"},
		{"phone limit negative", func(c *Config) { c.LimitPhone = -1 }, "--limit-phone (PLEDGE_LIMIT_PHONE) must not be negative"},
		{"smtp password alone", func(c *Config) { c.SMTPPassword = "pw" }, "--smtp-password (PLEDGE_SMTP_PASSWORD) is set without --smtp-username"},
		{"queue negative", func(c *Config) { c.QueueSize = -1 }, "queue"},
		{"batch 0", func(c *Config) { c.MaxBatch = 0 }, "batch"},
		{"batch too big", func(c *Config) { c.MaxBatch = 10001 }, "batch"},
		{"db conns negative", func(c *Config) { c.DBMaxConns = -1 }, "db-max-conns"},
		{"shutdown 0", func(c *Config) { c.ShutdownTimeout = 0 }, "shutdown-timeout"},
		{"shutdown negative", func(c *Config) { c.ShutdownTimeout = -time.Second }, "shutdown-timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %+v", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	c := Config{} // every field wrong
	err := c.Validate()
	if err == nil {
		t.Fatal("zero Config accepted")
	}
	for _, frag := range []string{"addr", "PLEDGE_DATABASE_URL", "log-format", "queue", "batch", "shutdown-timeout"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("message %q does not mention %q", err, frag)
		}
	}
}

// TestValidateAddrPort: a listen address whose port is not a port number
// passes Validate and fails only when the server starts listening.
func TestValidateAddrPort(t *testing.T) {
	for _, addr := range []string{":abc", ":99999", ":-1"} {
		c := Default()
		c.Addr = addr
		if err := c.Validate(); err == nil {
			t.Errorf("addr %q accepted", addr)
		}
	}
}

// TestValidateBaseURLShape: BaseURL is prefixed to "/certificate/<token>", so
// a trailing slash, query or fragment gives broken links.
func TestValidateBaseURLShape(t *testing.T) {
	for _, u := range []string{"https://pledge.example.org/", "https://pledge.example.org?x=1", "https://pledge.example.org#top"} {
		c := Default()
		c.BaseURL = u
		if err := c.Validate(); err == nil {
			t.Errorf("base URL %q accepted", u)
		}
	}
}

func TestDatabaseForLogHidesPasswords(t *testing.T) {
	for db, want := range map[string]string{
		"postgres://pledge:S3cret@db:5432/pledge?sslmode=require":    "postgres://pledge:xxxxx@db:5432/pledge?sslmode=require",
		"postgres://pledge@db/pledge?password=S3cret&sslmode=allow":  "postgres://pledge@db/pledge?password=xxxxx&sslmode=allow",
		"host=db user=pledge password=S3cret dbname=pledge":          "host=db user=pledge password=xxxxx dbname=pledge",
		"host=db password='my secret pass' dbname=pledge":            "host=db password=xxxxx dbname=pledge",
		"postgres://pledge:S3cret@db/pledge?sslmode=require ":        "postgres://pledge:xxxxx@db/pledge?sslmode=require",
		"postgres://pledge:S3cret@db/pledge?application_name=my app": "postgres://pledge:xxxxx@db/pledge?application_name=my app",
		"postgres://pledge:S3cret@db:port/pledge?password=S3cret":    "postgres://xxxxx@db:port/pledge?password=xxxxx",
		"postgress://pledge:S3cret@db/pledge":                        "postgress://xxxxx@db/pledge",
		"pg://pledge@db/pledge?password=S3cret":                      "pg://xxxxx@db/pledge?password=xxxxx",
		"mysql://u:S3cret@db/x?sslmode=require":                      "mysql://xxxxx@db/x?sslmode=require",
		`host=db password = 'it\'s a \\ secret'  dbname=x`:           "host=db password = xxxxx  dbname=x",
		`host=db PASSWORD=a\ b user=u`:                               "host=db PASSWORD=xxxxx user=u",
		"host=db password='never closed dbname=x":                    "(a connection string, hidden: it may hold a password)",
		"host=db password":     "(a connection string, hidden: it may hold a password)",
		"host = db  user=u":    "host = db  user=u",
		"pledge.db":            "pledge.db",
		"postgres://db/pledge": "postgres://db/pledge",
	} {
		if got := (Config{Database: db}).DatabaseForLog(); got != want {
			t.Errorf("DatabaseForLog(%q) = %q, want %q", db, got, want)
		}
	}
}

// TestRedisPasswordNotShown: a Redis URL refused for its scheme is named
// without its password.
func TestRedisPasswordNotShown(t *testing.T) {
	for _, u := range []string{"http://:RedisPw1@127.0.0.1:6379/7", "http://user:RedisPw1@[::1]:6379", "user:RedisPw1@127.0.0.1:6379"} {
		c := Default()
		c.RedisURL = u
		if err := c.Validate(); err == nil || strings.Contains(err.Error(), "RedisPw1") {
			t.Errorf("redis %q: %v", u, err)
		}
	}
	for in, want := range map[string]string{
		"redis://:pw@h:notaport/7": "redis://xxxxx@h:notaport/7",
		"rediss://u:p@h:6379":      "rediss://xxxxx@h:6379",
		"redis://h:6379/0":         "redis://h:6379/0",
		"redis://h/a@b":            "redis://h/a@b",
		"redis://u:p@ss@h:6379/0":  "redis://xxxxx@h:6379/0",
		"user:secret@host:6379/0":  "xxxxx@host:6379/0",
		"host:6379/a@b":            "host:6379/a@b",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDatabaseForLogHidesPasswords: whatever the password, quoted as libpq
// reads it, and whatever stands around it, the log line is the one another
// password gives: nothing of it shows.
func FuzzDatabaseForLogHidesPasswords(f *testing.F) {
	f.Add("host=db", "S3cret pass", " dbname=x")
	f.Add("", "x", "")
	f.Add("host='a b'", `it's \ here`, "  user=u")
	f.Fuzz(func(t *testing.T, before, password, after string) {
		if strings.ContainsAny(before+after, "'\\") || strings.HasSuffix(strings.TrimSpace(before), "=") {
			return // quotes around the password, or a key before it, would change what it is
		}
		with := func(password string) string {
			quoted := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(password) + "'"
			return strings.TrimSpace(before) + " password=" + quoted + " " + strings.TrimSpace(after)
		}
		got, other := (Config{Database: with(password)}).DatabaseForLog(), (Config{Database: with("other")}).DatabaseForLog()
		if got != other {
			t.Errorf("DatabaseForLog(%q) = %q, but with another password %q: it shows", with(password), got, other)
		}
	})
}

// FuzzDatabaseForLogHidesURLPasswords: a postgres:// URL's password, in
// its user part or its query, whatever stands around it (spaces and all),
// does not show: the log line is the one another password gives.
func FuzzDatabaseForLogHidesURLPasswords(f *testing.F) {
	f.Add("S3cret", "db/pledge", "?sslmode=require ")
	f.Add("p@ss word", "db:port/x", "?application_name=my app")
	f.Fuzz(func(t *testing.T, password, rest, query string) {
		if strings.ContainsAny(rest+query, "@#") || strings.Contains(strings.ToLower(rest+query), "password") {
			return // another user part, or another password, not this one's
		}
		with := func(password string) []string {
			user := url.UserPassword("pledge", password).String()
			return []string{
				"postgres://" + user + "@" + rest + query,
				"postgres://pledge@" + rest + "?password=" + url.QueryEscape(password) + "&" + strings.TrimPrefix(query, "?"),
			}
		}
		for i, db := range with(password) {
			got, other := (Config{Database: db}).DatabaseForLog(), (Config{Database: with("other")[i]}).DatabaseForLog()
			if got != other {
				t.Errorf("DatabaseForLog(%q) = %q, but with another password %q: it shows", db, got, other)
			}
		}
	})
}
