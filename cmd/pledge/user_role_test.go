package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/config"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
)

// userBackends are the databases the user commands are tested on: a new
// SQLite file, and a schema of its own in the test PostgreSQL.
func userBackends() map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "p.db") },
		"postgres": func(t *testing.T) string { return pgtest.New(t, nil) },
	}
}

// anyAccount reads username and the audit log (oldest first) from db,
// SQLite or PostgreSQL, as the commands open it.
func anyAccount(t *testing.T, db, username string) (pledge.User, []pledge.Action) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database = db
	s, err := openStore(ctx, cfg, "test", slog.New(slog.DiscardHandler))
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
	for i, j := 0, len(acts)-1; i < j; i, j = i+1, j-1 {
		acts[i], acts[j] = acts[j], acts[i]
	}
	return u, acts
}

// TestUserRole: pledge user role changes an account's role, on record as
// done by cli from local; a role the account has already is said and
// changes nothing; an unknown account or role, and taking the last
// enabled admin away (made a viewer, or disabled), are refused with exit
// status 1 and change nothing.
func TestUserRole(t *testing.T) {
	for name, newDB := range userBackends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			mustUser(t, db, "first admin password\n", "add", "--username", "deo", "--role", "admin")
			mustUser(t, db, "viewer password one\n", "add", "--username", "ravi", "--role", "viewer")

			refused := func(want string, args ...string) {
				t.Helper()
				_, _, err := pledgeUser(t, db, "", args...)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("user %v: error %v, want one containing %q", args, err, want)
				}
				if code := exitCode(err, io.Discard); code != 1 {
					t.Errorf("user %v: exit status %d, want 1 (as for the other refused user commands)", args, code)
				}
			}
			// Only deo is an enabled admin: neither demoted nor disabled.
			for _, args := range [][]string{
				{"role", "--username", "deo", "--role", "viewer"},
				{"disable", "--username", "deo"},
			} {
				refused(`user "deo" is the last enabled admin`, args...)
				refused("add another admin first (pledge user add --username NAME --role admin", args...)
			}
			refused(`no user "nobody"`, "role", "--username", "nobody", "--role", "admin")
			refused(`unknown role "root": want admin or viewer`, "role", "--username", "ravi", "--role", "root")
			refused("--role is required", "role", "--username", "ravi")
			refused("--username is required", "role", "--role", "admin")
			if u, acts := anyAccount(t, db, "deo"); u.Role != pledge.RoleAdmin || u.Disabled || len(acts) != 2 {
				t.Fatalf("refused commands changed something: deo = %+v, %d audit entries (want the two adds)", u, len(acts))
			}
			if u, _ := anyAccount(t, db, "ravi"); u.Role != pledge.RoleViewer {
				t.Fatalf("refused commands made ravi %s", u.Role)
			}

			if out := mustUser(t, db, "", "role", "--username", "ravi", "--role", "admin"); out != "ravi is now admin (was viewer); its open console sessions have the new role at once\n" {
				t.Errorf("role: stdout %q", out)
			}
			if out := mustUser(t, db, "", "role", "--username", "ravi", "--role", "admin"); out != "ravi is admin already: nothing changed\n" {
				t.Errorf("role again: stdout %q", out)
			}
			// With two admins, either may become a viewer; then the other is the last.
			mustUser(t, db, "", "role", "--username", "deo", "--role", "viewer")
			refused(`user "ravi" is the last enabled admin`, "disable", "--username", "ravi")

			u, acts := anyAccount(t, db, "ravi")
			if u.Role != pledge.RoleAdmin || u.Disabled {
				t.Errorf("ravi = %+v, want an enabled admin", u)
			}
			if d, _ := anyAccount(t, db, "deo"); d.Role != pledge.RoleViewer || !matches(t, "first admin password", d.PasswordHash) {
				t.Errorf("deo = %+v, want a viewer with its password", d)
			}
			var got []string
			for _, a := range acts {
				if a.Actor != "cli" || a.Remote != "local" || a.At.IsZero() {
					t.Errorf("audit entry %+v: want actor cli from local, with a time", a)
				}
				got = append(got, a.Kind+" "+a.Detail)
			}
			want := []string{
				"user-add username=deo role=admin",
				"user-add username=ravi role=viewer",
				"user-role username=ravi role=admin was=viewer",
				"user-role username=deo role=viewer was=admin",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestUserRoleReachesOpenSessions: a role changed on the command line
// holds for the account's console session already open, at its next
// request: a viewer made admin reads the audit log, made a viewer again
// is refused it, without logging in again.
func TestUserRoleReachesOpenSessions(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	mustUser(t, db, "console password\n", "add", "--username", "deo", "--role", "admin")
	mustUser(t, db, "viewer password\n", "add", "--username", "ravi", "--role", "viewer")
	p := startServer(t, dir, freeAddr(t), db)
	p.waitReady(10 * time.Second)

	jar, _ := cookiejar.New(nil)
	c := newClient(t, 10*time.Second)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	st, body, err := getBody(c, p.base()+"/admin/login")
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET /admin/login: %d %v", st, err)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field on the log-in page:\n%s", body)
	}
	resp, err := c.PostForm(p.base()+"/admin/login", url.Values{"csrf": {m[1]}, "username": {"ravi"}, "password": {"viewer password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-in: %d\noutput:\n%s", resp.StatusCode, p.out.String())
	}
	audit := func(want int) {
		t.Helper()
		if st, _, err := getBody(c, p.base()+"/admin/audit"); err != nil || st != want {
			t.Errorf("GET /admin/audit: %d %v, want %d", st, err, want)
		}
	}
	audit(http.StatusForbidden)
	mustUser(t, db, "", "role", "--username", "ravi", "--role", "admin")
	audit(http.StatusOK)
	mustUser(t, db, "", "role", "--username", "ravi", "--role", "viewer")
	audit(http.StatusForbidden)
}
