package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestCopyUsage: copy -h says what it does and lists its flags without
// what the environment holds; a copy without both databases, or with
// them the wrong way round, is a usage error that opens nothing.
func TestCopyUsage(t *testing.T) {
	t.Chdir(t.TempDir())
	env := []string{"PLEDGE_DATABASE_URL=postgres://u:dbpass@127.0.0.1:1/db", "PLEDGE_SECRET=supersecretvalue1234"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"copy", "-h"}, env, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("copy -h: %v", err)
	}
	help := stderr.String()
	for _, s := range []string{"Usage: pledge copy", "-from string", "-to string", "-drop-unsent-mail", "officers log in again", "pledge migrate"} {
		if !strings.Contains(help, s) {
			t.Errorf("copy -h lacks %q:\n%s", s, help)
		}
	}
	for _, s := range []string{"dbpass", "supersecretvalue1234"} {
		if strings.Contains(help, s) {
			t.Errorf("copy -h shows %q", s)
		}
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"help"}, nil, strings.NewReader(""), &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "  copy ") {
		t.Errorf("pledge help lacks copy (%v):\n%s", err, stdout.String())
	}
	for _, args := range [][]string{
		{"copy"},
		{"copy", "--from", "pledge.db"},
		{"copy", "--from", "postgres://u:dbpass@127.0.0.1:1/db", "--to", "pledge.db"},
		{"copy", "--from", "pledge.db", "--to", "other.db"},
		{"copy", "--from", "pledge.db", "--to", "postgres://u:dbpass@127.0.0.1:1/db", "extra"},
	} {
		stderr.Reset()
		err := run(context.Background(), args, nil, strings.NewReader(""), &stdout, &stderr)
		if !errors.As(err, new(usageError)) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		} else if strings.Contains(err.Error()+stderr.String(), "dbpass") {
			t.Errorf("%q shows the password: %v", args, err)
		}
	}
	// The log settings it uses are checked, and misspelt names refused.
	for _, env := range [][]string{{"PLEDGE_LOG_FORMAT=xml"}, {"PLEDGE_LOG_LEVEL=loud"}, {"PLEDGE_LOG_FORMATT=text"}} {
		err := run(context.Background(), []string{"copy", "--from", "pledge.db", "--to", "postgres://u:dbpass@127.0.0.1:1/db"},
			env, strings.NewReader(""), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "PLEDGE_LOG_") {
			t.Errorf("%q: err = %v, want a configuration error", env, err)
		}
	}
	if _, missing := missingSQLite("pledge.db"); !missing {
		t.Error("a refused copy created pledge.db")
	}
}

// TestCopyCommand copies a SQLite database into PostgreSQL, logging the
// rows of each table as JSON, then refuses to copy into it again.
func TestCopyCommand(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "pledge.db")
	s, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c := storetest.Campaign("ward")
	if err := s.CreateCampaign(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitBatch(ctx, []pledge.Submission{storetest.Submission(pledge.NewHasher(secret), c.ID, 1, "N1")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	url := pgtest.New(t, nil)
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"migrate", "--db", url}, nil, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("migrate: %v\n%s", err, stderr.String())
	}
	stderr.Reset()
	// Only the log settings apply: bad values of serve's settings do not
	// stop a copy.
	unrelated := []string{"PLEDGE_DB_MAX_CONNS=many", "PLEDGE_MAIL_FROM=not an address", "PLEDGE_SMTP_PORT=x", "PLEDGE_LOG_LEVEL=info"}
	if err := run(ctx, []string{"copy", "--from", path, "--to", url}, unrelated, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("copy: %v\n%s", err, stderr.String())
	}
	for _, s := range []string{`"msg":"copied","table":"pledges","rows":1`, `"msg":"copied","table":"settings","rows":1`,
		`"msg":"verified","campaign_id":1,"total":1,"last_number":1`, `"msg":"copy done"`} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("log lacks %s:\n%s", s, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "1 campaigns and 1 pledges, checked") {
		t.Errorf("stdout = %q", stdout.String())
	}
	stderr.Reset()
	err = run(ctx, []string{"copy", "--from", path, "--to", url}, nil, strings.NewReader(""), &stdout, &stderr)
	if err == nil || exitCode(err, &stderr) != 1 || !strings.Contains(stderr.String(), "not empty") {
		t.Errorf("second copy: %v\n%s", err, stderr.String())
	}
}
