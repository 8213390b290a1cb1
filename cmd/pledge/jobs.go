package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/jobs"
	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/metrics"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// baseURL is the public URL for links in mail: the configured one, or this
// machine's listen port on localhost.
func baseURL(cfg config.Config) string {
	if cfg.BaseURL != "" {
		return cfg.BaseURL
	}
	_, port, _ := net.SplitHostPort(cfg.Addr)
	if port == "" || port == "80" {
		return "http://localhost"
	}
	return "http://localhost:" + port
}

// attachJobs attaches River's client to s, with cfg.Workers mail workers
// (none: the client only enqueues). The caller starts it when it has
// workers and stops it after intake has drained.
func attachJobs(cfg config.Config, s store.Store, secret []byte, log *slog.Logger) (store.JobClient, error) {
	p := jobs.Params{
		Store:       s,
		Links:       pledge.NewLinks(secret),
		BaseURL:     baseURL(cfg),
		PendingTTL:  cfg.PendingTTL,
		Workers:     cfg.Workers,
		RetryBase:   cfg.MailRetryBase,
		RescueAfter: cfg.JobRescueAfter,
		PollOnly:    cfg.JobsPollOnly,
		Log:         log,
	}
	if cfg.SMTPHost != "" {
		sender, err := mail.NewSMTP(mail.Config{
			Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
			TLS: cfg.SMTPTLS, From: cfg.MailFrom, Timeout: 15 * time.Second,
		}, log)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		p.Sender = sender
		for _, w := range mailWarnings(cfg, p.BaseURL) {
			log.Warn(w)
		}
	} else if cfg.Workers > 0 {
		log.Info("no mail server configured (PLEDGE_SMTP_HOST): mail waits in the job queue until a process with one (pledge serve or pledge worker) sends it")
	}
	return s.Jobs(jobs.Config(p))
}

// worker runs the background jobs without the web server, until ctx ends.
func worker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.Workers < 1 {
		return errors.New("worker: --workers (PLEDGE_WORKERS) must be at least 1")
	}
	build := readBuildInfo()
	log.Info("starting", build.logAttrs()...)
	if path, missing := missingSQLite(cfg.Database); missing {
		return noDatabase(path) // logged as "worker failed"
	}
	if cfg.SMTPHost == "" {
		log.Warn("worker without a mail server (PLEDGE_SMTP_HOST): it sends no mail, and runs only the jobs that need none")
	}
	s, err := openStore(ctx, cfg, "worker", log)
	if err != nil {
		return err
	}
	defer s.Close()
	secret, err := serverSecret(ctx, cfg, s)
	if err != nil {
		return err
	}
	jc, err := attachJobs(cfg, s, secret, log)
	if err != nil {
		return err
	}
	// A worker has no web server: its metrics (jobs, database, runtime)
	// are served only on PLEDGE_METRICS_ADDR. Subscribed before the start,
	// so no finished job goes uncounted.
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		m := metrics.New()
		m.SetBuildInfo(build.Version, build.Revision, build.GoVersion)
		m.WatchDatabase(s)
		events, stopEvents := jc.Events()
		defer stopEvents()
		m.WatchJobs(events)
		stop, err := serveMetrics(cfg.MetricsAddr, m, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := jc.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	log.Info("working", "workers", cfg.Workers, "version", build.short())
	<-ctx.Done()
	log.Info("shutting down: waiting for running jobs")
	stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := jc.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// serverSecret is the configured secret, or the one kept in the database,
// once the database has taken it as the one its pledges are hashed with
// (store.Store.CheckSecret): serve and worker refuse to start with another.
func serverSecret(ctx context.Context, cfg config.Config, s store.Store) ([]byte, error) {
	secret := []byte(cfg.Secret)
	if cfg.Secret == "" {
		var err error
		if secret, err = s.Secret(ctx); err != nil {
			return nil, err
		}
	}
	err := s.CheckSecret(ctx, store.SecretFingerprint(secret))
	if errors.Is(err, store.ErrSecretChanged) {
		return nil, fmt.Errorf("%w: its pledges were stored with another, which their one-pledge-per-number check "+
			"and certificate links depend on; this one would let every number pledge again and break every link. "+
			"Start with the secret this database was used with: the same PLEDGE_SECRET (--secret), "+
			"or none if it was used without one (it keeps its own); "+
			"to change the secret of a database that holds no pledges yet, see PLEDGE_SECRET in docs/configuration.md", err)
	}
	if err != nil {
		return nil, fmt.Errorf("check the server secret: %w", err)
	}
	return secret, nil
}

// mailWarnings are what a mail setting that works but may not be meant
// deserves to be told at start: links to the listen address for want of
// a base URL (base), mail in clear to a server not on this machine.
func mailWarnings(cfg config.Config, base string) []string {
	var out []string
	if cfg.BaseURL == "" {
		out = append(out, "PLEDGE_BASE_URL is not set: links in mail will point at "+base)
	}
	if cfg.SMTPTLS == "none" && !cfg.SMTPLocal() {
		out = append(out, "PLEDGE_SMTP_TLS=none: mail, citizens' addresses and links in it, goes in clear to "+cfg.SMTPHost+
			"; use starttls or tls unless it is a relay on a network you trust")
	}
	if !cfg.SMTPLocal() && !answerable(cfg.MailFrom) {
		out = append(out, "PLEDGE_MAIL_FROM is "+cfg.MailFrom+", which no one can answer: most mail servers refuse or mark as spam mail from it; "+
			"set an address of the office's own domain")
	}
	return out
}

// answerable reports whether from, a From address ("Name <a@b>" or
// "a@b"), has a domain that names a host on the internet: one with a dot
// inside it, not localhost or a machine's own name.
func answerable(from string) bool {
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return false
	}
	domain := strings.TrimSuffix(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".")
	return strings.Contains(domain, ".")
}
