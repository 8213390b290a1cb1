package web_test

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/web"
)

// startNginx runs deploy/nginx.conf in front of the portal p: the same
// file, with its listen address and upstream servers pointed at this
// test's, and one worker. It returns the proxy's base URL. Skipped where
// nginx is not installed, unless PLEDGE_TEST_REQUIRE_SERVICES=1 (as CI,
// which installs it, sets it).
func startNginx(t *testing.T, p *portal) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx" // where Debian puts it, often off a user's PATH
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("PLEDGE_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatal("nginx is not installed but PLEDGE_TEST_REQUIRE_SERVICES=1")
			}
			t.Skip("nginx is not installed")
		}
	}
	conf, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	upstream := strings.TrimPrefix(p.URL, "http://")
	s := regexp.MustCompile(`(?m)^\s*server 127\.0\.0\.1:808[1-3][^;]*;\n`).ReplaceAllString(string(conf), "")
	for old, repl := range map[string]string{
		"worker_processes auto;":              "worker_processes 1;",
		"listen 127.0.0.1:8080 backlog=4096;": "listen " + addr + ";",
		"least_conn;":                         "least_conn;\n        server " + upstream + ";",
		"worker_connections 16384;":           "worker_connections 256;",
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("deploy/nginx.conf has no %q any more: update this test", old)
		}
		s = strings.Replace(s, old, repl, 1)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	global := "daemon off;"
	if os.Geteuid() == 0 {
		// Workers as the master's user, who owns the temporary prefix:
		// nginx's default (nobody) may not enter it to write the cache.
		global += " user root;"
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", global)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			errLog, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			t.Logf("nginx: %s\nerror.log:\n%s", out.String(), errLog)
		}
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			errLog, _ := os.ReadFile(filepath.Join(dir, "logs", "error.log"))
			t.Fatalf("nginx did not start: %s %s", out.String(), errLog)
		}
	}
}

// TestCorrectedNameThroughNginx: behind deploy/nginx.conf, whose cache
// keeps certificate pictures an hour whatever the portal says, a page
// read after a name correction links pictures of the new name, and every
// picture nginx answers under a versioned URL is the portal's current
// one: the old version is sent to the new (and that answer is not
// cached), so a name corrected back to an earlier one is not shown with
// a picture of the other name that nginx kept.
func TestCorrectedNameThroughNginx(t *testing.T) {
	t.Parallel()
	// One public address, as production sets it: else the QR code names
	// the Host each request came with, nginx's or the portal's own.
	p := newPortal(t, withRenderer(newRenderer(t, certificate.Options{})),
		withDeps(func(d *web.Deps) { d.BaseURL = "https://pledge.example.org" }))
	proxy := startNginx(t, p)
	via := &portal{URL: proxy, Store: p.Store, Campaign: p.Campaign, Links: p.Links, Tokens: p.Tokens, Client: p.Client}

	rec := via.mustPledge(t, "vote", "Eamesh Kumar", "9876543210", "N1", "en")
	withdraw := p.Links.WithdrawPath("vote", p.Campaign.ID, rec.Number)
	certPage := func(lang string) (share, full string) {
		t.Helper()
		page := via.get(t, "/certificate/"+rec.Token+"?lang="+lang)
		wantStatus(t, page, http.StatusOK)
		return pictures(t, page)
	}
	// fresh fetches path through nginx and fails t unless the answer is
	// the picture the portal itself answers now: the name as it is.
	fresh := func(path string) response {
		t.Helper()
		got := via.get(t, path)
		wantStatus(t, got, http.StatusOK)
		want := p.get(t, path)
		if !bytes.Equal(got.Body, want.Body) || got.Header.Get("ETag") != want.Header.Get("ETag") {
			t.Fatalf("nginx answers %s with ETag %s (cache %s), the portal now with %s", path,
				got.Header.Get("ETag"), got.Header.Get("X-Cache-Status"), want.Header.Get("ETag"))
		}
		return got
	}

	_, fullEn := certPage("en")
	first := fresh(fullEn)
	if again := via.get(t, fullEn); again.Header.Get("X-Cache-Status") != "HIT" || !bytes.Equal(again.Body, first.Body) {
		t.Fatalf("nginx does not cache the picture (X-Cache-Status %q): this test would prove nothing", again.Header.Get("X-Cache-Status"))
	}
	_, fullHi := certPage("hi") // linked, not fetched yet

	correct := func(name string) {
		t.Helper()
		r := via.postForm(t, withdraw+"/name?lang=en", url.Values{"name": {name}}, "Origin", proxy, "Sec-Fetch-Site", "same-origin")
		wantStatus(t, r, http.StatusSeeOther)
	}
	correct("Ramesh Kumar")
	_, fullEn2 := certPage("en")
	if fullEn2 == fullEn {
		t.Fatal("the page links the same picture after the correction")
	}
	if got := fresh(fullEn2); bytes.Equal(got.Body, first.Body) {
		t.Fatal("the corrected picture is the old one")
	}
	mustContain(t, via.get(t, "/verify/"+p.Links.Verify.Encode(p.Campaign.ID, rec.Number)+"?lang=en").text(),
		`R<span aria-hidden="true">***</span> K<span aria-hidden="true">***</span>`)

	// The Hindi picture's old version, asked for after the correction (a
	// page read before it): answered with the new picture, and not kept.
	_, fullHi2 := certPage("hi")
	for range 2 {
		r := via.get(t, fullHi)
		if r.Status != http.StatusOK || r.Header.Get("X-Cache-Status") == "HIT" {
			t.Fatalf("old version through nginx: %d, cache %q; want 200, not cached", r.Status, r.Header.Get("X-Cache-Status"))
		}
		if now := via.get(t, fullHi2); !bytes.Equal(r.Body, now.Body) {
			t.Fatal("old version through nginx: not the corrected picture")
		}
	}
	// Back to the first name: the pages link the first versions again,
	// and nginx answers each with the first name's picture.
	correct("Eamesh Kumar")
	_, fullEn3 := certPage("en")
	_, fullHi3 := certPage("hi")
	if fullEn3 != fullEn || fullHi3 != fullHi {
		t.Fatalf("the first name's pictures are linked as %s and %s, want %s and %s", fullEn3, fullHi3, fullEn, fullHi)
	}
	fresh(fullEn3)
	fresh(fullHi3)
}
