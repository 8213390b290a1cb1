package main

import (
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/config"
)

// TestMailWarnings: mail in clear to a server elsewhere, or links without
// a base URL, are said at start; a relay on this machine with a base URL
// is not worth a word.
func TestMailWarnings(t *testing.T) {
	const from = "pledges@deo-bilaspur.example.in"
	for _, tc := range []struct {
		host, tls, base, from string
		want                  []string
	}{
		{"localhost", "none", "https://pledge.example.org", "", nil},
		{"LOCALHOST", "none", "https://pledge.example.org", "", nil},
		{"::1", "none", "https://pledge.example.org", "", nil},
		{"[::1]", "none", "https://pledge.example.org", "", nil},
		{"127.0.0.2", "none", "https://pledge.example.org", "", nil},
		{"smtp.example.org", "starttls", "https://pledge.example.org", from, nil},
		{"10.1.2.3", "none", "https://pledge.example.org", from, []string{"PLEDGE_SMTP_TLS=none: mail, citizens' addresses and links in it, goes in clear to 10.1.2.3"}},
		{"localhost", "none", "", "", []string{"PLEDGE_BASE_URL is not set: links in mail will point at http://localhost:8080"}},
		{"smtp.example.org", "starttls", "https://pledge.example.org", "", []string{"PLEDGE_MAIL_FROM is pledges@localhost, which no one can answer"}},
		{"smtp.example.org", "starttls", "https://pledge.example.org", "pledges@intranet", []string{"PLEDGE_MAIL_FROM is pledges@intranet"}},
		{"smtp.example.org", "starttls", "https://pledge.example.org", "pledges@localhost.", []string{"PLEDGE_MAIL_FROM is pledges@localhost."}},
		{"smtp.example.org", "starttls", "https://pledge.example.org", `"DEO @ Bilaspur" <pledges@localhost>`, []string{"PLEDGE_MAIL_FROM is"}},
		{"smtp.example.org", "starttls", "https://pledge.example.org", "DEO Bilaspur <pledges@deo-bilaspur.example.in>", nil},
	} {
		cfg := config.Default()
		cfg.SMTPHost, cfg.SMTPTLS, cfg.BaseURL = tc.host, tc.tls, tc.base
		if tc.from != "" {
			cfg.MailFrom = tc.from
		}
		warnings := mailWarnings(cfg, "http://localhost:8080")
		got := strings.Join(warnings, "\n")
		if len(warnings) != len(tc.want) {
			t.Errorf("%s over %s, base %q: warnings %q, want %d", tc.host, tc.tls, tc.base, got, len(tc.want))
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s over %s, base %q: warnings %q lack %q", tc.host, tc.tls, tc.base, got, w)
			}
		}
	}
}
