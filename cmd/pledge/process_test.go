package main

// Process-level tests: the real binary (built once in TestMain), real HTTP on
// loopback ports, real SQLite files, no mocks. They check first start with no
// setup, the command line, graceful shutdown on SIGTERM and that no
// acknowledged pledge is lost when the server is killed with SIGKILL under load.

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
)

// TestStartsFastWithDemo: `pledge serve` in an empty directory with nothing
// configured serves the demo campaign, in English and Hindi, within 2s of
// the process starting.
func TestStartsFastWithDemo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	p := startServer(t, dir, freeAddr(t), db)
	c := newClient(t, 2*time.Second)

	var en string
	for {
		if p.exited() {
			t.Fatalf("pledge serve exited: %v\noutput:\n%s", p.waitErr, p.out.String())
		}
		st, body, err := getBody(c, p.base()+"/c/"+slug)
		if err == nil && st == http.StatusOK {
			en = body
			break
		}
		if time.Since(p.started) > 10*time.Second {
			t.Fatalf("GET /c/%s never answered 200 (last: %d %v)\noutput:\n%s", slug, st, err, p.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	st, hi, err := getBody(c, p.base()+"/c/"+slug+"?lang=hi")
	took := time.Since(p.started)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /c/%s?lang=hi: %d %v", slug, st, err)
	}
	t.Logf("demo campaign served in English and Hindi %v after process start", took.Round(time.Millisecond))
	if took >= 2*time.Second {
		t.Errorf("first start took %v until both pages answered; want < 2s", took)
	}

	for _, want := range []string{`lang="en"`, "Bilaspur Voter Pledge", "Bilaspur", "Takhatpur", "Masturi"} {
		if !strings.Contains(en, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if strings.Contains(en, "बिलासपुर मतदाता संकल्प") {
		t.Errorf("English page shows the Hindi title")
	}
	for _, want := range []string{`lang="hi"`, "बिलासपुर", "बिलासपुर मतदाता संकल्प", "तखतपुर", "मस्तूरी"} {
		if !strings.Contains(hi, want) {
			t.Errorf("Hindi page lacks %q", want)
		}
	}
	if total, _ := stats(t, c, p.base()); total != 0 {
		t.Errorf("fresh demo campaign has total %d, want 0", total)
	}

	if code := p.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit code %d, want 0\noutput:\n%s", code, p.out.String())
	}
	if out := p.out.String(); strings.Contains(out, `"level":"INFO"`) || strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("PLEDGE_LOG_LEVEL=warn not honoured or errors logged:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "pledge.db")); err == nil {
		t.Errorf("serve --db %s also created ./pledge.db", db)
	}

	// A second start on the same file keeps the one demo campaign.
	p = startServer(t, dir, freeAddr(t), db)
	p.waitReady(10 * time.Second)
	st, list, err := getBody(c, p.base()+"/api/v1/campaigns")
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /api/v1/campaigns: %d %v", st, err)
	}
	if n := strings.Count(list, `"slug":`); n != 1 || !strings.Contains(list, `"slug":"`+slug+`"`) {
		t.Errorf("after restart /api/v1/campaigns = %s; want exactly the demo campaign", list)
	}
	// Stopped this time as a closed terminal stops it: the same drain.
	if code := p.signal(syscall.SIGHUP, 10*time.Second); code != 0 {
		t.Errorf("SIGHUP: exit code %d, want 0\noutput:\n%s", code, p.out.String())
	}

	t.Run("version", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, t.TempDir(), "version")
		if code != 0 || !strings.HasPrefix(stdout, "pledge ") {
			t.Errorf("pledge version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("no arguments", func(t *testing.T) {
		code, stdout, stderr := runCmd(t, t.TempDir())
		if code == 0 {
			t.Errorf("pledge with no arguments exited 0")
		}
		if !strings.Contains(stderr, "Usage: pledge <command>") || !strings.Contains(stderr, "serve") {
			t.Errorf("pledge with no arguments: stderr lacks the usage:\n%s", stderr)
		}
		if stdout != "" {
			t.Errorf("pledge with no arguments wrote to stdout: %q", stdout)
		}
	})
	t.Run("bad address", func(t *testing.T) {
		wd := t.TempDir()
		start := time.Now()
		code, _, stderr := runCmd(t, wd, "serve", "--addr", "nonsense")
		if code == 0 {
			t.Fatalf("serve --addr nonsense exited 0")
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("serve --addr nonsense took %v to fail", time.Since(start))
		}
		if !strings.Contains(stderr, "configuration") || !strings.Contains(stderr, `--addr (PLEDGE_ADDR) "nonsense"`) {
			t.Errorf("serve --addr nonsense: want a configuration error naming the address, got:\n%s", stderr)
		}
		if entries, _ := os.ReadDir(wd); len(entries) != 0 {
			t.Errorf("a configuration error left files behind: %v", entries)
		}
	})
	t.Run("migrate", func(t *testing.T) {
		wd := t.TempDir()
		mdb := filepath.Join(wd, "m.db")
		// An empty file is a database with nothing in it yet: migrate
		// refuses only a path where there is nothing at all.
		if err := os.WriteFile(mdb, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for i := range 2 { // a second migrate finds nothing to do
			code, stdout, stderr := runCmd(t, wd, "migrate", "--db", mdb, "--log-level", "info")
			if code != 0 {
				t.Fatalf("migrate #%d: exit %d\nstdout: %s\nstderr: %s", i+1, code, stdout, stderr)
			}
			done := fmt.Sprintf(`"msg":"database is up to date","database":%q`, mdb)
			if !strings.Contains(stderr, done) {
				t.Errorf("migrate #%d does not say which database is up to date (want %s):\n%s", i+1, done, stderr)
			}
		}
		// Read the schema directly: sqlite.Open would migrate it itself.
		d, err := sql.Open("sqlite", "file:"+mdb+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var versions, campaigns int
		if err := d.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
			t.Fatalf("schema_migrations: %v", err)
		}
		if err := d.QueryRow(`SELECT count(*) FROM campaigns`).Scan(&campaigns); err != nil {
			t.Fatalf("campaigns table: %v", err)
		}
		if versions < 1 {
			t.Errorf("migrate recorded %d migrations", versions)
		}
		if campaigns != 0 {
			t.Errorf("migrate created %d campaigns; the demo belongs to serve", campaigns)
		}
	})
}

// TestCommandLineMistakes: serve, worker and migrate refuse arguments they
// do not take with exit status 2 and a message that names them without a
// password, before touching any database; worker and migrate refuse a
// SQLite file that does not exist instead of creating it (only serve makes
// a new database).
func TestCommandLineMistakes(t *testing.T) {
	const stray = "postgres://pledge:hunter2pw@127.0.0.1:1/db"
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", stray},
		{"worker", stray},
		{"migrate", stray},
		{"migrate", "--db", "other.db", "extra"},
		{"user", "list", stray},
		{"serve", "--no-such-flag"},
		{"no-such-command"},
		{},
	} {
		wd := t.TempDir()
		code, stdout, stderr := runCmd(t, wd, args...)
		if code != 2 {
			t.Errorf("pledge %s: exit %d, want 2 (a usage error)\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, "hunter2pw") {
			t.Errorf("pledge %s printed the password:\n%s", strings.Join(args, " "), stderr)
		}
		if len(args) > 1 && !strings.HasPrefix(args[len(args)-1], "-") {
			named := strings.Replace(args[len(args)-1], "hunter2pw", "xxxxx", 1)
			if !strings.Contains(stderr, "unexpected arguments") || !strings.Contains(stderr, named) {
				t.Errorf("pledge %s: stderr does not refuse %s as an unexpected argument:\n%s", strings.Join(args, " "), named, stderr)
			}
		}
		if entries, _ := os.ReadDir(wd); len(entries) != 0 {
			t.Errorf("pledge %s left files behind: %v", strings.Join(args, " "), entries)
		}
	}

	for _, cmd := range []string{"worker", "migrate"} {
		wd := t.TempDir()
		missing := filepath.Join(wd, "typo.db")
		code, _, stderr := runCmd(t, wd, cmd, "--db", missing)
		if code != 1 {
			t.Errorf("%s on a missing database: exit %d, want 1\n%s", cmd, code, stderr)
		}
		if !strings.Contains(stderr, "no database at "+missing) {
			t.Errorf("%s on a missing database: stderr does not name it:\n%s", cmd, stderr)
		}
		if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s on a missing database created it (%v)", cmd, err)
		}
		// The process has a logger: its refusal is a JSON line too.
		sc := bufio.NewScanner(strings.NewReader(stderr))
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				t.Errorf("%s: stderr line is not JSON: %s", cmd, sc.Text())
			}
		}
	}
}

// TestMigrateNamesPostgres: migrate says which PostgreSQL database it
// brought up to date, without its password.
func TestMigrateNamesPostgres(t *testing.T) {
	u, err := url.Parse(pgtest.New(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2pw") // the test server trusts local connections
	code, stdout, stderr := runCmdEnv(t, t.TempDir(), []string{"PLEDGE_DATABASE_URL=" + u.String(), "PLEDGE_LOG_LEVEL=info"}, "migrate")
	if code != 0 {
		t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	shown := strings.Replace(u.String(), "hunter2pw", "xxxxx", 1)
	if !strings.Contains(stderr, fmt.Sprintf(`"msg":"database is up to date","database":%q`, shown)) {
		t.Errorf("migrate does not name %s as up to date:\n%s", shown, stderr)
	}
	if strings.Contains(stderr, "hunter2pw") {
		t.Errorf("migrate logged the password:\n%s", stderr)
	}
}

// TestServeRefusesUnmigratedPostgres: serve told not to migrate, on a
// PostgreSQL database nobody has migrated, says so and what to run, rather
// than failing on the first table it misses.
func TestServeRefusesUnmigratedPostgres(t *testing.T) {
	dbURL := pgtest.New(t, nil)
	code, _, stderr := runCmdEnv(t, t.TempDir(), []string{"PLEDGE_DATABASE_URL=" + dbURL},
		"serve", "--addr", "127.0.0.1:0", "--migrate=false")
	if code != 1 {
		t.Errorf("serve --migrate=false on an unmigrated database: exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "not migrated") || !strings.Contains(stderr, "run pledge migrate") {
		t.Errorf("serve --migrate=false on an unmigrated database does not say to run pledge migrate:\n%s", stderr)
	}
	if strings.Contains(stderr, "does not exist") {
		t.Errorf("serve --migrate=false on an unmigrated database reports a missing relation:\n%s", stderr)
	}
}

// TestSecretGuard: a database that holds pledges made with one server
// secret refuses serve and worker with another (or with none, which would
// make one of its own), saying what to do; with the first secret the portal
// starts again and still refuses the number that pledged.
func TestSecretGuard(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	secretA := []string{"PLEDGE_SECRET=the first secret, 16+ chars"}
	secretB := []string{"PLEDGE_SECRET=another secret, 16+ chars"}
	c := newClient(t, 5*time.Second)

	p := startProc(t, dir, freeAddr(t), secretA, "--db", db)
	p.waitReady(10 * time.Second)
	st, rec, body, err := postPledge(c, p.base(), "First Voter", phoneFor(1), "KOTA")
	if err != nil || st != http.StatusCreated {
		t.Fatalf("pledge: %d %v %s", st, err, body)
	}
	if code := p.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d\n%s", code, p.out.String())
	}
	firstBase := p.base()

	for name, env := range map[string][]string{"another secret": secretB, "no secret": nil} {
		p := startProc(t, dir, freeAddr(t), env, "--db", db)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("serve with %s on a database with pledges is still running after 10s\n%s", name, p.out.String())
		}
		out := p.out.String()
		if code := p.cmd.ProcessState.ExitCode(); code == 0 {
			t.Errorf("serve with %s exited 0, want non-zero\n%s", name, out)
		}
		if !strings.Contains(out, "not the one this database was used with") || !strings.Contains(out, "Start with the secret this database was used with") {
			t.Errorf("serve with %s does not say what is wrong and what to do:\n%s", name, out)
		}
		if strings.Contains(out, "16+ chars") {
			t.Errorf("serve with %s printed a secret:\n%s", name, out)
		}
	}
	code, _, stderr := runCmdEnv(t, dir, append([]string{"PLEDGE_DATABASE_URL=" + db}, secretB...), "worker")
	if code == 0 || !strings.Contains(stderr, "not the one this database was used with") {
		t.Errorf("worker with another secret: exit %d, want a refusal:\n%s", code, stderr)
	}

	p = startProc(t, dir, freeAddr(t), secretA, "--db", db)
	p.waitReady(10 * time.Second)
	if st, _, body, err := postPledge(c, p.base(), "Someone Else", rec.phone, "KOTA"); err != nil || st != http.StatusConflict {
		t.Errorf("the same number again, with the first secret: %d %v %s; want 409", st, err, body)
	}
	if st, _, err := getBody(c, strings.Replace(rec.CertificateURL, firstBase, p.base(), 1)); err != nil || st != http.StatusOK {
		t.Errorf("certificate link after the restart: %d %v", st, err)
	}
	if code := p.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d\n%s", code, p.out.String())
	}
}

// TestGracefulShutdown: pledges answered before and during SIGTERM are all
// stored, the process exits 0 promptly and leaves a consistent database.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	p := startServer(t, dir, freeAddr(t), db)
	p.waitReady(10 * time.Second)
	c := newClient(t, 5*time.Second)

	var mu sync.Mutex
	var acks []receipt
	var next atomic.Int64

	// Some pledges while all is calm: every one is answered 201.
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				i := next.Add(1)
				st, rec, body, err := postPledge(c, p.base(), fmt.Sprintf("Calm Voter %d", i), phoneFor(i), leaves[(int(i)+w)%len(leaves)])
				if err != nil || st != http.StatusCreated {
					t.Errorf("pledge %d: %d %v %s", i, st, err, body)
					continue
				}
				mu.Lock()
				acks = append(acks, rec)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	calm := len(acks)
	if calm != 60 {
		t.Fatalf("%d of 60 pledges answered 201", calm)
	}
	// Repeating a mobile number is refused.
	for _, r := range acks[:5] {
		if st, _, body, err := postPledge(c, p.base(), "Someone Else", r.phone, "KOTA"); err != nil || st != http.StatusConflict {
			t.Errorf("repeat of %s: %d %v %s; want 409", r.phone, st, err, body)
		}
	}
	// The certificates are served.
	for _, r := range acks[:5] {
		st, body, err := getBody(c, r.CertificateURL)
		if err != nil || st != http.StatusOK || !strings.Contains(body, "#"+indianGrouping(r.Number)+"</dd>") {
			t.Errorf("certificate of #%d: %d %v", r.Number, st, err)
		}
	}

	// Then pledges keep coming while SIGTERM arrives.
	var during, refused atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !p.exited() {
				i := next.Add(1)
				st, rec, body, err := postPledge(c, p.base(), fmt.Sprintf("Late Voter %d", i), phoneFor(i), leaves[int(i)%len(leaves)])
				switch {
				case err != nil && st == 0:
					refused.Add(1)
					time.Sleep(2 * time.Millisecond)
				case err != nil:
					t.Errorf("pledge %d: %v", i, err)
				case st == http.StatusCreated:
					during.Add(1)
					mu.Lock()
					acks = append(acks, rec)
					mu.Unlock()
				case st == http.StatusServiceUnavailable:
					refused.Add(1)
				default:
					t.Errorf("pledge %d during shutdown: %d %s", i, st, body)
				}
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	start := time.Now()
	// "A few seconds": net/http's Shutdown may wait up to 5s for a
	// connection the client dialled but has not used yet.
	code := p.signal(syscall.SIGTERM, 8*time.Second)
	took := time.Since(start)
	wg.Wait()
	if code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0\noutput:\n%s", code, p.out.String())
	}
	t.Logf("exited %v after SIGTERM; %d pledges before, %d acknowledged under load, %d refused or cut off",
		took.Round(time.Millisecond), calm, during.Load(), refused.Load())

	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(db + suffix); err == nil {
			t.Logf("note: %s%s left behind after a clean shutdown", filepath.Base(db), suffix)
		}
	}
	checkDistinctNumbers(t, acks)
	checkStored(t, db, acks)
}

// TestShutdownCutsOffLongRequest: a request still running when the
// shutdown timeout runs out (here one whose body never finishes arriving)
// is cut off and logged as such, in JSON; the queue is still drained with
// time of its own, every acknowledged pledge is stored, and the process
// exits 0 soon after the timeout.
func TestShutdownCutsOffLongRequest(t *testing.T) {
	const timeout = time.Second
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	p := startProc(t, dir, freeAddr(t), nil, "--db", db, "--shutdown-timeout", timeout.String())
	p.waitReady(10 * time.Second)
	c := newClient(t, 5*time.Second)

	var mu sync.Mutex
	var acks []receipt
	var next atomic.Int64
	send := func() (int, error) {
		i := next.Add(1)
		st, rec, _, err := postPledge(c, p.base(), fmt.Sprintf("Patient Voter %d", i), phoneFor(i), leaves[int(i)%len(leaves)])
		if err == nil && st == http.StatusCreated {
			mu.Lock()
			acks = append(acks, rec)
			mu.Unlock()
		}
		return st, err
	}
	for range 20 {
		if st, err := send(); err != nil || st != http.StatusCreated {
			t.Fatalf("pledge before the shutdown: %d %v", st, err)
		}
	}

	// The long request: headers and the start of a body that never ends.
	held, err := net.Dial("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	fmt.Fprintf(held, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"name\":", pledgesPath, p.addr)
	time.Sleep(200 * time.Millisecond) // its handler is reading the body

	// Pledges keep coming while the signal arrives.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !p.exited() {
				if _, err := send(); err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	code := p.signal(syscall.SIGTERM, 10*time.Second)
	took := time.Since(start)
	wg.Wait()
	out := p.out.String()
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM with a request outlasting the shutdown timeout, want 0\noutput:\n%s", code, out)
	}
	if took < timeout || took > timeout+5*time.Second {
		t.Errorf("exited %v after SIGTERM; want just after the %v the request had", took.Round(time.Millisecond), timeout)
	}
	t.Logf("exited %v after SIGTERM; %d pledges acknowledged", took.Round(time.Millisecond), len(acks))

	cut := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct {
			Level, Msg string
			Requests   int
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("output line is not JSON: %s", sc.Text())
			continue
		}
		if line.Level == "ERROR" {
			t.Errorf("error logged: %s", sc.Text())
		}
		if line.Msg == "requests still running at the shutdown deadline were cut off" && line.Requests >= 1 {
			cut = true
		}
	}
	if !cut {
		t.Errorf("no log line says a request was cut off at the deadline:\n%s", out)
	}
	_ = held.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := held.Read(make([]byte, 1)); n != 0 || err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the long request's connection: read %d bytes, %v; want it closed unanswered", n, err)
	}
	checkDistinctNumbers(t, acks)
	checkStored(t, db, acks)
}

// checkDistinctNumbers asserts that no certificate number was handed out twice.
func checkDistinctNumbers(t testing.TB, acks []receipt) {
	t.Helper()
	seen := make(map[int64]string, len(acks))
	twice := 0
	for _, r := range acks {
		if prev, ok := seen[r.Number]; ok {
			if twice++; twice <= 5 {
				t.Errorf("certificate number %d acknowledged twice: to %q and %q", r.Number, prev, r.name)
			}
		}
		seen[r.Number] = r.name
	}
	if twice > 0 {
		t.Errorf("%d certificate numbers acknowledged more than once", twice)
	}
}

// crashLedger is every answer the load generator got that matters.
type crashLedger struct {
	mu      sync.Mutex
	acks    []receipt
	byPhone map[string]int64 // phone -> number acknowledged
	acked   []string         // phones acknowledged, to repeat
	unknown []string         // phones whose request got no answer, to retry
}

// TestCrashSafety: under continuous load the server is killed with SIGKILL
// several times and restarted on the same file and port. Every pledge
// answered 201 must survive, certificates must resolve, and counts must
// equal the rows.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	const workers, kills = 16, 3
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	addr := freeAddr(t)
	base := "http://" + addr
	// Repeats go to the numbers acknowledged so far, few at first: without
	// the per-number limit, which would answer some of them 429.
	start := func() *proc { return startProc(t, dir, addr, []string{"PLEDGE_LIMIT_PHONE=0"}, "--db", db) }
	p := start()
	p.waitReady(10 * time.Second)
	c := newClient(t, 3*time.Second)

	led := &crashLedger{byPhone: make(map[string]int64)}
	var next, created, conflicts, cutOff, unavailable, unexpected, doubleAcks atomic.Int64
	stop := make(chan struct{})
	var stopOnce sync.Once
	var wg sync.WaitGroup
	t.Cleanup(func() { stopOnce.Do(func() { close(stop) }); wg.Wait() })

	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)+1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				// One in ten repeats a number already acknowledged (must
				// be 409); one in twenty retries a number whose request got
				// no answer (201 or 409); the rest are new numbers.
				var phone, name string
				kind := "new"
				led.mu.Lock()
				switch x := r.IntN(20); {
				case x < 2 && len(led.acked) > 0:
					kind, phone = "repeat", led.acked[r.IntN(len(led.acked))]
				case x == 2 && len(led.unknown) > 0:
					j := r.IntN(len(led.unknown))
					kind, phone = "retry", led.unknown[j]
					led.unknown[j] = led.unknown[len(led.unknown)-1]
					led.unknown = led.unknown[:len(led.unknown)-1]
				}
				led.mu.Unlock()
				if kind == "new" {
					phone = phoneFor(next.Add(1))
				}
				name = "Crash Voter " + phone[len(phone)-7:]
				region := leaves[int(phone[len(phone)-1]-'0')%len(leaves)]
				st, rec, body, err := postPledge(c, base, name, phone, region)
				switch {
				case err != nil && st == 0: // the server is down or died mid-request
					cutOff.Add(1)
					if kind != "repeat" {
						led.mu.Lock()
						led.unknown = append(led.unknown, phone)
						led.mu.Unlock()
					}
					time.Sleep(2 * time.Millisecond)
				case err != nil:
					if unexpected.Add(1) <= 5 {
						t.Errorf("%s pledge %s: %v", kind, phone, err)
					}
				case st == http.StatusCreated:
					created.Add(1)
					led.mu.Lock()
					if prev, ok := led.byPhone[phone]; ok && doubleAcks.Add(1) <= 5 {
						t.Errorf("%s pledge %s answered 201 (#%d) though already acknowledged as #%d", kind, phone, rec.Number, prev)
					}
					led.byPhone[phone] = rec.Number
					led.acks = append(led.acks, rec)
					led.acked = append(led.acked, phone)
					led.mu.Unlock()
				case st == http.StatusConflict:
					conflicts.Add(1)
					if kind == "new" && unexpected.Add(1) <= 5 {
						t.Errorf("never-sent number %s answered 409: %s", phone, body)
					}
				case st == http.StatusServiceUnavailable:
					unavailable.Add(1)
					if kind != "repeat" {
						led.mu.Lock()
						led.unknown = append(led.unknown, phone)
						led.mu.Unlock()
					}
					time.Sleep(2 * time.Millisecond)
				default:
					if unexpected.Add(1) <= 5 {
						t.Errorf("%s pledge %s: unexpected %d %s", kind, phone, st, body)
					}
				}
			}
		}()
	}

	for k := range kills {
		window := time.Duration(300+rng.IntN(501)) * time.Millisecond
		before := created.Load()
		time.Sleep(window)
		if p.exited() {
			t.Fatalf("server died on its own: %v\noutput:\n%s", p.waitErr, p.out.String())
		}
		if code := p.signal(syscall.SIGKILL, 5*time.Second); code != -1 {
			t.Logf("note: exit code %d after SIGKILL", code)
		}
		t.Logf("kill %d after %v of load: %d acknowledged in the window", k+1, window, created.Load()-before)
		restart := time.Now()
		p = start()
		p.waitReady(10 * time.Second)
		t.Logf("restart %d ready in %v", k+1, time.Since(restart).Round(time.Millisecond))
	}
	time.Sleep(300 * time.Millisecond) // load on the last restart too
	stopOnce.Do(func() { close(stop) })
	wg.Wait()

	led.mu.Lock()
	acks := append([]receipt(nil), led.acks...)
	led.mu.Unlock()
	t.Logf("%d acknowledged, %d conflicts, %d cut off, %d unavailable, %d unexpected",
		len(acks), conflicts.Load(), cutOff.Load(), unavailable.Load(), unexpected.Load())
	if n := doubleAcks.Load(); n > 0 {
		t.Errorf("%d mobile numbers were acknowledged with 201 more than once", n)
	}
	if len(acks) == 0 {
		t.Fatal("no pledge was acknowledged")
	}
	if conflicts.Load() == 0 {
		t.Errorf("no repeat was refused with 409")
	}
	checkDistinctNumbers(t, acks)

	// Stop cleanly and look at the file itself.
	// Connections the client dialled but never used count as new, not
	// idle, for net/http's Shutdown, which then waits up to 5s for them.
	c.CloseIdleConnections()
	if code := p.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("SIGTERM after the load: exit code %d\noutput:\n%s", code, p.out.String())
	}
	auditStart := time.Now()
	a := checkStored(t, db, acks)
	t.Logf("audit in %v: %+v", time.Since(auditStart).Round(time.Millisecond), a)

	// Final restart: the public count equals the rows, and every
	// acknowledged certificate resolves to its number.
	p = start()
	p.waitReady(10 * time.Second)
	total, regions := stats(t, c, base)
	var sum int64
	for _, n := range regions {
		sum += n
	}
	if total != a.Rows || sum != total {
		t.Errorf("stats after restart: total %d, regions sum %d; audit rows %d", total, sum, a.Rows)
	}
	checkStart := time.Now()
	checkCertificates(t, c, base, acks)
	t.Logf("%d certificates checked in %v", len(acks), time.Since(checkStart).Round(time.Millisecond))
	if p.exited() {
		// Only SIGTERM or SIGINT makes `pledge serve` exit 0; this test sent
		// neither to this process, so a status 0 here means a signal came
		// from outside the test.
		t.Fatalf("the final server exited during the certificate checks: %v\noutput:\n%s", p.cmd.ProcessState, p.out.String())
	}
	c.CloseIdleConnections() // as above
	if code := p.signal(syscall.SIGTERM, 10*time.Second); code != 0 {
		t.Errorf("final SIGTERM: exit code %d\noutput:\n%s", code, p.out.String())
	}
	if out := p.out.String(); strings.Contains(out, `"level":"ERROR"`) {
		t.Errorf("final server logged errors:\n%s", out)
	}
}

// checkCertificates fetches every acknowledged certificate URL, 16 at a time.
func checkCertificates(t testing.TB, c *http.Client, base string, acks []receipt) {
	t.Helper()
	jobs := make(chan receipt)
	var bad atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				problem := ""
				if !strings.HasPrefix(r.CertificateURL, base+"/certificate/") || !strings.HasSuffix(r.CertificateURL, "/"+r.Token) {
					problem = "certificate_url " + r.CertificateURL + " does not match token " + r.Token
				} else if st, body, err := getBody(c, r.CertificateURL); err != nil || st != http.StatusOK {
					problem = fmt.Sprintf("GET %s: %d %v", r.CertificateURL, st, err)
				} else if !strings.Contains(body, "#"+indianGrouping(r.Number)+"</dd>") || !strings.Contains(body, r.name) {
					problem = fmt.Sprintf("certificate %s does not show #%s for %q", r.CertificateURL, indianGrouping(r.Number), r.name)
				}
				if problem != "" {
					bad.Add(1)
					mu.Lock()
					failures = append(failures, problem)
					mu.Unlock()
				}
			}
		}()
	}
	for _, r := range acks {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	sort.Strings(failures)
	for i, f := range failures {
		if i == 10 {
			break
		}
		t.Error(f)
	}
	if n := bad.Load(); n > 0 {
		t.Errorf("%d of %d acknowledged certificates failed", n, len(acks))
	}
}

// TestServeWarnsWithoutBaseURLBehindProxy: behind a proxy, with no base URL,
// links and QR codes would take whatever host a client names; serve says
// so at start, and not once the base URL is set.
func TestServeWarnsWithoutBaseURLBehindProxy(t *testing.T) {
	t.Parallel()
	const warning = "PLEDGE_BASE_URL is not set"
	for _, tc := range []struct {
		env  []string
		warn bool
	}{
		{[]string{"PLEDGE_TRUSTED_PROXIES=127.0.0.1"}, true},
		{[]string{"PLEDGE_TRUSTED_PROXIES=127.0.0.1", "PLEDGE_BASE_URL=https://pledge.example.org"}, false},
	} {
		dir := t.TempDir()
		p := startProc(t, dir, freeAddr(t), tc.env, "--db", filepath.Join(dir, "pledge.db"))
		p.waitReady(20 * time.Second)
		if got := strings.Contains(p.out.String(), warning); got != tc.warn {
			t.Errorf("env %q: warned %v, want %v; log:\n%s", tc.env, got, tc.warn, p.out.String())
		}
	}
}
