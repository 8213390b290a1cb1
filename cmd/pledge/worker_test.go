package main

// TestWorkerProcess: the scale-out setup on PostgreSQL. `pledge serve` with
// PLEDGE_WORKERS=0 takes pledges and only enqueues their mail; a separate
// `pledge worker` process on the same database sends it, once per pledge,
// with links the web process honours; SIGTERM stops both cleanly. A worker
// told to run no workers refuses to start.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/metrics/metricstest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestWorkerProcess(t *testing.T) {
	const (
		n            = 10
		campaignSlug = "worker-optional"
		noMailWindow = 2 * time.Second
	)
	dbURL := pgtest.New(t, nil) // fails rather than skips when services are required
	dir := t.TempDir()
	start := time.Now()

	// The campaign exists before serve starts (serve caches campaigns).
	createWorkerCampaign(t, dbURL, campaignSlug)

	smtpSrv := mailtest.NewServer(t)
	host, port := smtpSrv.Addr()
	addr := freeAddr(t)
	env := func(workers int) []string {
		return []string{
			"PLEDGE_DATABASE_URL=" + dbURL, "PLEDGE_DB_MAX_CONNS=4",
			"PLEDGE_SMTP_HOST=" + host, "PLEDGE_SMTP_PORT=" + strconv.Itoa(port), "PLEDGE_SMTP_TLS=none",
			"PLEDGE_MAIL_FROM=pledges@example.org", "PLEDGE_MAIL_RETRY_BASE=100ms",
			"PLEDGE_DEMO=false", "PLEDGE_BASE_URL=http://" + addr,
			"PLEDGE_WORKERS=" + strconv.Itoa(workers),
		}
	}

	// serve with no workers: everything to send mail is configured, so only
	// the absence of workers can explain that none is sent.
	srv := startProc(t, dir, addr, env(0))
	srv.waitReady(15 * time.Second)
	c := newClient(t, 10*time.Second)
	emails := make([]string, n)
	acks := map[string]receipt{} // by address
	for i := range n {
		emails[i] = fmt.Sprintf("worker-citizen%02d@example.org", i)
		name := fmt.Sprintf("Worker Citizen %d", i)
		body, _ := json.Marshal(map[string]string{
			"name": name, "phone": phoneFor(int64(900 + i)),
			"region": storetest.Leaves[i%len(storetest.Leaves)], "email": emails[i], "lang": "en",
		})
		resp, err := c.Post(srv.base()+"/api/v1/campaigns/"+campaignSlug+"/pledges", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("pledge %d: %v", i, err)
		}
		rec := receipt{name: name}
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil || rec.Number < 1 {
			t.Fatalf("pledge %d: %d (%v), want 201 with a receipt", i, resp.StatusCode, err)
		}
		acks[emails[i]] = rec
	}
	lastAck := time.Now()

	// A worker told to run no workers refuses, with a message that says why.
	refused := startWorker(t, dir, env(0))
	select {
	case <-refused.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("pledge worker with PLEDGE_WORKERS=0 still running after 10s\noutput:\n%s", refused.out.String())
	}
	if code := refused.cmd.ProcessState.ExitCode(); code == 0 {
		t.Errorf("pledge worker with PLEDGE_WORKERS=0 exited 0, want non-zero\noutput:\n%s", refused.out.String())
	}
	if out := refused.out.String(); !strings.Contains(out, "workers") || !strings.Contains(out, "at least 1") {
		t.Errorf("pledge worker with PLEDGE_WORKERS=0 did not say that workers must be at least 1:\n%s", out)
	}

	// No mail within the window, though every pledge's mail is queued.
	for time.Since(lastAck) < noMailWindow {
		if got := smtpSrv.Messages(); len(got) != 0 {
			t.Fatalf("%d mails arrived %v after the pledges from a serve with PLEDGE_WORKERS=0 and no worker running; want none (to %v)",
				len(got), time.Since(lastAck).Round(time.Millisecond), got[0].To)
		}
		if srv.exited() {
			t.Fatalf("pledge serve exited: %v\n%s", srv.waitErr, srv.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	queued := map[int64]bool{}
	for _, j := range pgMailJobs(t, dbURL) {
		if waitingJob(j.state) {
			for _, num := range j.numbers {
				queued[num] = true
			}
		}
	}
	for _, e := range emails {
		if num := acks[e].Number; !queued[num] {
			t.Errorf("pledge #%d (%s) was acknowledged but no job waits to send its mail", num, e)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// A worker process on the same database sends every mail, once.
	metricsAddr := freeAddr(t)
	w := startWorker(t, dir, append(env(2), "PLEDGE_LOG_LEVEL=info", "PLEDGE_METRICS_ADDR="+metricsAddr))
	workerStarted := time.Now()
	perAddr := func() map[string][]mailtest.Received {
		got := map[string][]mailtest.Received{}
		for _, m := range smtpSrv.Messages() {
			for _, to := range m.To {
				got[strings.ToLower(to)] = append(got[strings.ToLower(to)], m)
			}
		}
		return got
	}
	deadline := workerStarted.Add(10 * time.Second)
	for {
		got := perAddr()
		missing := 0
		for _, e := range emails {
			if len(got[e]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if w.exited() {
			t.Fatalf("pledge worker exited: %v\noutput:\n%s", w.waitErr, w.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d addresses got no mail within 10s of starting pledge worker\nworker output:\n%s\nserve output:\n%s",
				missing, n, w.out.String(), srv.out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Logf("all %d mails arrived %v after pledge worker started", n, time.Since(workerStarted).Round(time.Millisecond))
	if out := w.out.String(); !strings.Contains(out, `"msg":"working"`) || !strings.Contains(out, `"workers":2`) {
		t.Errorf("pledge worker did not log that it is working with 2 workers:\n%s", out)
	}

	// Its metrics address answers a health check: a worker has no other.
	if st, body, err := getBody(c, "http://"+metricsAddr+"/healthz"); err != nil || st != http.StatusOK || body != "ok\n" {
		t.Errorf("worker GET /healthz: %d %q %v", st, body, err)
	}

	// Its metrics count the mail it sent (each mail job and the batches'
	// jobs that fanned them out).
	for deadline := time.Now().Add(10 * time.Second); ; {
		m := metricstest.Scrape(t, newClient(t, 5*time.Second), "http://"+metricsAddr+"/metrics")
		if m["pledge_jobs_finished_total{kind=confirmation_mail,outcome=completed}"] == float64(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("worker metrics never counted %d completed confirmation mails: %v", n,
				m["pledge_jobs_finished_total{kind=confirmation_mail,outcome=completed}"])
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	// SIGTERM: the worker finishes what it runs and says so.
	if code := w.signal(syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("pledge worker exited with %d after SIGTERM, want 0\noutput:\n%s", code, w.out.String())
	}
	if out := w.out.String(); !strings.Contains(out, "stopped cleanly") {
		t.Errorf("pledge worker's log lacks \"stopped cleanly\" after SIGTERM:\n%s", out)
	}
	if lines := errorLines(w.out.String()); lines != "" {
		t.Errorf("pledge worker logged errors:\n%s", lines)
	}

	// Nothing can send mail any more: the counts are final. Each address got
	// exactly one confirmation mail, for its own pledge, whose certificate
	// link (signed by the worker with the secret kept in the database)
	// opens on the web process.
	got := perAddr()
	for _, e := range emails {
		ms := got[e]
		if len(ms) != 1 {
			t.Errorf("%s got %d mails, want 1", e, len(ms))
			continue
		}
		rec := acks[e]
		if subj, want := ms[0].Subject(), "Your pledge #"+strconv.FormatInt(rec.Number, 10)+": Test pledge"; subj != want {
			t.Errorf("mail to %s: subject %q, want %q", e, subj, want)
		}
		certURL := mailLink(t, ms[0], srv.base()+"/certificate/")
		st, body, err := getBody(c, certURL)
		if err != nil || st != http.StatusOK || !strings.Contains(body, rec.name) || !strings.Contains(body, "#"+indianGrouping(rec.Number)) {
			t.Errorf("certificate link %s of the mail to %s: %d %v, want 200 showing %q #%d", certURL, e, st, err, rec.name, rec.Number)
		}
	}
	if len(got) != n {
		t.Errorf("mail went to %d addresses, want %d", len(got), n)
	}
	// And a clean stop leaves no mail job to be run (and sent) again.
	for _, j := range pgMailJobs(t, dbURL) {
		if j.state != "completed" {
			t.Errorf("a %s job for %v is %s after pledge worker stopped cleanly; want completed", j.kind, j.numbers, j.state)
		}
	}

	if code := srv.signal(syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("pledge serve exited with %d after SIGTERM, want 0\noutput:\n%s", code, srv.out.String())
	}
	if lines := errorLines(srv.out.String()); lines != "" {
		t.Errorf("pledge serve logged errors:\n%s", lines)
	}
	if len(smtpSrv.Messages()) != n {
		t.Errorf("%d mails in all, want %d", len(smtpSrv.Messages()), n)
	}
	t.Logf("took %v", time.Since(start).Round(time.Millisecond))
}

// createWorkerCampaign stores a campaign where the email address is
// optional in the database at dbURL, migrating it first.
func createWorkerCampaign(t *testing.T, dbURL, campaignSlug string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dbURL, slog.New(slog.DiscardHandler), postgres.Options{MaxConns: 2, Migrate: true})
	if err != nil {
		t.Fatalf("open %s: %v", dbURL, err)
	}
	defer s.Close()
	camp := storetest.Campaign(campaignSlug)
	camp.Email = pledge.EmailOptional
	if err := s.CreateCampaign(ctx, camp, nil); err != nil {
		t.Fatalf("create campaign %s: %v", campaignSlug, err)
	}
}

// startWorker starts `pledge worker` in dir with the clean environment plus
// env, and kills it in t.Cleanup if it is still running.
func startWorker(t *testing.T, dir string, env []string) *proc {
	t.Helper()
	return startCmd(t, dir, "", env, "worker")
}

// pgMailJobs reads the confirmation mail jobs and the batch mail jobs from
// River's table in the schema of dbURL.
func pgMailJobs(t *testing.T, dbURL string) []mailJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT kind, state::text, args::text FROM river_job WHERE kind = ANY($1)`,
		[]string{pledge.ConfirmationMailArgs{}.Kind(), pledge.MailBatchArgs{}.Kind()})
	if err != nil {
		t.Fatalf("read river_job: %v", err)
	}
	defer rows.Close()
	var out []mailJob
	for rows.Next() {
		var kind, state, args string
		if err := rows.Scan(&kind, &state, &args); err != nil {
			t.Fatal(err)
		}
		j := newMailJob(t, kind, state, args)
		slices.Sort(j.numbers)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
