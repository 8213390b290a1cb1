package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/mail"
)

func TestConfigValidate(t *testing.T) {
	valid := mail.Config{Host: "smtp.example.org", Port: 587, TLS: "starttls",
		From: "Pledge Portal <pledges@example.org>", Timeout: 10 * time.Second}
	tests := []struct {
		name    string
		modify  func(*mail.Config)
		wantErr string // empty: valid
	}{
		{"valid", func(*mail.Config) {}, ""},
		{"implicit TLS", func(c *mail.Config) { c.TLS, c.Port = "tls", 465 }, ""},
		{"no TLS with credentials", func(c *mail.Config) { c.TLS, c.Username, c.Password = "none", "u", "p" }, ""},
		{"zero timeout means default", func(c *mail.Config) { c.Timeout = 0 }, ""},
		{"bare address", func(c *mail.Config) { c.From = "pledges@example.org" }, ""},
		{"IPv6 host", func(c *mail.Config) { c.Host = "::1" }, ""},
		{"no host", func(c *mail.Config) { c.Host = "" }, "host must be set"},
		{"host with space", func(c *mail.Config) { c.Host = "smtp example.org" }, "not a host"},
		{"port zero", func(c *mail.Config) { c.Port = 0 }, "port"},
		{"port too big", func(c *mail.Config) { c.Port = 65536 }, "port"},
		{"unknown TLS", func(c *mail.Config) { c.TLS = "ssl" }, "tls"},
		{"empty TLS", func(c *mail.Config) { c.TLS = "" }, "tls"},
		{"no from", func(c *mail.Config) { c.From = "" }, "from must be set"},
		{"bad from", func(c *mail.Config) { c.From = "pledges at example.org" }, "from"},
		{"password without username", func(c *mail.Config) { c.Password = "p" }, "username"},
		{"negative timeout", func(c *mail.Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid
			tt.modify(&c)
			err := c.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigValidateReportsEverything(t *testing.T) {
	err := mail.Config{}.Validate()
	if err == nil {
		t.Fatal("the zero Config is valid")
	}
	for _, want := range []string{"host", "port", "tls", "from"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
}

func TestConfigEnabled(t *testing.T) {
	if (mail.Config{}).Enabled() {
		t.Error("the zero Config is enabled")
	}
	if !(mail.Config{Host: "smtp.example.org"}).Enabled() {
		t.Error("a Config with a host is disabled")
	}
}
