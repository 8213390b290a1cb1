package main

// Helpers for the process-level tests in process_test.go: the binary built
// once in TestMain, real `pledge serve` processes on real ports and SQLite
// files, and a small HTTP client for the JSON API.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

// binPath is the pledge binary TestMain builds for every process test.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pledge-process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "process tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "pledge")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", binPath, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "process tests: go build:", err)
		return 1
	}
	return m.Run()
}

// goTool is the go command on PATH, or Go's usual install place.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

const (
	slug        = demoSlug
	pledgesPath = "/api/v1/campaigns/" + slug + "/pledges"
	statsPath   = "/api/v1/campaigns/" + slug + "/stats"
)

// leaves are the demo campaign's leaf regions.
var leaves = []string{"KOTA", "TAKHATPUR", "BILHA", "BILASPUR", "BELTARA", "MASTURI"}

// cleanEnv is the whole environment a server process gets: nothing from the
// developer's shell (no PLEDGE_DATABASE_URL, PLEDGE_SECRET, ...). The per-IP
// limit is off because every test client shares 127.0.0.1.
func cleanEnv(home string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "PLEDGE_LOG_LEVEL=warn", "PLEDGE_LIMIT_IP=0"}
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// proc is one running `pledge serve`.
type proc struct {
	t       testing.TB
	cmd     *exec.Cmd
	addr    string
	started time.Time
	out     *syncbuf.Buffer // stdout and stderr
	done    chan struct{}
	waitErr error // set before done is closed
}

// startServer starts `pledge serve --addr addr --db db` in dir with a clean
// environment. The process is killed in t.Cleanup if it is still running.
func startServer(t testing.TB, dir, addr, db string) *proc {
	t.Helper()
	return startProc(t, dir, addr, nil, "--db", db)
}

// startProc starts `pledge serve --addr addr args...` in dir with the clean
// environment plus env, and kills it in t.Cleanup if it is still running.
func startProc(t testing.TB, dir, addr string, env []string, args ...string) *proc {
	t.Helper()
	return startCmd(t, dir, addr, env, append([]string{"serve", "--addr", addr}, args...)...)
}

// startCmd starts `pledge args...` in dir with the clean environment plus
// env (later entries win), and kills it in t.Cleanup if it is still running.
// addr is where it serves, if it does.
func startCmd(t testing.TB, dir, addr string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, addr: addr, out: new(syncbuf.Buffer), done: make(chan struct{})}
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(cleanEnv(dir), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pledge %s: %v", args[0], err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.exited() {
			return
		}
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("pledge %s (pid %d) did not die after SIGKILL", args[0], p.cmd.Process.Pid)
		}
	})
	return p
}

func (p *proc) base() string { return "http://" + p.addr }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200, failing the test after
// timeout or when the process exits first.
func (p *proc) waitReady(timeout time.Duration) {
	p.t.Helper()
	c := &http.Client{Timeout: time.Second}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p.exited() {
			p.t.Fatalf("pledge serve exited before it was ready: %v\noutput:\n%s", p.waitErr, p.out.String())
		}
		resp, err := c.Get(p.base() + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("pledge serve not ready after %v\noutput:\n%s", timeout, p.out.String())
}

// signal sends sig and waits up to timeout for the process to exit,
// returning its exit code (-1 when killed by a signal).
func (p *proc) signal(sig syscall.Signal, timeout time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !p.exited() {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("pledge serve did not exit within %v of %v\noutput:\n%s", timeout, sig, p.out.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// runCmd runs the binary to completion with a clean environment and returns
// its exit code, stdout and stderr.
func runCmd(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runCmdEnv(t, dir, nil, args...)
}

// runCmdEnv is runCmd with env added to the clean environment (later
// entries win).
func runCmdEnv(t testing.TB, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(dir), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("pledge %s did not finish within 15s", strings.Join(args, " "))
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("pledge %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// newClient is an HTTP client for one test; its idle connections are
// closed in t.Cleanup.
func newClient(t testing.TB, timeout time.Duration) *http.Client {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: timeout, Transport: tr}
}

// receipt is the 201 answer of the pledge API, with what was sent.
type receipt struct {
	Campaign       string `json:"campaign"`
	Number         int64  `json:"number"`
	Token          string `json:"token"`
	CertificateURL string `json:"certificate_url"`

	name, phone, region string
}

// pledgeBody is the JSON of one pledge.
func pledgeBody(name, phone, region string) []byte {
	b, _ := json.Marshal(map[string]string{"name": name, "phone": phone, "region": region, "lang": "en"})
	return b
}

// phoneFor is a distinct valid Indian mobile number for every i.
func phoneFor(i int64) string { return "9" + fmt.Sprintf("%09d", i) }

// postPledge sends one pledge. err is a transport error (the server may be
// down); otherwise status and, for 201, the receipt.
func postPledge(c *http.Client, base, name, phone, region string) (int, receipt, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, base+pledgesPath, bytes.NewReader(pledgeBody(name, phone, region)))
	if err != nil {
		return 0, receipt{}, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, receipt{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		// The status line arrived but not the body: an answer we cannot
		// count as an acknowledgement.
		return 0, receipt{}, nil, err
	}
	rec := receipt{name: name, phone: phone, region: region}
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(body, &rec); err != nil {
			return resp.StatusCode, rec, body, fmt.Errorf("201 with a body that is not a receipt: %v: %q", err, body)
		}
	}
	return resp.StatusCode, rec, body, nil
}

// getBody fetches url and returns status and body.
func getBody(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// stats reads the public stats of the demo campaign.
func stats(t testing.TB, c *http.Client, base string) (total int64, regions map[string]int64) {
	t.Helper()
	st, body, err := getBody(c, base+statsPath)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET stats: %d %v %q", st, err, body)
	}
	var s struct {
		Total   int64            `json:"total"`
		Regions map[string]int64 `json:"regions"`
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("stats body %q: %v", body, err)
	}
	return s.Total, s.Regions
}

// indianGrouping formats n as the certificate does in English: the Indian
// system, 12,34,567.
func indianGrouping(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) <= 3 {
		return s
	}
	head, tail := s[:len(s)-3], s[len(s)-3:]
	var parts []string
	for len(head) > 2 {
		parts = append([]string{head[len(head)-2:]}, parts...)
		head = head[:len(head)-2]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(parts, ",") + "," + tail
}

// openDB opens a stopped server's database with the product's own store and
// returns it with the demo campaign's ID; the caller closes it.
func openDB(t testing.TB, path string) (*sqlite.Store, int64) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	c, err := s.Campaign(ctx, slug)
	if err != nil {
		s.Close()
		t.Fatalf("demo campaign in %s: %v", path, err)
	}
	return s, c.ID
}

// checkStored asserts that the stopped server's database at path is
// consistent and holds every acknowledged pledge as it was sent. It returns
// the audit.
func checkStored(t testing.TB, path string, acks []receipt) pledge.Audit {
	t.Helper()
	ctx := context.Background()
	s, id := openDB(t, path)
	defer s.Close()
	a, err := s.Audit(ctx, id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !a.Consistent() {
		t.Errorf("audit not consistent: %+v", a)
	}
	if a.Rows < int64(len(acks)) {
		t.Errorf("audit rows = %d, but %d pledges were acknowledged with 201", a.Rows, len(acks))
	}
	missing := 0
	for _, r := range acks {
		p, err := s.Pledge(ctx, id, r.Number)
		if err != nil {
			if missing++; missing <= 10 {
				t.Errorf("acknowledged pledge #%d (%s) not stored: %v", r.Number, r.name, err)
			}
			continue
		}
		if p.Name != r.name || p.Region != r.region || p.PhoneMasked != "******"+r.phone[len(r.phone)-4:] {
			if missing++; missing <= 10 {
				t.Errorf("pledge #%d stored as %q/%s/%s, acknowledged for %q/%s/%s",
					r.Number, p.Name, p.Region, p.PhoneMasked, r.name, r.region, r.phone)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged pledges missing or wrong in the database", missing, len(acks))
	}
	return a
}
