package main

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// TestStartingAnswersAtOnce: while the database is still opening (here its
// write lock is held elsewhere, as a long migration would hold it), the
// port answers at once, 503 with Retry-After but 200 on /healthz, instead
// of leaving requests in the listen queue; then the portal takes pledges.
func TestStartingAnswersAtOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "pledge.db")
	s, err := sqlite.Open(context.Background(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	lock, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	p := startServer(t, dir, freeAddr(t), db)
	c := newClient(t, 2*time.Second)
	// Behind nginx (the instance trusts the client as its proxy) a request
	// gets its connection closed, unanswered, which nginx takes for a failed
	// attempt and sends elsewhere; /healthz still answers.
	behind := startProc(t, dir, freeAddr(t), []string{"PLEDGE_TRUSTED_PROXIES=127.0.0.1", "PLEDGE_BASE_URL=https://pledge.example.org"},
		"--db", db)
	get := func(path string) *http.Response {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := c.Get(p.base() + path)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp
			}
			if p.exited() || time.Now().After(deadline) {
				t.Fatalf("GET %s while starting: %v\noutput:\n%s", path, err, p.out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, path := range []string{"/readyz", "/c/" + slug} {
		if resp := get(path); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("GET %s while the database opens: %d, Retry-After %q; want 503 and 1", path, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if code, _, _, err := postPledge(c, p.base(), "Early Bird", phoneFor(1), "KOTA"); err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("pledge while the database opens: %d, %v; want 503", code, err)
	}
	if resp := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz while the database opens: %d, want 200: the process is alive", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(behind.base() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /healthz from the proxy while the database opens: %d, want 200", resp.StatusCode)
			}
			break
		}
		if behind.exited() || time.Now().After(deadline) {
			t.Fatalf("GET /healthz from the proxy while starting: %v\noutput:\n%s", err, behind.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, err := c.Get(behind.base() + "/readyz"); err == nil {
		resp.Body.Close()
		t.Errorf("GET /readyz from the proxy while the database opens: %d, want the connection closed unanswered", resp.StatusCode)
	}

	// Stopped while it starts, it exits 0: as asked, not a failure.
	stopping := startServer(t, dir, freeAddr(t), db)
	time.Sleep(300 * time.Millisecond)
	if code := stopping.signal(syscall.SIGTERM, 15*time.Second); code != 0 {
		t.Errorf("SIGTERM while starting: exit status %d, want 0\noutput:\n%s", code, stopping.out.String())
	}

	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	p.waitReady(20 * time.Second)
	behind.waitReady(20 * time.Second)
	if code, _, body, err := postPledge(c, p.base(), "Early Bird", phoneFor(1), "KOTA"); err != nil || code != http.StatusCreated {
		t.Errorf("pledge once ready: %d, %v: %s", code, err, body)
	}
}
