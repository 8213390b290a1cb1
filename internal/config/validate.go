package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"
)

// validateMail checks the mail and job settings.
func (c *Config) validateMail(n func(string) string) []error {
	var errs []error
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		errs = append(errs, fmt.Errorf("%s %d: want 1 to 65535", n("smtp-port"), c.SMTPPort))
	}
	switch c.SMTPTLS {
	case "none", "starttls", "tls":
	default:
		errs = append(errs, fmt.Errorf("%s %q: want none, starttls or tls", n("smtp-tls"), c.SMTPTLS))
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("%s %q: want an address such as pledges@example.org", n("mail-from"), c.MailFrom))
	}
	if c.SMTPPassword != "" && c.SMTPUsername == "" {
		errs = append(errs, fmt.Errorf("%s is set without %s: give both, or neither for no authentication", n("smtp-password"), n("smtp-username")))
	}
	if c.SMTPUsername != "" && c.SMTPTLS == "none" && !c.SMTPLocal() {
		errs = append(errs, fmt.Errorf("%s with %s none would send the password in clear: use starttls or tls", n("smtp-username"), n("smtp-tls")))
	}
	if c.Workers < 0 || c.Workers > 1000 {
		errs = append(errs, fmt.Errorf("%s must be between 0 and 1000", n("workers")))
	}
	if c.PendingTTL < time.Minute {
		errs = append(errs, fmt.Errorf("%s must be at least 1m", n("pending-ttl")))
	}
	if c.ResendLimit < 1 || c.ResendLimit > 20 {
		errs = append(errs, fmt.Errorf("%s must be between 1 and 20", n("resend-limit")))
	}
	if c.MailRetryBase < 10*time.Millisecond {
		errs = append(errs, fmt.Errorf("%s must be at least 10ms", n("mail-retry-base")))
	}
	if c.JobRescueAfter < time.Second {
		errs = append(errs, fmt.Errorf("%s must be at least 1s", n("job-rescue-after")))
	}
	return errs
}

// validateMetrics checks the metrics address.
func (c *Config) validateMetrics(n func(string) string) error {
	if c.MetricsAddr == "" || c.MetricsAddr == "off" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		return fmt.Errorf("%s %q: %w", n("metrics-addr"), c.MetricsAddr, err)
	}
	if sameListener(c.MetricsAddr, c.Addr) {
		return fmt.Errorf("%s %q is the same as %s %q: leave it empty to serve /metrics there", n("metrics-addr"), c.MetricsAddr, n("addr"), c.Addr)
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

// SMTPLocal reports whether the mail server is on this machine (localhost
// or a loopback address), where mail may go without TLS.
func (c *Config) SMTPLocal() bool {
	if strings.EqualFold(c.SMTPHost, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(c.SMTPHost, "[]"))
	return err == nil && a.IsLoopback()
}
