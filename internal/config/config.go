// Package config holds the portal's typed configuration, read from PLEDGE_*
// environment variables and overridden by command-line flags.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is everything `pledge serve` and its siblings can be told.
type Config struct {
	Addr            string        // listen address
	Database        string        // file path, sqlite: URL, or postgres:// URL
	DBMaxConns      int           // PostgreSQL pool size; 0: pgxpool's default
	Migrate         bool          // apply pending migrations when serve starts
	BaseURL         string        // public URL, for absolute links; empty: taken from each request
	Secret          string        // server secret for keyed hashes; empty: generated and kept in the database
	LogLevel        slog.Level    // debug, info, warn, error
	LogFormat       string        // json or text
	QueueSize       int           // pledges that may wait beside the batch in flight (intake.Options)
	MaxBatch        int           // rows per group commit
	Demo            bool          // create the demo campaign when there is none
	ShutdownTimeout time.Duration // how long SIGTERM waits for requests, and again for the queue to drain and the jobs to stop
	RedisURL        string        // redis://host:port/db shares rate limits between instances; empty: none
	TrustedProxies  string        // comma-separated CIDRs whose X-Forwarded-For is believed
	LimitIP         int           // pledge attempts per minute from one client address; 0: off
	LimitPhone      int           // pledge attempts per 10 minutes for one number and campaign; 0: off

	SMTPHost       string        // mail server; empty: mail jobs wait until one is configured
	SMTPPort       int           // mail server port
	SMTPUsername   string        // SMTP AUTH user; empty: no authentication
	SMTPPassword   string        // SMTP AUTH password
	SMTPTLS        string        // none, starttls or tls
	MailFrom       string        // From address of the portal's mail
	Workers        int           // mail workers in this process; 0: jobs are only enqueued (run `pledge worker` elsewhere)
	PendingTTL     time.Duration // how long an unconfirmed pledge waits for confirmation
	ResendLimit    int           // opt-in mails per pending pledge, the first included
	MailRetryBase  time.Duration // first wait before a failed mail is tried again; it doubles each time
	JobRescueAfter time.Duration // a job running this long (its process died) is run again
	JobsPollOnly   bool          // find new jobs by polling, without LISTEN (needed behind PgBouncer in transaction mode)
	MetricsAddr    string        // where /metrics is served: empty: on Addr; "off": nowhere
}

// Proxies parses TrustedProxies.
func (c *Config) Proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr:            ":8080",
		Database:        "pledge.db",
		LogLevel:        slog.LevelInfo,
		LogFormat:       "json",
		QueueSize:       4000,
		MaxBatch:        1000,
		Demo:            true,
		LimitIP:         3000,
		LimitPhone:      5,
		Migrate:         true,
		ShutdownTimeout: 20 * time.Second,
		SMTPPort:        587,
		SMTPTLS:         "starttls",
		MailFrom:        "pledges@localhost",
		Workers:         4,
		PendingTTL:      72 * time.Hour,
		ResendLimit:     3,
		MailRetryBase:   5 * time.Second,
		JobRescueAfter:  2 * time.Minute,
	}
}

// Bind registers the configuration's flags on fs, with defaults taken from
// the environment (through getenv) over Default. Environment errors are
// returned by Parse-time validation through the returned func. Help shows
// Default's values as the defaults, never the environment's: those may be
// secrets (PLEDGE_SECRET, a password in PLEDGE_DATABASE_URL), and usage is
// printed on every mistyped flag, into logs.
func (c *Config) Bind(fs *flag.FlagSet, getenv func(string) string) func() error {
	*c = Default()
	var envErrs []error
	str := func(p *string, name, env, usage string) {
		def := *p
		if v := getenv(env); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" ("+env+")")
		fs.Lookup(name).DefValue = def
	}
	integer := func(p *int, name, env, usage string) {
		def := *p
		if v := getenv(env); v != "" {
			if n, err := strconv.Atoi(v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s: %w", env, err))
			} else {
				*p = n
			}
		}
		fs.IntVar(p, name, *p, usage+" ("+env+")")
		fs.Lookup(name).DefValue = strconv.Itoa(def)
	}
	duration := func(p *time.Duration, name, env, usage string) {
		def := *p
		if v := getenv(env); v != "" {
			if d, err := time.ParseDuration(v); err != nil {
				envErrs = append(envErrs, fmt.Errorf("%s: %w", env, err))
			} else {
				*p = d
			}
		}
		fs.DurationVar(p, name, *p, usage+" ("+env+")")
		fs.Lookup(name).DefValue = def.String()
	}
	str(&c.Addr, "addr", "PLEDGE_ADDR", "listen address of serve; without --base-url, also the host of links in mail")
	str(&c.Database, "db", "PLEDGE_DATABASE_URL", "database: a file path or sqlite: URL (embedded SQLite), or a postgres:// URL")
	str(&c.BaseURL, "base-url", "PLEDGE_BASE_URL", "public base URL for absolute links, e.g. https://pledge.example.org")
	str(&c.Secret, "secret", "PLEDGE_SECRET", "server secret for keyed hashes (default: generated once and kept in the database)")
	str(&c.LogFormat, "log-format", "PLEDGE_LOG_FORMAT", "log format: json or text")
	integer(&c.QueueSize, "queue", "PLEDGE_QUEUE_SIZE", "pledges that may wait for a commit besides the batch being committed; more in progress get 503 at once (at least 1)")
	integer(&c.MaxBatch, "batch", "PLEDGE_MAX_BATCH", "most pledges in one group commit (1 to 10000)")
	str(&c.RedisURL, "redis", "PLEDGE_REDIS_URL", "Redis URL (redis://host:6379/0) to share rate limits between instances")
	str(&c.TrustedProxies, "trusted-proxies", "PLEDGE_TRUSTED_PROXIES", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1")
	integer(&c.LimitIP, "limit-ip", "PLEDGE_LIMIT_IP", "pledge attempts per minute from one client address (0: no limit)")
	integer(&c.LimitPhone, "limit-phone", "PLEDGE_LIMIT_PHONE", "pledge attempts per 10 minutes for one mobile number and campaign (0: no limit)")
	integer(&c.DBMaxConns, "db-max-conns", "PLEDGE_DB_MAX_CONNS", "PostgreSQL connections per instance, besides the intake's own one (0: max(4, CPUs))")
	str(&c.MetricsAddr, "metrics-addr", "PLEDGE_METRICS_ADDR", "listen address of /metrics alone, e.g. 127.0.0.1:9190 (empty: /metrics on --addr; off: none)")
	str(&c.SMTPHost, "smtp-host", "PLEDGE_SMTP_HOST", "mail server host (empty: mail waits in the job queue until one is set)")
	integer(&c.SMTPPort, "smtp-port", "PLEDGE_SMTP_PORT", "mail server port")
	str(&c.SMTPUsername, "smtp-username", "PLEDGE_SMTP_USERNAME", "mail server user name (empty: no authentication)")
	str(&c.SMTPPassword, "smtp-password", "PLEDGE_SMTP_PASSWORD", "mail server password")
	str(&c.SMTPTLS, "smtp-tls", "PLEDGE_SMTP_TLS", "mail server TLS: none, starttls or tls")
	str(&c.MailFrom, "mail-from", "PLEDGE_MAIL_FROM", "From address of the portal's mail")
	integer(&c.Workers, "workers", "PLEDGE_WORKERS", "mail workers in this process, at most 1000 (0: only enqueue; run \"pledge worker\" elsewhere)")
	duration(&c.PendingTTL, "pending-ttl", "PLEDGE_PENDING_TTL", "how long a pledge waits for its email address to be confirmed (at least 1m)")
	integer(&c.ResendLimit, "resend-limit", "PLEDGE_RESEND_LIMIT", "confirmation mails per pending pledge, the first included (1 to 20)")
	duration(&c.MailRetryBase, "mail-retry-base", "PLEDGE_MAIL_RETRY_BASE", "first wait before a failed mail is retried; doubles each time up to an hour (at least 10ms)")
	duration(&c.JobRescueAfter, "job-rescue-after", "PLEDGE_JOB_RESCUE_AFTER", "a job left running this long by a process that died is run again (at least 1s)")
	if v := getenv("PLEDGE_JOBS_POLL_ONLY"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			envErrs = append(envErrs, fmt.Errorf("PLEDGE_JOBS_POLL_ONLY: %w", err))
		} else {
			c.JobsPollOnly = b
		}
	}
	fs.BoolVar(&c.JobsPollOnly, "jobs-poll-only", c.JobsPollOnly, "find new jobs by polling instead of LISTEN/NOTIFY: needed behind PgBouncer in transaction mode (PLEDGE_JOBS_POLL_ONLY)")
	if v := getenv("PLEDGE_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			envErrs = append(envErrs, fmt.Errorf("PLEDGE_LOG_LEVEL: %w", err))
		}
	}
	fs.TextVar(&c.LogLevel, "log-level", c.LogLevel, "log level: debug, info, warn or error (PLEDGE_LOG_LEVEL)")
	if v := getenv("PLEDGE_DEMO"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			envErrs = append(envErrs, fmt.Errorf("PLEDGE_DEMO: %w", err))
		} else {
			c.Demo = b
		}
	}
	fs.BoolVar(&c.Demo, "demo", c.Demo, "create the demo campaign when there is no campaign (PLEDGE_DEMO)")
	if v := getenv("PLEDGE_MIGRATE"); v != "" {
		if b, err := strconv.ParseBool(v); err != nil {
			envErrs = append(envErrs, fmt.Errorf("PLEDGE_MIGRATE: %w", err))
		} else {
			c.Migrate = b
		}
	}
	fs.BoolVar(&c.Migrate, "migrate", c.Migrate, "apply pending PostgreSQL migrations on start; SQLite is always migrated (PLEDGE_MIGRATE)")
	duration(&c.ShutdownTimeout, "shutdown-timeout", "PLEDGE_SHUTDOWN_TIMEOUT", "how long shutdown waits for requests (then cuts them off), and again for the queue to drain and the jobs to stop")
	d := Default()
	for name, def := range map[string]string{"jobs-poll-only": strconv.FormatBool(d.JobsPollOnly),
		"demo": strconv.FormatBool(d.Demo), "migrate": strconv.FormatBool(d.Migrate), "log-level": d.LogLevel.String()} {
		fs.Lookup(name).DefValue = def
	}
	return func() error { return errors.Join(envErrs...) }
}

// Validate reports every setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	n := settingNames()
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: %w", n("addr"), c.Addr, err))
	} else if p, err := strconv.ParseUint(port, 10, 16); err != nil && port != "" || p > 65535 {
		errs = append(errs, fmt.Errorf("%s %q: the port must be a number from 0 to 65535", n("addr"), c.Addr))
	}
	if strings.TrimSpace(c.Database) == "" {
		errs = append(errs, fmt.Errorf("%s must be set", n("db")))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(c.BaseURL, "?") {
			errs = append(errs, fmt.Errorf("%s %q must be an absolute http(s) URL with no path, query or fragment, e.g. https://pledge.example.org", n("base-url"), c.BaseURL))
		}
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		errs = append(errs, fmt.Errorf("%s must have at least 16 characters", n("secret")))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("%s %q: want json or text", n("log-format"), c.LogFormat))
	}
	if c.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("%s must be at least 1", n("queue")))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", n("trusted-proxies"), err))
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, fmt.Errorf("%s %q: want a redis:// or rediss:// URL", n("redis"), RedactURL(c.RedisURL)))
	}
	for name, limit := range map[string]int{"limit-ip": c.LimitIP, "limit-phone": c.LimitPhone} {
		if limit < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative (0: no limit)", n(name)))
		}
	}
	if c.DBMaxConns < 0 {
		errs = append(errs, fmt.Errorf("%s must not be negative", n("db-max-conns")))
	}
	if c.MaxBatch < 1 || c.MaxBatch > 10000 {
		errs = append(errs, fmt.Errorf("%s must be between 1 and 10000", n("batch")))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%s must be positive", n("shutdown-timeout")))
	}
	errs = append(errs, c.validateMail(n)...)
	if err := c.validateMetrics(n); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// DatabaseForLog is Database with any password replaced by "xxxxx", for
// logs: a postgres:// URL's, or a key/value connection string's.
func (c Config) DatabaseForLog() string {
	db := c.Database
	trimmed := strings.TrimSpace(db)
	if lower := strings.ToLower(trimmed); strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		u, err := url.Parse(trimmed)
		if err != nil || u.Opaque != "" {
			// Not a URL Go reads, though the database driver might: hide
			// what stands before an @ and any password in the query.
			return queryPassword.ReplaceAllString(RedactURL(db), "${1}xxxxx")
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return queryPassword.ReplaceAllString(u.Redacted(), "${1}xxxxx") // and one a query odd enough to hide
	}
	if strings.Contains(db, "://") {
		// Some other URL, or a mistyped one (postgress://, pg://): what
		// stands before an @ and a password in the query are hidden too.
		return queryPassword.ReplaceAllString(RedactURL(redactKeyValues(db)), "${1}xxxxx")
	}
	if strings.Contains(db, "=") {
		return redactKeyValues(db)
	}
	return db
}

// queryPassword finds a password in a URL's query, for DatabaseForLog.
var queryPassword = regexp.MustCompile(`(?i)([?&]password=)[^&#]*`)

// redactKeyValues is a key/value connection string (libpq's: key = value,
// a value quoted in '...' with \' and \\ inside, or bare up to a space)
// with the password's value replaced by "xxxxx". One it cannot read whole
// is hidden whole if it names a password anywhere.
func redactKeyValues(s string) string {
	var b strings.Builder
	i := 0
	space := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for {
		start := i
		space()
		b.WriteString(s[start:i])
		if i == len(s) {
			return b.String()
		}
		keyStart := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		key := s[keyStart:i]
		space()
		if i == len(s) || s[i] != '=' || key == "" {
			break
		}
		i++
		space()
		valueStart := i
		if i < len(s) && s[i] == '\'' {
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				break // no closing quote
			}
			i++
		} else {
			for ; i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			i = min(i, len(s))
		}
		if strings.EqualFold(key, "password") {
			b.WriteString(s[keyStart:valueStart] + "xxxxx")
		} else {
			b.WriteString(s[keyStart:i])
		}
	}
	if strings.Contains(strings.ToLower(s), "password") {
		return "(a connection string, hidden: it may hold a password)"
	}
	return s
}

// RedactURL is url with whatever stands before an @ in its authority (a
// user name and password) replaced by "xxxxx", whether or not it parses or
// has a scheme: for messages about a URL that may hold a password.
func RedactURL(url string) string {
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		rest = url // no scheme, the very mistake an error about it names: "user:pw@host"
	}
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return url
	}
	start := len(url) - len(rest)
	return url[:start] + "xxxxx" + url[start+at:]
}
