package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// Each command's -h says what it does and lists the flags it reads: migrate
// no listen address or rate limits, worker no web settings, serve all.
func TestCommandHelp(t *testing.T) {
	for _, tc := range []struct {
		cmd       string
		want, not []string
	}{
		{"migrate", []string{"Usage: pledge migrate", "pending migrations", "-db string", "PLEDGE_DATABASE_URL"}, []string{"-addr", "-demo", "-limit-ip", "-smtp-host"}},
		{"worker", []string{"Usage: pledge worker", "background jobs", "-smtp-host", "-workers int", "(empty or off: none)"}, []string{"-demo", "-limit-ip", "-queue"}},
		{"serve", []string{"Usage: pledge serve", "-addr", "-demo", "-limit-ip", "-smtp-host"}, nil},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{tc.cmd, "-h"}, nil, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Fatalf("%s -h: %v", tc.cmd, err)
		}
		help := stderr.String()
		for _, s := range tc.want {
			if !strings.Contains(help, s) {
				t.Errorf("%s -h lacks %q:\n%s", tc.cmd, s, help)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(help, s+" ") || strings.Contains(help, s+"\n") {
				t.Errorf("%s -h lists %s, which it does not read", tc.cmd, s)
			}
		}
	}
}

// TestUsageHidesSecrets: usage, printed by -h and by every mistyped flag
// (into the journal, under systemd), never shows what the environment
// holds.
func TestUsageHidesSecrets(t *testing.T) {
	env := []string{"PLEDGE_SECRET=supersecretvalue1234", "PLEDGE_SMTP_PASSWORD=hunter2pass",
		"PLEDGE_DATABASE_URL=postgres://u:dbpass@127.0.0.1:1/db"}
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--bogus"}, {"worker", "--bogus"}, {"migrate", "-h"},
		{"user", "list", "--bogus"}, {"user", "add", "-h"}, {"backup", "-h"}} {
		var stdout, stderr bytes.Buffer
		_ = run(context.Background(), args, env, strings.NewReader(""), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if !strings.Contains(out, "-db") {
			t.Errorf("%v printed no usage:\n%s", args, out)
		}
		for _, secret := range []string{"supersecretvalue1234", "hunter2pass", "dbpass"} {
			if strings.Contains(out, secret) {
				t.Errorf("%v prints %q:\n%s", args, secret, out)
			}
		}
	}
}

// TestMisspeltSettingRefused: a PLEDGE_* variable no setting reads, or an
// empty database, stops serve, worker, migrate, user and backup before
// anything is opened, naming the variable meant; without the check the
// portal would start on a new ./pledge.db of its own.
func TestMisspeltSettingRefused(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, env := range [][]string{{"PLEDGE_DATABSE_URL=postgres://db/p"}, {"PLEDGE_DATABASE_URL="}} {
		for _, args := range [][]string{{"serve"}, {"worker"}, {"migrate"}, {"user", "list"}, {"backup", "copy.db"},
			{"copy", "--from", "pledge.db", "--to", "postgres://db/p"}} {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second) // a serve that starts ends, and fails the test
			err := run(ctx, args, env, strings.NewReader(""), &stdout, &stderr)
			cancel()
			if err == nil || !strings.Contains(err.Error(), "configuration: PLEDGE_DATAB") {
				t.Errorf("%v with %q: err = %v, want the variable named", args, env, err)
			}
			if strings.Contains(env[0], "DATABSE") && !strings.Contains(err.Error(), "did you mean PLEDGE_DATABASE_URL?") {
				t.Errorf("%v with %q: %v does not name the setting meant", args, env, err)
			}
		}
	}
	if _, err := os.Stat("pledge.db"); err == nil {
		t.Error("a refused configuration created ./pledge.db")
	}
}
