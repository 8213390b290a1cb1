package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/syncbuf"
)

func TestBuildInfoString(t *testing.T) {
	for _, tc := range []struct {
		b           buildInfo
		line, short string
	}{
		{buildInfo{Version: "v1.4.0", Revision: "63e1b3e1f2a4c0ffee0123456789abcdef012345", Time: "2026-11-28T00:01:53Z", GoVersion: "go1.26.8"},
			"pledge v1.4.0 (revision 63e1b3e1f2a4, 2026-11-28T00:01:53Z), go1.26.8", "v1.4.0 63e1b3e1f2a4"},
		{buildInfo{Version: "v1.4.0", Revision: "63e1b3e1f2a4c0ffee0123456789abcdef012345", Time: "2026-11-28T00:01:53Z", Dirty: true, GoVersion: "go1.26.8"},
			"pledge v1.4.0 (revision 63e1b3e1f2a4, 2026-11-28T00:01:53Z, dirty), go1.26.8", "v1.4.0 63e1b3e1f2a4 dirty"},
		// A pseudo-version names the revision and the dirty tree already.
		{buildInfo{Version: "v0.0.0-20261128000153-63e1b3e1f2a4+dirty", Revision: "63e1b3e1f2a4c0ffee0123456789abcdef012345", Dirty: true, GoVersion: "go1.26.8"},
			"pledge v0.0.0-20261128000153-63e1b3e1f2a4+dirty (revision 63e1b3e1f2a4, dirty), go1.26.8", "v0.0.0-20261128000153-63e1b3e1f2a4+dirty"},
		{buildInfo{Version: "(devel)", GoVersion: "go1.26.8"},
			"pledge (devel) (no revision recorded), go1.26.8", "(devel)"},
	} {
		if got := tc.b.String(); got != tc.line {
			t.Errorf("String() = %q\nwant       %q", got, tc.line)
		}
		if got := tc.b.short(); got != tc.short {
			t.Errorf("short() = %q, want %q", got, tc.short)
		}
	}
}

// TestVersionCommand: pledge version prints one line: the version, the
// revision or that none is recorded, and the Go version.
func TestVersionCommand(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"version"}, nil, strings.NewReader(""), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^pledge \S+ \((revision [0-9a-f]{1,12}(, [0-9TZ:-]+)?(, dirty)?|no revision recorded)\), go\S+\n$`)
	if !line.MatchString(stdout.String()) || !strings.HasSuffix(stdout.String(), ", "+runtime.Version()+"\n") {
		t.Errorf("pledge version printed %q, want one line like %q ending in %s", stdout.String(),
			"pledge v1.4.0 (revision 63e1b3e1f2a4, 2026-11-28T00:01:53Z), go1.26.8", runtime.Version())
	}
}

// TestServeTellsItsBuild: serve's first log line gives the build (version,
// revision, its time, dirty, Go version), and /metrics has
// pledge_build_info with the same labels.
func TestServeTellsItsBuild(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncbuf.Buffer
	env := []string{"PLEDGE_DATABASE_URL=" + filepath.Join(t.TempDir(), "p.db"), "PLEDGE_ADDR=127.0.0.1:0", "PLEDGE_WORKERS=0"}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env, strings.NewReader(""), io.Discard, &logs) }()
	serving := regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)
	deadline := time.Now().Add(20 * time.Second)
	for !serving.MatchString(logs.String()) {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	first, _, _ := strings.Cut(logs.String(), "\n")
	var start map[string]any
	if err := json.Unmarshal([]byte(first), &start); err != nil {
		t.Fatalf("first log line %q: %v", first, err)
	}
	b := readBuildInfo()
	want := map[string]any{"msg": "starting", "version": b.Version, "revision": b.Revision, "vcs_time": b.Time, "dirty": b.Dirty, "go_version": runtime.Version()}
	for k, v := range want {
		if start[k] != v {
			t.Errorf("first log line's %s = %v, want %v\n%s", k, start[k], v, first)
		}
	}

	addr := serving.FindStringSubmatch(logs.String())[1]
	st, body, err := getBody(newClient(t, 10*time.Second), "http://"+addr+"/metrics")
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", st, err)
	}
	series := regexp.MustCompile(`(?m)^pledge_build_info\{goversion="` + regexp.QuoteMeta(runtime.Version()) +
		`",revision="` + regexp.QuoteMeta(b.Revision) + `",version="` + regexp.QuoteMeta(b.Version) + `"\} 1$`)
	if !series.MatchString(body) {
		t.Errorf("/metrics lacks pledge_build_info for this build:\n%s", grepLines(body, "build_info"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
