package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/pledgeportal/pledge/internal/admin"
	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/intake"
	"github.com/pledgeportal/pledge/internal/metrics"
	"github.com/pledgeportal/pledge/internal/netaddr"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/ratelimit"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/web"
)

// openStore opens the database named in the configuration and applies its
// migrations; on PostgreSQL its connections say they are the command's
// (application_name "pledge serve"), unless the URL names them.
func openStore(ctx context.Context, cfg config.Config, command string, log *slog.Logger) (store.Store, error) {
	if postgres.IsURL(cfg.Database) {
		s, err := postgres.Open(ctx, cfg.Database, log,
			postgres.Options{MaxConns: int32(cfg.DBMaxConns), Migrate: cfg.Migrate, Name: "pledge " + command})
		switch {
		case errors.Is(err, postgres.ErrNotMigrated):
			return nil, fmt.Errorf("database %s: %w: run pledge migrate against it first (or start with --migrate=true, PLEDGE_MIGRATE)",
				cfg.DatabaseForLog(), err)
		case err != nil:
			return nil, fmt.Errorf("database %s, --db (PLEDGE_DATABASE_URL): %w", cfg.DatabaseForLog(), err)
		}
		return s, nil
	}
	if path, ok := sqlite.Path(cfg.Database); ok {
		return sqlite.Open(ctx, path, log) // SQLite is always migrated: it has one writer
	}
	return nil, fmt.Errorf("database %s: want a file path, a sqlite: URL or a postgres:// URL (write a PostgreSQL key=value string as a URL)", cfg.DatabaseForLog())
}

// missingSQLite reports whether db names a SQLite database whose file does
// not exist yet, and its path.
func missingSQLite(db string) (path string, missing bool) {
	path, ok := sqlite.Path(db)
	if !ok {
		return "", false
	}
	_, err := os.Stat(path)
	return path, errors.Is(err, os.ErrNotExist)
}

// noDatabase refuses a command a SQLite database that does not exist yet:
// a wrong --db or working directory would otherwise make a new, empty one
// that serve never reads. Only serve (and user add) start one. The caller
// names the command where its output does not already.
func noDatabase(path string) error {
	return fmt.Errorf("no database at %s: give the one serve uses, with --db or PLEDGE_DATABASE_URL (pledge serve creates a new one on its first start)", path)
}

// migrate applies the pending migrations of the database cfg names, which
// must exist already if it is SQLite.
func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if path, missing := missingSQLite(cfg.Database); missing {
		return noDatabase(path) // logged as "migrate failed"
	}
	cfg.Migrate = true
	s, err := openStore(ctx, cfg, "migrate", log)
	if err != nil {
		return err
	}
	log.Info("database is up to date", "database", cfg.DatabaseForLog())
	return s.Close()
}

// serve runs the portal until ctx ends, then stops taking requests, drains
// the intake queue and exits.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) (err error) {
	started := false
	defer func() {
		// Stopped while starting (SIGTERM during a long migration): as
		// asked, not a failure.
		if err != nil && !started && ctx.Err() != nil {
			log.Info("stopped while starting", "err", err)
			err = nil
		}
	}()
	build := readBuildInfo()
	log.Info("starting", build.logAttrs()...)
	// Take the port first: a second instance on a taken port should fail
	// before it touches the database.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	// Answer at once while the database opens and migrates, which can take
	// minutes (an index on a big pledge table), where a request held in
	// the listen queue would wait for its timeout (frontHandler).
	proxies, _ := cfg.Proxies() // checked by Validate
	front := &frontHandler{proxy: netaddr.ClientAddr{Trusted: proxies}.FromTrustedProxy}
	running := new(inFlight)
	srv := &http.Server{
		Handler:           running.wrap(front),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close() // a start that fails; after a shutdown, a no-op
	s, err := openStore(ctx, cfg, "serve", log)
	if err != nil {
		return err
	}
	defer s.Close()
	secret, err := serverSecret(ctx, cfg, s)
	if err != nil {
		return err
	}
	hasher := pledge.NewHasher(secret)
	// Before intake starts, once for each way of keying addresses:
	// addresses keyed by an earlier release get the key a new pledge's is
	// checked against.
	if n, err := s.RekeyAddresses(ctx, hasher.Email); err != nil {
		return err
	} else if n > 0 {
		log.Info("addresses rekeyed by mailbox", "rows", n)
	}
	// River attaches before intake starts: every batch enqueues its mail.
	jobClient, err := attachJobs(cfg, s, secret, log)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "" && cfg.TrustedProxies != "" {
		// Behind a proxy the Host a request names is whatever its client
		// sent; certificates' links and QR codes would carry it.
		log.Warn("PLEDGE_BASE_URL is not set: links and certificates' QR codes take the host each request names; set it to the portal's public address")
	}
	m := metrics.New()
	m.SetBuildInfo(build.Version, build.Revision, build.GoVersion)
	m.WatchDatabase(s)
	jobsRunning := false
	if cfg.Workers > 0 {
		events, stopEvents := jobClient.Events() // before the start: no finished job goes uncounted
		defer stopEvents()
		m.WatchJobs(events)
		if err := jobClient.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start jobs: %w", err)
		}
		jobsRunning = true
		// Any return before the orderly stop below stops the workers
		// before the deferred Close takes their database away.
		defer func() {
			if jobsRunning {
				stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
				defer cancel()
				_ = jobClient.Stop(stopCtx)
			}
		}()
	}
	jobsUI, err := jobClient.UI(ctx, admin.JobsPath, log)
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := ensureDemo(ctx, s, log); err != nil {
			return err
		}
	}

	limits := ratelimit.Options{PerIP: cfg.LimitIP, PerPhone: cfg.LimitPhone, Log: log}
	if cfg.RedisURL != "" {
		rdb, err := ratelimit.OpenRedis(ctx, cfg.RedisURL, log)
		if err != nil {
			return fmt.Errorf("rate limits' Redis, --redis (PLEDGE_REDIS_URL) %s: %w", config.RedactURL(cfg.RedisURL), err)
		}
		defer rdb.Close()
		limits.Redis = rdb
	}

	rateLimits := ratelimit.New(limits)
	if limits.Redis != nil {
		m.WatchRateLimits(rateLimits)
	}

	in := intake.New(s, log, intake.Options{QueueSize: cfg.QueueSize, MaxBatch: cfg.MaxBatch, Observer: m.ObserveBatch})
	m.WatchIntake(in)
	go in.Run()

	console, err := admin.New(admin.Deps{Store: s, Log: log, TrustedProxies: proxies, Jobs: jobsUI, Fingerprints: hasher})
	if err != nil {
		return err
	}
	certs, err := certificate.New(certificate.Options{
		Observe: func(size certificate.Size, result string, took time.Duration) {
			m.ObserveCertificate(size.String(), result, took)
		},
		// Pictures wait while pledges queue for a commit.
		Yield: func() bool { return in.Len() > intakeBusy },
	})
	if err != nil {
		return err
	}
	handler, err := web.New(web.Deps{
		Store:          s,
		Intake:         in,
		Hasher:         hasher,
		Tokens:         pledge.NewTokens(secret),
		Links:          pledge.NewLinks(secret),
		ResendLimit:    cfg.ResendLimit,
		PendingTTL:     cfg.PendingTTL,
		Log:            log,
		BaseURL:        cfg.BaseURL,
		TrustedProxies: proxies,
		Limits:         rateLimits,
		Admin:          console,
		Certificates:   certs,
		Metrics:        m,
		MetricsHandler: metricsHere(cfg, m),
	})
	if err != nil {
		return err
	}
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		stop, err := serveMetrics(cfg.MetricsAddr, m, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	select {
	case err := <-served: // the server failed while the portal was starting
		_ = in.Close(context.Background())
		return fmt.Errorf("serve: %w", err)
	default:
	}
	started = true
	front.ready(handler)
	log.Info("serving", "addr", ln.Addr().String(), "database", cfg.DatabaseForLog(), "version", build.short())

	select {
	case err := <-served:
		_ = in.Close(context.Background())
		return fmt.Errorf("serve: %w", err) // the deferred stop ends the workers
	case <-ctx.Done():
	}

	log.Info("shutting down: draining requests and the intake queue")
	// The requests have the timeout; the drain, which stores what was
	// queued, and then the workers share it again: a request that outlasts
	// its time (a slow export, say) must not use up theirs. So shutdown
	// takes at most twice the timeout (deploy/systemd/pledge.service).
	errShut := stopHTTP(srv, running, cfg.ShutdownTimeout, log) // waits for handlers, which wait for their commits
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancelDrain()
	errDrain := in.Close(drainCtx) // an error only if pledges were left unstored
	if jobsRunning {
		jobsRunning = false
		// After the drain, whose batches enqueue mail.
		if err := jobClient.Stop(drainCtx); errors.Is(err, context.DeadlineExceeded) {
			// Nothing is lost: River runs them again after job-rescue-after.
			log.Warn("jobs still running at the shutdown deadline were left to be run again",
				"timeout", cfg.ShutdownTimeout.String(), "rescue_after", cfg.JobRescueAfter.String())
		} else if err != nil {
			errDrain = errors.Join(errDrain, fmt.Errorf("stop jobs: %w", err))
		}
	}
	if err := errors.Join(errShut, errDrain); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}

// stopHTTP shuts srv down, waiting up to timeout for the requests in
// progress; it then closes the connections of those still running, and logs
// how many were cut off. That is no error: none of them was answered, and a
// pledge of theirs already in a batch is still committed by the intake's
// drain (one still queued is left out, as when its client hangs up).
func stopHTTP(srv *http.Server, running *inFlight, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	n := running.n.Load()
	_ = srv.Close() // the listener is closed already; this closes the connections
	log.Warn("requests still running at the shutdown deadline were cut off", "requests", n, "timeout", timeout.String())
	return nil
}

// frontHandler is the server's handler: the portal once it is ready, and
// until then a fast answer that it is starting.
type frontHandler struct {
	portal atomic.Pointer[http.Handler]
	proxy  func(*http.Request) bool // r came from a trusted proxy
}

// ready hands every request from now on to h.
func (f *frontHandler) ready(h http.Handler) { f.portal.Store(&h) }

// ServeHTTP passes r to the portal if it is ready. Before that /healthz
// answers 200 (the process is alive). A request from a trusted proxy gets
// its connection closed, unanswered: nginx takes that for a failed
// attempt, sends the request to another instance (the form's pledges
// included, see deploy/nginx.conf) and, after three, rests this one for a
// few seconds, where a 503 would reach the citizen. Anyone else gets 503
// with Retry-After, and /readyz keeps this instance out of a balancer's
// rotation.
func (f *frontHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := f.portal.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if r.URL.Path != "/healthz" && f.proxy(r) {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte("starting\n"))
		return
	}
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte("The portal is starting. Please try again in a moment.\n"))
}

// inFlight counts the requests whose handlers are running.
type inFlight struct{ n atomic.Int64 }

// wrap returns h counting its requests in f.
func (f *inFlight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.n.Add(1)
		defer f.n.Add(-1)
		h.ServeHTTP(w, r)
	})
}
