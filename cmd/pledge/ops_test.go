package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/metrics/metricstest"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

// opsPortal runs serve() in this process on a fresh SQLite file with the
// demo campaign, logging JSON at info into logs.
type opsPortal struct {
	base string
	logs *syncbuf.Buffer
	c    *http.Client
}

func startOpsPortal(t *testing.T, edit func(*config.Config)) *opsPortal {
	t.Helper()
	cfg := config.Default()
	cfg.Addr = freeAddr(t)
	cfg.Database = filepath.Join(t.TempDir(), "ops.db")
	cfg.LimitIP = 0
	cfg.Workers = 0
	if edit != nil {
		edit(&cfg)
	}
	logs := new(syncbuf.Buffer)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	p := &opsPortal{base: "http://" + cfg.Addr, logs: logs, c: newClient(t, 10*time.Second)}
	for deadline := time.Now().Add(20 * time.Second); ; {
		if res, err := p.c.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("portal not ready:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

func (p *opsPortal) pledge(t *testing.T, name, phone string) int {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"phone":%q,"region":"KOTA","lang":"en"}`, name, phone)
	res, err := p.c.Post(p.base+"/api/v1/campaigns/"+demoSlug+"/pledges", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestMetricsMoveWithTraffic: /metrics parses, passes promlint, and its
// counters move by exactly the traffic sent.
func TestMetricsMoveWithTraffic(t *testing.T) {
	p := startOpsPortal(t, nil)
	before := metricstest.Scrape(t, p.c, p.base+"/metrics")
	codes := []int{
		p.pledge(t, "Asha Verma", "9876500001"),
		p.pledge(t, "Ravi Kumar", "9876500002"),
		p.pledge(t, "Ravi again", "+91 98765-00002"), // duplicate
		p.pledge(t, "No Number", "12"),               // invalid
	}
	if want := []int{201, 201, 409, 400}; fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v", codes, want)
	}
	after := metricstest.Scrape(t, p.c, p.base+"/metrics")
	route := "route=POST /api/v1/campaigns/{slug}/pledges"
	for key, want := range map[string]float64{
		`pledge_pledges_total{result=accepted}`:                              2,
		`pledge_pledges_total{result=duplicate}`:                             1,
		`pledge_pledges_total{result=rejected}`:                              1,
		`pledge_http_requests_total{code=201,method=POST,` + route + `}`:     2,
		`pledge_http_requests_total{code=409,method=POST,` + route + `}`:     1,
		`pledge_http_requests_total{code=400,method=POST,` + route + `}`:     1,
		`pledge_http_request_duration_seconds{method=POST,` + route + `}`:    4,
		`pledge_http_requests_total{code=200,method=GET,route=GET /metrics}`: 1,
		`pledge_intake_batch_size{}`:                                         3,
		`pledge_intake_commit_duration_seconds{}`:                            3,
	} {
		if got := after[key] - before[key]; got != want {
			t.Errorf("%s moved by %v, want %v", key, got, want)
		}
	}
	for _, key := range []string{"pledge_database_up{}", "pledge_intake_queue_capacity{}", "pledge_db_connections_max{}"} {
		if after[key] <= 0 {
			t.Errorf("%s = %v, want > 0", key, after[key])
		}
	}
	if _, ok := after["go_goroutines{}"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

// TestRequestLog: one JSON line per request with the documented fields,
// the request ID answered in X-Request-Id, and nothing personal logged.
func TestRequestLog(t *testing.T) {
	p := startOpsPortal(t, nil)
	req, _ := http.NewRequest(http.MethodPost, p.base+"/api/v1/campaigns/"+demoSlug+"/pledges",
		strings.NewReader(`{"name":"Meera Secretname","phone":"9876543211","region":"KOTA","lang":"en","email":""}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "from-a-stranger") // not a trusted proxy: replaced
	res, err := p.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var receipt struct {
		CertificateURL string `json:"certificate_url"`
	}
	json.NewDecoder(res.Body).Decode(&receipt)
	res.Body.Close()
	id := res.Header.Get("X-Request-Id")
	if res.StatusCode != 201 || len(id) != 16 || id == "from-a-stranger" {
		t.Fatalf("status %d, X-Request-Id %q", res.StatusCode, id)
	}
	res, err = p.c.Get(receipt.CertificateURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	time.Sleep(50 * time.Millisecond) // the line is written after the answer
	var line map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.logs.String()))
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == "request" && l["request_id"] == id {
			line = l
		}
	}
	if line == nil {
		t.Fatalf("no request line with id %s in:\n%s", id, p.logs.String())
	}
	for k, want := range map[string]any{"method": "POST", "route": "POST /api/v1/campaigns/{slug}/pledges", "status": float64(201), "level": "INFO"} {
		if line[k] != want {
			t.Errorf("log field %s = %v, want %v", k, line[k], want)
		}
	}
	if d, ok := line["duration_ms"].(float64); !ok || d <= 0 {
		t.Errorf("duration_ms = %v", line["duration_ms"])
	}
	if b, ok := line["bytes"].(float64); !ok || b <= 0 {
		t.Errorf("bytes = %v", line["bytes"])
	}
	token := strings.TrimPrefix(strings.SplitN(receipt.CertificateURL, "?", 2)[0], p.base+"/certificate/")
	for _, secret := range []string{"Secretname", "9876543211", "543211", token} {
		if strings.Contains(p.logs.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	if !strings.Contains(p.logs.String(), `"route":"GET /certificate/{token}"`) {
		t.Error("the certificate request is not logged by its route pattern")
	}
	// The admin console has its own mux: its pattern, not "/admin/", names
	// the request in the log and the metrics.
	res, err = p.c.Get(p.base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	time.Sleep(50 * time.Millisecond)
	if !strings.Contains(p.logs.String(), `"route":"GET /admin/login"`) {
		t.Errorf("the console's log-in page is not logged by its route pattern:\n%s", p.logs.String())
	}
	if n := metricstest.Scrape(t, p.c, p.base+"/metrics")["pledge_http_requests_total{code=200,method=GET,route=GET /admin/login}"]; n != 1 {
		t.Errorf("%v requests counted for the route GET /admin/login, want 1", n)
	}
}

// TestMetricsOnTheirOwnAddress: with PLEDGE_METRICS_ADDR, /metrics leaves
// the public port.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	maddr := freeAddr(t)
	p := startOpsPortal(t, func(c *config.Config) { c.MetricsAddr = maddr })
	res, err := p.c.Get(p.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public port: %d, want 404", res.StatusCode)
	}
	m := metricstest.Scrape(t, p.c, "http://"+maddr+"/metrics")
	if m["pledge_database_up{}"] != 1 {
		t.Errorf("pledge_database_up = %v", m["pledge_database_up{}"])
	}
}

// TestRedisDownFromTheStart: a portal whose Redis never answers says so in
// /readyz before any request has needed Redis, keeps taking pledges, and
// its stderr stays JSON, one object a line (the Redis client's own
// complaints included).
func TestRedisDownFromTheStart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProc(t, dir, addr, []string{"PLEDGE_REDIS_URL=redis://127.0.0.1:1/0"}, "--db", filepath.Join(dir, "p.db"))
	p.waitReady(20 * time.Second)
	c := newClient(t, 10*time.Second)
	readyz := func() string {
		t.Helper()
		st, body, err := getBody(c, p.base()+"/readyz")
		if err != nil || st != http.StatusOK {
			t.Fatalf("/readyz: %d %v %s", st, err, body)
		}
		return body
	}
	if body := readyz(); !strings.Contains(body, "redis unreachable") {
		t.Errorf("/readyz before any pledge = %s, want rate limits local (redis unreachable)", body)
	}
	for i := range 5 {
		if st, _, body, err := postPledge(c, p.base(), "Asha", phoneFor(int64(i+1)), "KOTA"); err != nil || st != http.StatusCreated {
			t.Fatalf("pledge %d: %d %v %s", i, st, err, body)
		}
	}
	time.Sleep(1500 * time.Millisecond) // the Redis client retries and complains meanwhile
	if body := readyz(); !strings.Contains(body, "redis unreachable") {
		t.Errorf("/readyz after pledges = %s, want rate limits local (redis unreachable)", body)
	}
	if code := p.signal(syscall.SIGTERM, 20*time.Second); code != 0 {
		t.Errorf("exit %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("stderr line is not JSON: %s", sc.Text())
		}
	}
}

// TestSystemdUnitOutwaitsShutdown: the unit in deploy/systemd gives the
// portal longer to stop than its shutdown takes at most (twice the
// default timeout: the requests, then the drain and the workers), or
// systemd would kill the drain of the queue.
func TestSystemdUnitOutwaitsShutdown(t *testing.T) {
	b, err := os.ReadFile("../../deploy/systemd/pledge.service")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)s$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the unit sets no TimeoutStopSec in seconds")
	}
	stop, _ := strconv.Atoi(string(m[1]))
	if most := 2 * config.Default().ShutdownTimeout; time.Duration(stop)*time.Second <= most {
		t.Errorf("TimeoutStopSec=%ds, want more than the %v shutdown may take", stop, most)
	}
}
