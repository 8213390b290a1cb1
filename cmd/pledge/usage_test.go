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
		{"worker", []string{"Usage: pledge worker", "background jobs", "-smtp-host", "-workers int"}, []string{"-demo", "-limit-ip", "-queue"}},
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
