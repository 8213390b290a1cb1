package main

// Cluster tests: several real `pledge serve` processes sharing one
// PostgreSQL schema, as a deployment behind a load balancer runs them. They
// check that certificate numbers stay exact across instances, that the
// instances fail fast and recover by themselves when the database goes away
// for a moment, and that killing one instance loses nothing the other or the
// killed one acknowledged.
//
// They need PLEDGE_TEST_DATABASE_URL (skipped without it, failed when
// PLEDGE_TEST_REQUIRE_SERVICES=1); each test works in a schema of its own.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/store/postgres"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
)

// startInstance starts `pledge serve --addr addr args...` in dir with the
// clean environment plus env, the per-number limit off (every test reuses
// numbers on purpose). The process is killed in t.Cleanup.
func startInstance(t *testing.T, dir, addr string, env []string, args ...string) *proc {
	t.Helper()
	return startProc(t, dir, addr, append([]string{"PLEDGE_LIMIT_PHONE=0"}, env...), args...)
}

// openSchema opens the test schema with the product's own store (no
// migration) and returns it with the demo campaign's ID.
func openSchema(t *testing.T, dbURL string) (*postgres.Store, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, dbURL, slog.New(slog.DiscardHandler), postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	c, err := s.Campaign(ctx, slug)
	if err != nil {
		s.Close()
		t.Fatalf("demo campaign: %v", err)
	}
	return s, c.ID
}

// answer is what one pledge request got.
type answer struct {
	status     int // 0: no HTTP answer
	rec        receipt
	body       string
	retryAfter string
	start      time.Time
	took       time.Duration
	err        error
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%d %v", a.status, a.err)
	}
	return fmt.Sprintf("%d %s", a.status, strings.TrimSpace(a.body))
}

// sendPledge posts one JSON pledge and keeps the status, receipt, body and
// Retry-After header.
func sendPledge(c *http.Client, base, name, phone, region string) answer {
	a := answer{start: time.Now(), rec: receipt{name: name, phone: phone, region: region}}
	req, err := http.NewRequest(http.MethodPost, base+pledgesPath, bytes.NewReader(pledgeBody(name, phone, region)))
	if err != nil {
		a.err = err
		a.took = time.Since(a.start)
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		a.err = err
		a.took = time.Since(a.start)
		return a
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a.took = time.Since(a.start)
	if err != nil {
		a.err = err // a status line without its body is no answer
		return a
	}
	a.status, a.body, a.retryAfter = resp.StatusCode, string(body), resp.Header.Get("Retry-After")
	if a.status == http.StatusCreated {
		if err := json.Unmarshal(body, &a.rec); err != nil {
			a.err = fmt.Errorf("201 with a body that is not a receipt: %v", err)
		}
	}
	return a
}

// readyStatus is one /readyz probe: its status (0: no answer) and time.
func readyStatus(c *http.Client, base string) (int, time.Duration) {
	start := time.Now()
	st, _, err := getBody(c, base+"/readyz")
	if err != nil {
		return 0, time.Since(start)
	}
	return st, time.Since(start)
}

// statsSettle polls an instance's public stats until their total is want
// and the regions add up to it, or until timeout; it returns the last
// reading.
func statsSettle(c *http.Client, base string, want int64, timeout time.Duration) (total, sum int64, err error) {
	deadline := time.Now().Add(timeout)
	for {
		var st int
		var body string
		st, body, err = getBody(c, base+statsPath)
		if err == nil && st != http.StatusOK {
			err = fmt.Errorf("status %d: %s", st, body)
		}
		if err == nil {
			var s struct {
				Total   int64            `json:"total"`
				Regions map[string]int64 `json:"regions"`
			}
			if err = json.Unmarshal([]byte(body), &s); err == nil {
				total, sum = s.Total, 0
				for _, n := range s.Regions {
					sum += n
				}
				if total == want && sum == want {
					return total, sum, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return total, sum, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkCertificate fetches a receipt's certificate from base and reports
// what is wrong with it, or "".
func checkCertificate(c *http.Client, base string, r receipt) string {
	st, body, err := getBody(c, base+"/certificate/"+r.Token)
	switch {
	case err != nil || st != http.StatusOK:
		return fmt.Sprintf("certificate #%d on %s: %d %v", r.Number, base, st, err)
	case !strings.Contains(body, "#"+indianGrouping(r.Number)+"</dd>") || !strings.Contains(body, r.name):
		return fmt.Sprintf("certificate on %s does not show #%s for %q", base, indianGrouping(r.Number), r.name)
	}
	return ""
}

// checkAcksStored asserts that every acknowledged pledge is in the store as
// it was sent, and that no number was acknowledged twice.
func checkAcksStored(t *testing.T, s *postgres.Store, id int64, acks []receipt) {
	t.Helper()
	checkDistinctNumbers(t, acks)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bad := 0
	for _, r := range acks {
		p, err := s.Pledge(ctx, id, r.Number)
		switch {
		case err != nil:
			if bad++; bad <= 10 {
				t.Errorf("acknowledged pledge #%d (%s) not stored: %v", r.Number, r.phone, err)
			}
		case p.Name != r.name || p.Region != r.region || p.PhoneMasked != "******"+r.phone[len(r.phone)-4:]:
			if bad++; bad <= 10 {
				t.Errorf("pledge #%d stored as %q/%s/%s, acknowledged for %q/%s/%s",
					r.Number, p.Name, p.Region, p.PhoneMasked, r.name, r.region, r.phone)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d acknowledged pledges missing or wrong in the database", bad, len(acks))
	}
}

// TestClusterCountsExactly: three instances started at the same moment on
// one empty schema take 10,000 concurrent submissions (a fifth of them
// repeats) round-robin, plus 200 numbers each sent to all three instances at
// once. Every number is acknowledged exactly once, the certificate numbers
// are exactly 1..N, the store audits clean, every instance's stats say N and
// certificates resolve on instances that did not issue them.
func TestClusterCountsExactly(t *testing.T) {
	dbURL := pgtest.New(t, nil)
	const instances, workers = 3, 48
	const distinct, repeats, racers = 8000, 2000, 200
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewPCG(seed, 1))

	// All three at once: they race for the migration lock, the secret and
	// the demo campaign. One is given the database by environment.
	dir := t.TempDir()
	procs := make([]*proc, instances)
	begin := time.Now()
	for i := range procs {
		if i == 1 {
			procs[i] = startInstance(t, dir, freeAddr(t), []string{"PLEDGE_DATABASE_URL=" + dbURL})
		} else {
			procs[i] = startInstance(t, dir, freeAddr(t), nil, "--db", dbURL)
		}
	}
	for _, p := range procs {
		p.waitReady(20 * time.Second)
	}
	t.Logf("%d instances started together, all ready in %v", instances, time.Since(begin).Round(time.Millisecond))
	c := newClient(t, 10*time.Second)

	type job struct {
		i     int
		name  string
		phone string
		inst  int
	}
	jobs := make([]job, 0, distinct+repeats)
	for i := 1; i <= distinct; i++ {
		jobs = append(jobs, job{i: i, name: fmt.Sprintf("Cluster Voter %d", i), phone: phoneFor(int64(i))})
	}
	for range repeats {
		i := 1 + rng.IntN(distinct)
		jobs = append(jobs, job{i: i, name: fmt.Sprintf("Repeat Voter %d", i), phone: phoneFor(int64(i))})
	}
	rng.Shuffle(len(jobs), func(a, b int) { jobs[a], jobs[b] = jobs[b], jobs[a] })
	for k := range jobs {
		jobs[k].inst = k % instances
	}

	type outcome struct {
		inst int
		a    answer
	}
	var mu sync.Mutex
	got := make(map[string][]outcome, distinct+racers)
	var unexpected atomic.Int64
	record := func(phone string, inst int, a answer) {
		if a.err != nil || (a.status != http.StatusCreated && a.status != http.StatusConflict) {
			if unexpected.Add(1) <= 10 {
				t.Errorf("pledge %s on instance %d: %v", phone, inst, a)
			}
		}
		mu.Lock()
		got[phone] = append(got[phone], outcome{inst, a})
		mu.Unlock()
	}
	deadline := time.Now().Add(90 * time.Second) // a bound, not an expectation
	var skipped atomic.Int64

	loadStart := time.Now()
	queue := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if time.Now().After(deadline) {
					skipped.Add(1)
					continue
				}
				region := leaves[j.i%len(leaves)]
				record(j.phone, j.inst, sendPledge(c, procs[j.inst].base(), j.name, j.phone, region))
			}
		}()
	}
	// Meanwhile, rounds of ten numbers, each sent to every instance by
	// goroutines released together.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := 0; r < racers/10; r++ {
			if time.Now().After(deadline) {
				skipped.Add(int64(10 * instances))
				continue
			}
			release := make(chan struct{})
			var rw sync.WaitGroup
			for n := range 10 {
				i := distinct + r*10 + n + 1
				phone := phoneFor(int64(i))
				for inst := range instances {
					rw.Add(1)
					go func() {
						defer rw.Done()
						<-release
						name := fmt.Sprintf("Racing Voter %d via %d", i, inst)
						record(phone, inst, sendPledge(c, procs[inst].base(), name, phone, leaves[i%len(leaves)]))
					}()
				}
			}
			close(release)
			rw.Wait()
		}
	}()
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	took := time.Since(loadStart)
	sent := distinct + repeats + racers*instances
	t.Logf("%d submissions in %v (%.0f/s)", sent, took.Round(time.Millisecond), float64(sent)/took.Seconds())
	if n := skipped.Load(); n > 0 {
		t.Fatalf("%d submissions not sent within the time bound", n)
	}
	for i, p := range procs {
		if p.exited() {
			t.Fatalf("instance %d exited under load: %v\noutput:\n%s", i, p.waitErr, p.out.String())
		}
	}

	// Exactly one 201 per number, 409 for every other attempt, numbers
	// exactly 1..N.
	const n = distinct + racers
	if len(got) != n {
		t.Errorf("answers for %d numbers, want %d", len(got), n)
	}
	type issued struct {
		rec  receipt
		inst int
	}
	byNumber := make(map[int64]issued, n)
	var created []issued
	bad, reused := 0, 0
	for phone, outs := range got {
		ok := 0
		for _, o := range outs {
			if o.a.err == nil && o.a.status == http.StatusCreated {
				ok++
				created = append(created, issued{o.a.rec, o.inst})
				if prev, dup := byNumber[o.a.rec.Number]; dup {
					if reused++; reused <= 10 {
						t.Errorf("certificate number %d issued to %s (instance %d) and to %s (instance %d)",
							o.a.rec.Number, prev.rec.phone, prev.inst, phone, o.inst)
					}
				}
				byNumber[o.a.rec.Number] = issued{o.a.rec, o.inst}
			}
		}
		if ok != 1 {
			if bad++; bad <= 10 {
				t.Errorf("number %s answered 201 %d times over %d attempts, want exactly once", phone, ok, len(outs))
			}
		}
	}
	if bad > 0 || reused > 0 {
		t.Errorf("%d numbers not acknowledged exactly once; %d certificate numbers issued twice", bad, reused)
	}
	missing := 0
	for k := int64(1); k <= n; k++ {
		if _, ok := byNumber[k]; !ok {
			if missing++; missing <= 10 {
				t.Errorf("certificate number %d never issued", k)
			}
		}
	}
	if missing > 0 || len(byNumber) != n {
		t.Errorf("%d certificate numbers issued, %d of 1..%d missing", len(byNumber), missing, n)
	}
	for _, is := range created {
		if is.rec.Campaign != slug || !strings.HasPrefix(is.rec.CertificateURL, procs[is.inst].base()+"/certificate/") {
			t.Errorf("receipt %+v from instance %d: wrong campaign or certificate URL", is.rec, is.inst)
			break
		}
	}
	raced := 0
	for _, is := range created {
		if strings.HasPrefix(is.rec.name, "Racing Voter") {
			raced++
		}
	}
	t.Logf("%d numbers acknowledged, %d of them raced on all %d instances", len(created), raced, instances)

	// The store agrees.
	s, id := openSchema(t, dbURL)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := s.Audit(ctx, id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !a.Consistent() || a.Rows != n {
		t.Errorf("audit %+v: want consistent with %d rows", a, n)
	}

	// Every instance's public count reaches N within its cache time.
	for i, p := range procs {
		total, sum, err := statsSettle(c, p.base(), n, 5*time.Second)
		if err != nil || total != n || sum != n {
			t.Errorf("instance %d stats: total %d, regions sum %d, err %v; want %d", i, total, sum, err, n)
		}
	}

	// Certificates resolve on an instance that did not issue them.
	slices.SortFunc(created, func(x, y issued) int { return int(x.rec.Number - y.rec.Number) })
	step := max(1, len(created)/200)
	failed, checked := 0, 0
	for k := 0; k < len(created); k += step {
		is := created[k]
		other := (is.inst + 1 + k%(instances-1)) % instances
		checked++
		if problem := checkCertificate(c, procs[other].base(), is.rec); problem != "" {
			if failed++; failed <= 10 {
				t.Errorf("issued by instance %d: %s", is.inst, problem)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d certificates did not resolve on another instance", failed, checked)
	}
	for i, p := range procs {
		if lines := errorLines(p.out.String()); lines != "" {
			t.Errorf("instance %d logged errors:\n%s", i, lines)
		}
	}
}

// errorLines is the first few ERROR lines of a process's JSON log.
func errorLines(out string) string {
	var keep []string
	n := 0
	for line := range strings.Lines(out) {
		if strings.Contains(line, `"level":"ERROR"`) {
			if n++; n <= 10 {
				keep = append(keep, line)
			}
		}
	}
	if n > 10 {
		keep = append(keep, fmt.Sprintf("... and %d more\n", n-10))
	}
	return strings.Join(keep, "")
}

// pgProxy is a TCP proxy in front of PostgreSQL that can be cut: Cut closes
// every connection through it and closes each new one as soon as it is
// accepted, until Restore.
type pgProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	refused atomic.Int64
}

func startProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("proxy goroutines still running 5s after close")
		}
	})
	return p
}

func (p *pgProxy) addr() string { return p.ln.Addr().String() }

func (p *pgProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

// track registers conns unless the proxy is cut.
func (p *pgProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *pgProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *pgProxy) handle(down net.Conn) {
	defer p.wg.Done()
	if !p.track() {
		p.refused.Add(1)
		down.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		down.Close()
		return
	}
	if !p.track(down, up) { // cut while dialling
		p.refused.Add(1)
		down.Close()
		up.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, down)
	go pipe(down, up)
	<-done
	p.untrack(down, up) // unblocks the other direction
	<-done
}

// Cut drops every connection and refuses new ones until Restore.
func (p *pgProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore lets connections through again.
func (p *pgProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// probe is one timed request of a background poller.
type probe struct {
	inst   int
	start  time.Time
	took   time.Duration
	status int
}

// TestClusterSurvivesDatabaseOutage: two instances reach PostgreSQL through
// a proxy that is cut for a few seconds under continuous load. While it is
// cut, readiness fails within 2s and submissions sent during it fail fast
// with 503 and Retry-After, even while a batch whose COMMIT the cut caught
// waits to learn whether it was stored; once restored, both instances
// recover by themselves within 10s. Every acknowledged pledge is stored, and after retrying every number
// that got no 201, the store holds each number sent exactly once and the
// stats agree with it.
func TestClusterSurvivesDatabaseOutage(t *testing.T) {
	base := pgtest.BaseURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PLEDGE_TEST_DATABASE_URL: %v", err)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.HasPrefix(host, "/") || strings.Contains(u.Host, ",") {
		t.Skipf("the outage test needs one TCP host in PLEDGE_TEST_DATABASE_URL, not %q", u.Host)
	}
	if port == "" {
		port = "5432"
	}
	schema := pgtest.Schema(t, base)
	realURL := pgtest.URL(t, base, schema, nil)
	proxy := startProxy(t, net.JoinHostPort(host, port))
	u.Host = proxy.addr()
	proxiedURL := pgtest.URL(t, u.String(), schema, nil)

	const instances, workers = 2, 4
	const cutFor = 2500 * time.Millisecond
	dir := t.TempDir()
	procs := make([]*proc, instances)
	for i := range procs {
		procs[i] = startInstance(t, dir, freeAddr(t), nil, "--db", proxiedURL)
	}
	for _, p := range procs {
		p.waitReady(20 * time.Second)
	}
	c := newClient(t, 10*time.Second)

	// The load: unique numbers, round-robin, Retry-After honoured briefly.
	type attempt struct {
		inst  int
		phone string
		a     answer
	}
	var mu sync.Mutex
	var attempts []attempt
	var next atomic.Int64
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var wg sync.WaitGroup
	t.Cleanup(func() { halt(); wg.Wait() })
	hardStop := time.Now().Add(60 * time.Second)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20000 && time.Now().Before(hardStop); k++ {
				select {
				case <-stop:
					return
				default:
				}
				i := next.Add(1)
				inst := int(i) % instances
				phone := phoneFor(i)
				a := sendPledge(c, procs[inst].base(), fmt.Sprintf("Outage Voter %d", i), phone, leaves[int(i)%len(leaves)])
				mu.Lock()
				attempts = append(attempts, attempt{inst, phone, a})
				mu.Unlock()
				if a.status == http.StatusCreated {
					time.Sleep(2 * time.Millisecond)
				} else {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}

	// Readiness of each instance, probed throughout.
	var probes []probe
	for inst := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
			defer rc.CloseIdleConnections()
			for k := 0; k < 2000 && time.Now().Before(hardStop); k++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				st, took := readyStatus(rc, procs[inst].base())
				mu.Lock()
				probes = append(probes, probe{inst, start, took, st})
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}

	time.Sleep(700 * time.Millisecond)
	mu.Lock()
	warm := len(attempts)
	mu.Unlock()
	if warm == 0 {
		t.Fatal("no answer at all before the outage")
	}

	cutStart := time.Now()
	proxy.Cut()
	cutDone := time.Now()
	time.Sleep(cutFor)
	restoreAt := time.Now()
	proxy.Restore()

	// Recovery: each instance acknowledges a pledge sent after the restore
	// and reports ready again, without a restart.
	recovered := make([]time.Duration, instances)
	for {
		mu.Lock()
		for inst := range instances {
			if recovered[inst] != 0 {
				continue
			}
			created, ready := false, false
			for _, at := range attempts {
				if at.inst == inst && at.a.status == http.StatusCreated && at.a.start.After(restoreAt) {
					created = true
					break
				}
			}
			for _, pr := range probes {
				if pr.inst == inst && pr.status == http.StatusOK && pr.start.After(restoreAt) {
					ready = true
					break
				}
			}
			if created && ready {
				recovered[inst] = time.Since(restoreAt)
			}
		}
		mu.Unlock()
		if !slices.Contains(recovered, 0) || time.Since(restoreAt) > 10*time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // load on the recovered cluster
	halt()
	wg.Wait()
	for i, p := range procs {
		if p.exited() {
			t.Fatalf("instance %d exited: %v\noutput:\n%s", i, p.waitErr, p.out.String())
		}
	}
	t.Logf("cut for %v; proxy refused %d connections while cut", restoreAt.Sub(cutStart).Round(time.Millisecond), proxy.refused.Load())
	for inst, d := range recovered {
		if d == 0 {
			t.Errorf("instance %d did not take pledges and report ready again within 10s of the database coming back", inst)
		} else {
			t.Logf("instance %d recovered %v after the restore", inst, d.Round(time.Millisecond))
		}
	}

	// Readiness during the cut.
	for inst := range instances {
		var first time.Time
		wrong := 0
		for _, pr := range probes {
			if pr.inst != inst {
				continue
			}
			if pr.took > 2*time.Second {
				t.Errorf("instance %d: /readyz took %v", inst, pr.took.Round(time.Millisecond))
			}
			inCut := pr.start.After(cutDone) && pr.start.Add(pr.took).Before(restoreAt)
			if !inCut {
				continue
			}
			if pr.status == http.StatusServiceUnavailable {
				if first.IsZero() {
					first = pr.start.Add(pr.took)
				}
			} else {
				wrong++
			}
		}
		switch {
		case first.IsZero():
			t.Errorf("instance %d: /readyz never answered 503 while the database was cut off", inst)
		case first.Sub(cutStart) > 2*time.Second:
			t.Errorf("instance %d: /readyz first answered 503 %v after the cut; want within 2s", inst, first.Sub(cutStart).Round(time.Millisecond))
		default:
			t.Logf("instance %d: /readyz answered 503 %v after the cut", inst, first.Sub(cutStart).Round(time.Millisecond))
		}
		if wrong > 0 {
			t.Errorf("instance %d: %d /readyz probes made entirely during the cut did not answer 503", inst, wrong)
		}
	}

	// Submissions: fail fast with 503 and Retry-After during the cut, never
	// 500, never hang, never a lost answer.
	var acks []receipt
	var retry []attempt
	var during, unavailable, slow, wrong int
	var slowest time.Duration
	for _, at := range attempts {
		a := at.a
		end := a.start.Add(a.took)
		slowest = max(slowest, a.took)
		if a.took > 6*time.Second {
			if slow++; slow <= 5 {
				t.Errorf("pledge %s on instance %d took %v (%v)", at.phone, at.inst, a.took.Round(time.Millisecond), a)
			}
		}
		inCut := a.start.After(cutDone) && end.Before(restoreAt)
		if inCut {
			during++
		}
		// Only a batch whose COMMIT the cut caught waits for the database
		// to say whether it was stored; one sent later fails at once, and
		// must not queue behind it.
		if a.start.After(cutDone) && a.start.Before(restoreAt) && a.took > 2*time.Second {
			if slow++; slow <= 5 {
				t.Errorf("pledge %s on instance %d, sent %v into the cut, took %v; want a fast answer",
					at.phone, at.inst, a.start.Sub(cutStart).Round(time.Millisecond), a.took.Round(time.Millisecond))
			}
		}
		switch {
		case a.err == nil && a.status == http.StatusCreated:
			if a.start.After(cutDone) && end.Before(restoreAt) {
				t.Errorf("pledge %s acknowledged while the database was unreachable", at.phone)
			}
			acks = append(acks, a.rec)
		case a.err == nil && a.status == http.StatusServiceUnavailable:
			unavailable++
			retry = append(retry, at)
			if a.retryAfter == "" {
				if wrong++; wrong <= 5 {
					t.Errorf("pledge %s: 503 without Retry-After", at.phone)
				}
			}
		default:
			retry = append(retry, at)
			if wrong++; wrong <= 5 {
				t.Errorf("pledge %s on instance %d (sent at cut%+v): %v; want 201 or 503",
					at.phone, at.inst, a.start.Sub(cutStart).Round(time.Millisecond), a)
			}
		}
	}
	t.Logf("%d submissions: %d acknowledged, %d answered 503, %d during the cut; slowest %v",
		len(attempts), len(acks), unavailable, during, slowest.Round(time.Millisecond))
	if wrong > 0 {
		t.Errorf("%d submissions answered neither 201 nor 503 with Retry-After", wrong)
	}
	if unavailable == 0 {
		t.Errorf("no submission was answered 503 while the database was cut off")
	}
	if during == 0 {
		t.Errorf("no submission was made entirely during the cut")
	}

	// Retry every number that got no 201: each is either stored now (201)
	// or was stored after all (409: its commit went through but the answer
	// was lost with the connection).
	storedUnanswered := 0
	for _, at := range retry {
		var a answer
		for try := 0; try < 5; try++ {
			a = sendPledge(c, procs[try%instances].base(), fmt.Sprintf("Outage Voter %s", at.phone[1:]), at.phone, leaves[0])
			if a.err == nil && a.status != http.StatusServiceUnavailable {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		switch {
		case a.err == nil && a.status == http.StatusCreated:
			acks = append(acks, a.rec)
		case a.err == nil && a.status == http.StatusConflict:
			storedUnanswered++
		default:
			t.Errorf("retry of %s after the outage: %v", at.phone, a)
		}
	}
	if storedUnanswered > 0 {
		t.Logf("note: %d numbers answered 503 (or not at all) had been stored all the same; their retry got 409", storedUnanswered)
	}

	// The store holds every acknowledged pledge, each number sent once.
	s, id := openSchema(t, realURL)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := s.Audit(ctx, id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !a.Consistent() {
		t.Errorf("audit not consistent: %+v", a)
	}
	if want := int64(len(attempts)); a.Rows != want {
		t.Errorf("audit rows %d, want %d: every number sent, stored once (%d acknowledged, %d stored unanswered)",
			a.Rows, want, len(acks), storedUnanswered)
	}
	checkAcksStored(t, s, id, acks)
	for i, p := range procs {
		total, sum, err := statsSettle(c, p.base(), a.Rows, 5*time.Second)
		if err != nil || total != a.Rows || sum != a.Rows {
			t.Errorf("instance %d stats after the outage: total %d, regions sum %d, err %v; audit rows %d", i, total, sum, err, a.Rows)
		}
	}
}

// TestClusterKillInstance: two instances under load; one is killed with
// SIGKILL mid-load while the other keeps taking pledges, then restarted on
// the same port. Every acknowledged pledge is stored, each number sent is
// stored once (numbers cut off by the kill are retried), the audit is clean
// and certificates issued before the kill resolve on the restarted instance.
func TestClusterKillInstance(t *testing.T) {
	dbURL := pgtest.New(t, nil)
	const workers = 8
	dir := t.TempDir()
	addrs := []string{freeAddr(t), freeAddr(t)}
	procs := []*proc{
		startInstance(t, dir, addrs[0], nil, "--db", dbURL),
		startInstance(t, dir, addrs[1], nil, "--db", dbURL),
	}
	for _, p := range procs {
		p.waitReady(20 * time.Second)
	}
	c := newClient(t, 10*time.Second)

	type attempt struct {
		inst  int
		phone string
		a     answer
	}
	var mu sync.Mutex
	var attempts []attempt
	var victimDown atomic.Bool // while set, new requests go to instance 1 only
	var next atomic.Int64
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	var wg sync.WaitGroup
	t.Cleanup(func() { halt(); wg.Wait() })
	hardStop := time.Now().Add(60 * time.Second)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20000 && time.Now().Before(hardStop); k++ {
				select {
				case <-stop:
					return
				default:
				}
				i := next.Add(1)
				inst := int(i) % 2
				if victimDown.Load() {
					inst = 1
				}
				phone := phoneFor(i)
				a := sendPledge(c, "http://"+addrs[inst], fmt.Sprintf("Kill Voter %d", i), phone, leaves[int(i)%len(leaves)])
				mu.Lock()
				attempts = append(attempts, attempt{inst, phone, a})
				mu.Unlock()
				if a.status != http.StatusCreated {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}

	time.Sleep(700 * time.Millisecond)
	victimDown.Store(true)
	killAt := time.Now()
	if code := procs[0].signal(syscall.SIGKILL, 5*time.Second); code != -1 {
		t.Logf("note: exit code %d after SIGKILL", code)
	}
	time.Sleep(1000 * time.Millisecond) // the survivor alone
	restartAt := time.Now()
	procs[0] = startInstance(t, dir, addrs[0], nil, "--db", dbURL)
	procs[0].waitReady(20 * time.Second)
	t.Logf("killed instance 0 under load; restarted on the same port, ready in %v", time.Since(restartAt).Round(time.Millisecond))
	victimDown.Store(false)
	readyAt := time.Now()
	time.Sleep(700 * time.Millisecond)
	halt()
	wg.Wait()
	if procs[1].exited() {
		t.Fatalf("the surviving instance exited: %v\noutput:\n%s", procs[1].waitErr, procs[1].out.String())
	}

	var acks []receipt
	var retry []attempt
	var survivorAlone, afterRestart, cutOff int
	for _, at := range attempts {
		a := at.a
		switch {
		case a.err == nil && a.status == http.StatusCreated:
			acks = append(acks, a.rec)
			if at.inst == 1 && a.start.After(killAt) && a.start.Before(restartAt) {
				survivorAlone++
			}
			if at.inst == 0 && a.start.After(readyAt) {
				afterRestart++
			}
		case at.inst == 0 && a.err != nil && a.start.Before(restartAt):
			cutOff++ // in flight on the killed instance, or sent to it just as it died
			retry = append(retry, at)
		default:
			retry = append(retry, at)
			t.Errorf("pledge %s on instance %d (sent at kill%+v): %v",
				at.phone, at.inst, a.start.Sub(killAt).Round(time.Millisecond), a)
		}
	}
	t.Logf("%d submissions: %d acknowledged, %d by the survivor alone, %d by the restarted instance, %d cut off by the kill",
		len(attempts), len(acks), survivorAlone, afterRestart, cutOff)
	if survivorAlone == 0 {
		t.Errorf("the surviving instance acknowledged nothing while the other was down")
	}
	if afterRestart == 0 {
		t.Errorf("the restarted instance acknowledged nothing")
	}

	// Numbers cut off by the kill: stored before it (409) or not (201).
	storedUnanswered := 0
	for _, at := range retry {
		a := sendPledge(c, procs[1].base(), fmt.Sprintf("Kill Voter %s", at.phone[1:]), at.phone, leaves[0])
		switch {
		case a.err == nil && a.status == http.StatusCreated:
			acks = append(acks, a.rec)
		case a.err == nil && a.status == http.StatusConflict:
			storedUnanswered++
		default:
			t.Errorf("retry of %s: %v", at.phone, a)
		}
	}
	if storedUnanswered > 0 {
		t.Logf("%d numbers cut off by the kill had been stored; their retry got 409", storedUnanswered)
	}

	s, id := openSchema(t, dbURL)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := s.Audit(ctx, id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if !a.Consistent() {
		t.Errorf("audit not consistent: %+v", a)
	}
	if want := int64(len(attempts)); a.Rows != want {
		t.Errorf("audit rows %d, want %d: every number sent, stored once (%d acknowledged, %d stored unanswered)",
			a.Rows, want, len(acks), storedUnanswered)
	}
	checkAcksStored(t, s, id, acks)
	for i, p := range procs {
		total, sum, err := statsSettle(c, p.base(), a.Rows, 5*time.Second)
		if err != nil || total != a.Rows || sum != a.Rows {
			t.Errorf("instance %d stats: total %d, regions sum %d, err %v; audit rows %d", i, total, sum, err, a.Rows)
		}
	}
	// Certificates issued by the killed instance before the kill resolve on
	// its successor.
	failed := 0
	for k, r := range acks {
		if k%max(1, len(acks)/50) != 0 {
			continue
		}
		if problem := checkCertificate(c, procs[0].base(), r); problem != "" {
			if failed++; failed <= 5 {
				t.Error(problem)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d certificates did not resolve on the restarted instance", failed)
	}
	if lines := errorLines(procs[1].out.String()); lines != "" {
		t.Errorf("the surviving instance logged errors:\n%s", lines)
	}
}
