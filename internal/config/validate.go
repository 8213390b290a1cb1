package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"time"
)

// validateMail checks the mail and job settings.
func (c *Config) validateMail() []error {
	var errs []error
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		errs = append(errs, fmt.Errorf("smtp-port %d: want 1 to 65535", c.SMTPPort))
	}
	switch c.SMTPTLS {
	case "none", "starttls", "tls":
	default:
		errs = append(errs, fmt.Errorf("smtp-tls %q: want none, starttls or tls", c.SMTPTLS))
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("mail-from %q: want an address such as pledges@example.org", c.MailFrom))
	}
	if c.SMTPUsername != "" && c.SMTPTLS == "none" && c.SMTPHost != "localhost" && c.SMTPHost != "127.0.0.1" {
		errs = append(errs, errors.New("smtp-username with smtp-tls none would send the password in clear: use starttls or tls"))
	}
	if c.Workers < 0 || c.Workers > 1000 {
		errs = append(errs, errors.New("workers must be between 0 and 1000"))
	}
	if c.PendingTTL < time.Minute {
		errs = append(errs, errors.New("pending-ttl must be at least 1m"))
	}
	if c.ResendLimit < 1 || c.ResendLimit > 20 {
		errs = append(errs, errors.New("resend-limit must be between 1 and 20"))
	}
	if c.MailRetryBase < 10*time.Millisecond {
		errs = append(errs, errors.New("mail-retry-base must be at least 10ms"))
	}
	if c.JobRescueAfter < time.Second {
		errs = append(errs, errors.New("job-rescue-after must be at least 1s"))
	}
	return errs
}

// validateMetrics checks the metrics address.
func (c *Config) validateMetrics() error {
	if c.MetricsAddr == "" || c.MetricsAddr == "off" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		return fmt.Errorf("metrics-addr %q: %w", c.MetricsAddr, err)
	}
	if sameListener(c.MetricsAddr, c.Addr) {
		return fmt.Errorf("metrics-addr %q is the same as addr %q: leave it empty to serve /metrics there", c.MetricsAddr, c.Addr)
	}
	return nil
}

// sameListener reports whether listening on a and on b would take the same
// port: the same port number (not 0, which picks a free one) on the same
// host, or on any host where either listens on every address.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil || pa != pb || pa == "0" {
		return false
	}
	every := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || every(ha) || every(hb)
}
