package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
		getenv := func(string) string { return "" }
		if err := run(context.Background(), []string{tc.cmd, "-h"}, getenv, strings.NewReader(""), &stdout, &stderr); err != nil {
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
	env := map[string]string{"PLEDGE_SECRET": "supersecretvalue1234", "PLEDGE_SMTP_PASSWORD": "hunter2pass",
		"PLEDGE_DATABASE_URL": "postgres://u:dbpass@127.0.0.1:1/db"}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--bogus"}, {"worker", "--bogus"}, {"migrate", "-h"},
		{"user", "list", "--bogus"}, {"user", "add", "-h"}, {"backup", "-h"}} {
		var stdout, stderr bytes.Buffer
		_ = run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
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
