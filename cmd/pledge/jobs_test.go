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
	for _, tc := range []struct {
		host, tls, base string
		want            []string
	}{
		{"localhost", "none", "https://pledge.example.org", nil},
		{"::1", "none", "https://pledge.example.org", nil},
		{"smtp.example.org", "starttls", "https://pledge.example.org", nil},
		{"10.1.2.3", "none", "https://pledge.example.org", []string{"PLEDGE_SMTP_TLS=none", "in clear to 10.1.2.3"}},
		{"localhost", "none", "", []string{"PLEDGE_BASE_URL is not set: links in mail will point at http://localhost:8080"}},
	} {
		cfg := config.Default()
		cfg.SMTPHost, cfg.SMTPTLS, cfg.BaseURL = tc.host, tc.tls, tc.base
		got := strings.Join(mailWarnings(cfg, "http://localhost:8080"), "\n")
		if len(tc.want) == 0 && got != "" {
			t.Errorf("%s over %s: warned %q", tc.host, tc.tls, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s over %s, base %q: warnings %q lack %q", tc.host, tc.tls, tc.base, got, w)
			}
		}
	}
}
