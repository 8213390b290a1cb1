package mail

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
)

// TLS modes of Config.TLS.
const (
	// TLSNone sends in the clear; only for a relay on the same host or
	// network, and for tests.
	TLSNone = "none"
	// TLSStartTLS requires STARTTLS on a plain connection (usually port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit = "tls"
)

// DefaultTimeout bounds connecting and each exchange with the server when
// Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// Config is how the portal reaches its SMTP server.
type Config struct {
	// Host is the SMTP server's name or address; empty disables mail.
	Host string
	// Port is the server's TCP port, e.g. 587 for STARTTLS or 465 for TLS.
	Port int
	// Username and Password authenticate with AUTH PLAIN when Username is
	// set; without TLS they cross the network in the clear.
	Username, Password string
	// TLS is one of "none", "starttls" or "tls".
	TLS string
	// From is the sender address, optionally with a display name, e.g.
	// "Pledge Portal <pledges@example.org>".
	From string
	// Timeout bounds connecting and each exchange with the server;
	// zero means DefaultTimeout.
	Timeout time.Duration
}

// Enabled reports whether mail is configured at all. A disabled Config
// need not be valid.
func (c Config) Enabled() bool { return c.Host != "" }

// Validate reports every problem with c, joined into one error.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Host) == "" {
		errs = append(errs, errors.New("mail: host must be set"))
	} else if strings.ContainsAny(c.Host, " \t\r\n/") {
		errs = append(errs, fmt.Errorf("mail: host %q is not a host name or address", c.Host))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("mail: port %d must be between 1 and 65535", c.Port))
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		errs = append(errs, fmt.Errorf("mail: tls %q: want none, starttls or tls", c.TLS))
	}
	if c.From == "" {
		errs = append(errs, errors.New("mail: from must be set"))
	} else if _, err := netmail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("mail: from %q: %w", c.From, err))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("mail: a password needs a username"))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("mail: timeout must not be negative"))
	}
	return errors.Join(errs...)
}

// timeout is c.Timeout or DefaultTimeout.
func (c Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}
