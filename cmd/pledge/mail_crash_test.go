package main

// TestMailSurvivesKill: a pledge acknowledged with 201 has its mail
// committed with it, so a process killed before the mail could be sent
// leaves it in the job queue and the next process sends it, once.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

func TestMailSurvivesKill(t *testing.T) {
	const (
		n            = 30
		campaignSlug = "mail-crash"
	)
	dir := t.TempDir()
	db := filepath.Join(dir, "pledge.db")
	ctx := context.Background()

	s, err := sqlite.Open(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	camp := storetest.Campaign(campaignSlug)
	camp.Email = pledge.EmailOptional
	if err := s.CreateCampaign(ctx, camp, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The mail server is failing: every mail is refused for now (451).
	smtpSrv := mailtest.NewServer(t)
	smtpSrv.FailTemporarily(true)
	host, port := smtpSrv.Addr()
	env := func(addr string) []string {
		return []string{
			"PLEDGE_SMTP_HOST=" + host, "PLEDGE_SMTP_PORT=" + strconv.Itoa(port), "PLEDGE_SMTP_TLS=none",
			"PLEDGE_MAIL_FROM=pledges@example.org", "PLEDGE_MAIL_RETRY_BASE=100ms", "PLEDGE_JOB_RESCUE_AFTER=2s",
			"PLEDGE_DEMO=false", "PLEDGE_BASE_URL=http://" + addr,
		}
	}

	addr := freeAddr(t)
	p := startProc(t, dir, addr, env(addr), "--db", db)
	p.waitReady(10 * time.Second)
	c := newClient(t, 10*time.Second)
	emails := make([]string, n)
	var acked []int64
	for i := range n {
		emails[i] = fmt.Sprintf("citizen%02d@example.org", i)
		body, _ := json.Marshal(map[string]string{
			"name": fmt.Sprintf("Citizen %d", i), "phone": phoneFor(int64(800 + i)),
			"region": storetest.Leaves[i%len(storetest.Leaves)], "email": emails[i], "lang": "en",
		})
		resp, err := c.Post(p.base()+"/api/v1/campaigns/"+campaignSlug+"/pledges", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("pledge %d: %v", i, err)
		}
		var rec receipt
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil || rec.Number < 1 {
			t.Fatalf("pledge %d: %d (%v), want 201 with a receipt", i, resp.StatusCode, err)
		}
		acked = append(acked, rec.Number)
	}
	if got := smtpSrv.Messages(); len(got) != 0 {
		t.Fatalf("%d mails arrived while the mail server was refusing mail", len(got))
	}
	p.signal(syscall.SIGKILL, 10*time.Second)
	killed := time.Now()
	if got := smtpSrv.Messages(); len(got) != 0 {
		t.Fatalf("%d mails arrived before the kill; want none (the mail server was refusing mail)", len(got))
	}

	// Between commit and send: every acknowledged pledge's confirmation
	// mail is queued, as a job of its own or inside its batch's job, and
	// none is done.
	queued := map[int64]bool{}
	byState := map[string]int{}
	for _, j := range mailJobs(t, db) {
		byState[j.kind+"/"+j.state]++
		switch {
		case j.kind == (pledge.ConfirmationMailArgs{}).Kind() && !waitingJob(j.state):
			t.Errorf("a confirmation mail job for %v is %s after the kill; want it waiting", j.numbers, j.state)
		case waitingJob(j.state):
			for _, num := range j.numbers {
				queued[num] = true
			}
		}
	}
	t.Logf("mail jobs after the kill: %v", byState)
	for _, num := range acked {
		if !queued[num] {
			t.Errorf("pledge #%d was acknowledged but no job waits to send its mail", num)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The mail server recovers and a new process runs on the same database.
	smtpSrv.FailTemporarily(false)
	addr = freeAddr(t)
	p = startProc(t, dir, addr, env(addr), "--db", db)
	p.waitReady(10 * time.Second)
	perAddr := func() map[string]int {
		got := map[string]int{}
		for _, m := range smtpSrv.Messages() {
			for _, to := range m.To {
				got[strings.ToLower(to)]++
			}
		}
		return got
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := perAddr()
		missing := 0
		for _, e := range emails {
			if got[e] == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if p.exited() {
			t.Fatalf("pledge serve exited: %v\n%s", p.waitErr, p.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d addresses got no mail within 60s of the restart\noutput:\n%s", missing, n, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all %d mails arrived %v after the kill", n, time.Since(killed).Round(time.Millisecond))

	// Jobs the kill left running (a batch job whose mail jobs were
	// enqueued but whose completion was not yet recorded) are rescued and
	// run again; wait for every mail job to complete, so that a rescued
	// job that sent mail twice would be seen.
	for {
		waiting := map[string]int{}
		for _, j := range mailJobs(t, db) {
			if j.state != "completed" {
				waiting[j.kind+"/"+j.state]++
			}
		}
		if len(waiting) == 0 {
			break
		}
		if p.exited() {
			t.Fatalf("pledge serve exited: %v\n%s", p.waitErr, p.out.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail jobs not completed within 60s of the restart: %v\noutput:\n%s", waiting, p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("all mail jobs completed %v after the kill", time.Since(killed).Round(time.Millisecond))

	// Stop the process cleanly: from then on nothing more can be sent, so
	// the count is final. Every address got exactly one mail.
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("pledge serve exited with %d after SIGTERM\n%s", code, p.out.String())
	}
	got := perAddr()
	for _, e := range emails {
		if got[e] != 1 {
			t.Errorf("%s got %d mails, want 1", e, got[e])
		}
	}
	if len(got) != n {
		t.Errorf("mail went to %d addresses, want %d: %v", len(got), n, got)
	}
	ids := map[string]bool{}
	for _, m := range smtpSrv.Messages() {
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) != n {
		t.Errorf("%d distinct Message-IDs among the mails, want %d", len(ids), n)
	}

	// And the pledges themselves are all there, counted once.
	s, err = sqlite.Open(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.Audit(ctx, camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Consistent() || a.Rows != n {
		t.Errorf("audit after the restart: %+v; want %d rows, consistent", a, n)
	}
}

// mailJob is one mail job row of River's table: a pledge's confirmation
// mail, or the job a committed batch enqueues for the mails of its pledges.
type mailJob struct {
	kind, state string
	numbers     []int64 // the pledges whose confirmation mail the job is, or will enqueue
}

// newMailJob is a row of River's table: a confirmation mail job names one
// number, a batch's mail job several.
func newMailJob(t *testing.T, kind, state, args string) mailJob {
	t.Helper()
	var a struct {
		Number  int64   `json:"number"`
		Numbers []int64 `json:"numbers"`
	}
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Fatalf("args of a %s job %q: %v", kind, args, err)
	}
	j := mailJob{kind: kind, state: state, numbers: a.Numbers}
	if a.Number > 0 {
		j.numbers = []int64{a.Number}
	}
	return j
}

// mailJobs reads the confirmation mail jobs and the batch mail jobs from
// River's table in the SQLite database at path. A running server may be
// writing to it: SQLite's WAL lets this reader look at the same time.
func mailJobs(t *testing.T, path string) []mailJob {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(ON)")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT kind, state, json(args) FROM river_job WHERE kind IN (?, ?)`,
		pledge.ConfirmationMailArgs{}.Kind(), pledge.MailBatchArgs{}.Kind())
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
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitingJob reports whether a job in state has yet to run (again).
func waitingJob(state string) bool {
	switch state {
	case "available", "pending", "retryable", "running", "scheduled":
		return true
	}
	return false
}
