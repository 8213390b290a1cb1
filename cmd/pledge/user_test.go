package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
)

// pledgeUser runs `pledge user args...` in this process against the SQLite
// file db (named by PLEDGE_DATABASE_URL), with stdin as standard input.
func pledgeUser(t *testing.T, db, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := []string{"PLEDGE_DATABASE_URL=" + db, "PLEDGE_LOG_LEVEL=warn"}
	var out, errOut bytes.Buffer
	err = run(t.Context(), append([]string{"user"}, args...), env,
		strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func mustUser(t *testing.T, db, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := pledgeUser(t, db, stdin, args...)
	if err != nil {
		t.Fatalf("pledge user %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// account reads username and the audit log from db.
func account(t *testing.T, db, username string) (pledge.User, []pledge.Action) {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.User(ctx, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	acts, err := s.Actions(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return u, acts
}

func matches(t *testing.T, password, hash string) bool {
	t.Helper()
	ok, err := argon2id.ComparePasswordAndHash(password, hash)
	if err != nil {
		t.Fatalf("stored hash %q: %v", hash, err)
	}
	return ok
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")

	if out := mustUser(t, db, "first admin password\n", "add", "--username", "deo", "--role", "admin"); out != "added admin deo\n" {
		t.Errorf("add: stdout %q", out)
	}
	// --db overrides PLEDGE_DATABASE_URL; a password may end in CRLF and lack the newline.
	other := filepath.Join(t.TempDir(), "other.db")
	mustUser(t, other, "windows line end\r\n", "add", "--db", db, "--username", "observer", "--role", "viewer")
	mustUser(t, db, "no newline at all", "add", "--username", "clerk")

	u, _ := account(t, db, "deo")
	if u.Role != pledge.RoleAdmin || u.Disabled || !matches(t, "first admin password", u.PasswordHash) {
		t.Errorf("deo = %+v", u)
	}
	if u, _ := account(t, db, "observer"); u.Role != pledge.RoleViewer || !matches(t, "windows line end", u.PasswordHash) {
		t.Errorf("observer = %+v: want a viewer whose password has no CR", u)
	}
	if u, _ := account(t, db, "clerk"); u.Role != pledge.RoleViewer || !matches(t, "no newline at all", u.PasswordHash) {
		t.Errorf("clerk = %+v: want the least role by default", u)
	}

	if out := mustUser(t, db, "second admin password\nignored line\n", "passwd", "--username", "deo"); !strings.Contains(out, "deo") {
		t.Errorf("passwd: stdout %q", out)
	}
	u, _ = account(t, db, "deo")
	if !matches(t, "second admin password", u.PasswordHash) || matches(t, "first admin password", u.PasswordHash) {
		t.Error("passwd did not replace the password")
	}

	mustUser(t, db, "", "disable", "--username", "observer")
	if u, _ := account(t, db, "observer"); !u.Disabled {
		t.Error("disable did not disable")
	}
	// A new password does not enable the account, and says so.
	if out := mustUser(t, db, "observer new password\n", "passwd", "--username", "observer"); !strings.Contains(out, "is disabled and still cannot log in") {
		t.Errorf("passwd of a disabled account: stdout %q, want a note that it stays disabled", out)
	}

	list := mustUser(t, db, "", "list")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^USERNAME\s+ROLE\s+STATUS\s+CREATED$`),
		regexp.MustCompile(`(?m)^deo\s+admin\s+active\s+\d{4}-\d\d-\d\d `),
		regexp.MustCompile(`(?m)^observer\s+viewer\s+disabled\s`),
		regexp.MustCompile(`(?m)^clerk\s+viewer\s+active\s`),
	} {
		if !want.MatchString(list) {
			t.Errorf("list does not match %s:\n%s", want, list)
		}
	}
	if strings.Contains(list, "argon2id") {
		t.Error("list shows password hashes")
	}

	// An active account is not "enabled": that would quietly give it a new
	// password and end its sessions.
	if _, _, err := pledgeUser(t, db, "clerk password\n", "enable", "--username", "clerk"); err == nil ||
		!strings.Contains(err.Error(), "is not disabled") {
		t.Errorf("enable of an active account: %v", err)
	}
	if u, _ := account(t, db, "clerk"); !matches(t, "no newline at all", u.PasswordHash) {
		t.Error("enable of an active account changed its password")
	}
	if !regexp.MustCompile(`(?m)^deo\s+admin\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\d IST$`).MatchString(list) {
		t.Errorf("list does not give times in IST:\n%s", list)
	}

	// Enabled again, with a password of its own: none from before works.
	mustUser(t, db, "observer third password\n", "enable", "--username", "observer")
	if u, _ := account(t, db, "observer"); u.Disabled || !matches(t, "observer third password", u.PasswordHash) {
		t.Errorf("observer after enable = %+v: want active, with the password given", u)
	}

	_, acts := account(t, db, "deo")
	var got []string
	for i := len(acts) - 1; i >= 0; i-- {
		a := acts[i]
		if a.Actor != "cli" || a.Remote != "local" || a.At.IsZero() {
			t.Errorf("audit entry %+v: want actor cli from local, with a time", a)
		}
		got = append(got, a.Kind+" "+a.Detail)
	}
	want := []string{
		"user-add username=deo role=admin",
		"user-add username=observer role=viewer",
		"user-add username=clerk role=viewer",
		"user-passwd username=deo",
		"user-disable username=observer",
		"user-passwd username=observer",
		"user-passwd username=observer",
		"user-enable username=observer",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestUserCommandErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	mustUser(t, db, "first admin password\n", "add", "--username", "deo", "--role", "admin")

	tests := []struct {
		name, stdin string
		args        []string
		want        string // in the error
	}{
		{"no command", "", nil, "no command"},
		{"unknown command", "", []string{"delete", "--username", "deo"}, "unknown command"},
		{"no username", "long enough password\n", []string{"add", "--role", "admin"}, "--username is required"},
		{"short password", "short\n", []string{"add", "--username", "ravi"}, "at least 10 characters"},
		{"no password", "", []string{"add", "--username", "ravi"}, "no password"},
		{"empty first line", "\nlong enough password\n", []string{"add", "--username", "ravi"}, "no password"},
		{"bad role", "long enough password\n", []string{"add", "--username", "ravi", "--role", "root"}, "role"},
		{"bad username", "long enough password\n", []string{"add", "--username", "ravi kumar"}, "username"},
		{"taken username", "long enough password\n", []string{"add", "--username", "deo"}, "already exists"},
		{"passwd of nobody", "long enough password\n", []string{"passwd", "--username", "nobody"}, `no user "nobody"`},
		{"disable nobody", "", []string{"disable", "--username", "nobody"}, `no user "nobody"`},
		{"enable nobody", "long enough password\n", []string{"enable", "--username", "nobody"}, `no user "nobody"`},
		{"enable without a password", "", []string{"enable", "--username", "deo"}, "no password"},
		{"stray argument", "", []string{"list", "extra"}, "unexpected arguments"},
		{"unknown flag", "", []string{"list", "--addr", ":1"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := pledgeUser(t, db, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	u, acts := account(t, db, "deo")
	if len(acts) != 1 || !matches(t, "first admin password", u.PasswordHash) {
		t.Errorf("refused commands changed something: %d audit entries, deo = %+v", len(acts), u)
	}
}

// TestUserCommandsNeedTheDatabase: a wrong --db or working directory is
// refused instead of making a new, empty database that serve never reads;
// only add may start one.
func TestUserCommandsNeedTheDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{{"list"}, {"disable", "--username", "deo"}} {
		if _, _, err := pledgeUser(t, missing, "", args...); err == nil || !strings.Contains(err.Error(), "no database at "+missing) {
			t.Errorf("user %v on a missing database: %v, want a refusal naming it", args, err)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused command left %s behind (%v)", missing, err)
	}
	_, errOut, err := pledgeUser(t, missing, "first admin password\n", "add", "--username", "deo", "--role", "admin")
	if err != nil || !strings.Contains(errOut, "creating it") {
		t.Fatalf("add on a new database: %v, stderr %q; want it created, and said so", err, errOut)
	}
	mustUser(t, missing, "", "list")
}

func TestUsageListsUser(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"help"}, nil, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "user ") {
		t.Errorf("usage does not name the user command:\n%s", out.String())
	}
	// Its line lists every subcommand the user command takes.
	if !strings.Contains(out.String(), "pledge user add|passwd|disable|enable|role|list") {
		t.Errorf("usage does not list every user subcommand:\n%s", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"user", "help"}, nil, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"add", "passwd", "disable", "enable", "role", "list"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("user usage lacks %q:\n%s", want, out.String())
		}
	}
}

// TestAdminConsoleServed: an account made on the command line logs in to
// the console of a real `pledge serve` and sees the demo campaign.
func TestAdminConsoleServed(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	mustUser(t, db, "console password\n", "add", "--username", "deo", "--role", "admin")
	p := startServer(t, dir, freeAddr(t), db)
	p.waitReady(10 * time.Second)

	jar, _ := cookiejar.New(nil)
	c := newClient(t, 10*time.Second)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	st, _, err := getBody(c, p.base()+"/admin/")
	if err != nil || st != http.StatusSeeOther {
		t.Fatalf("GET /admin/ logged out: %d %v", st, err)
	}
	st, body, err := getBody(c, p.base()+"/admin/login")
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /admin/login: %d %v", st, err)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field on the log-in page:\n%s", body)
	}
	resp, err := c.PostForm(p.base()+"/admin/login", url.Values{"csrf": {m[1]}, "username": {"deo"}, "password": {"console password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
		t.Fatalf("log-in: %d to %q\noutput:\n%s", resp.StatusCode, resp.Header.Get("Location"), p.out.String())
	}
	st, body, err = getBody(c, p.base()+"/admin/")
	if err != nil || st != http.StatusOK || !strings.Contains(body, "/c/"+slug) {
		t.Fatalf("GET /admin/ logged in: %d %v\n%s", st, err, body)
	}
	st, body, err = getBody(c, p.base()+"/admin/audit.csv")
	if err != nil || st != http.StatusOK || !strings.Contains(body, "user-add") || !strings.Contains(body, ",deo,127.0.0.1,login,") {
		t.Errorf("GET /admin/audit.csv: %d %v\n%s", st, err, body)
	}
}
