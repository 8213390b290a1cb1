package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP is a Sender that delivers each message over its own connection:
// dial, send, quit. Nothing is shared between calls, so it is safe for
// concurrent use and a broken connection never outlives one Send.
type SMTP struct {
	cfg  Config
	from *netmail.Address
	tls  *tls.Config
	log  *slog.Logger
}

var _ Sender = (*SMTP)(nil)

// NewSMTP returns a Sender for cfg, which must be valid. log receives a
// line per message (never the recipient); nil discards them.
func NewSMTP(cfg Config, log *slog.Logger) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil { // unreachable after Validate, kept for safety
		return nil, fmt.Errorf("mail: from: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Username != "" && cfg.TLS == TLSNone {
		log.Warn("mail: SMTP credentials will be sent without TLS", "host", cfg.Host)
	}
	return &SMTP{
		cfg:  cfg,
		from: from,
		tls:  &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12},
		log:  log,
	}, nil
}

// Send delivers m. The error wraps ErrPermanent when the server refused
// the recipient or the message with a 5xx reply or m can never be sent;
// any other error (a 4xx reply, a refused connection, a timeout, a
// cancelled ctx) is temporary. The error's text names the recipient only
// as "recipient"; the go-mail error it wraps (reachable with errors.As)
// may quote the address, so log err.Error(), not the cause. Cancelling ctx
// aborts the exchange at once.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, msg, err := s.build(m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: send %s: %w", msg.GetMessageID(), err)
	}

	// The connection is closed when ctx ends, so a cancelled job does not
	// wait for the server's timeout.
	// go-mail calls dial on this goroutine, at most once per Send.
	var stops []func() bool
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		conn, err := s.dial(dctx, network)
		if err != nil {
			return nil, err
		}
		stops = append(stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		return conn, nil
	}

	client, err := s.client(dial)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	start := time.Now()
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		s.log.DebugContext(ctx, "mail: sent", "message_id", msg.GetMessageID(), "lang", m.Lang,
			"duration", time.Since(start))
		return nil
	}
	if msg.IsDelivered() {
		// The server took the message; what failed is the goodbye after
		// it (RSET, QUIT). Sending it again would send it twice.
		s.log.WarnContext(ctx, "mail: sent, but the connection failed afterwards", "message_id", msg.GetMessageID(),
			"error", redact(err.Error(), to.Address))
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		err = errors.Join(cerr, err)
	}
	serr := classify(err, msg.GetMessageID(), to.Address)
	// The caller, which knows the mail's kind and request, logs the
	// failure as a warning; this line adds only the SMTP conversation's.
	s.log.DebugContext(ctx, "mail: not sent", "message_id", msg.GetMessageID(),
		"permanent", errors.Is(serr, ErrPermanent), "error", serr.Error())
	return serr
}

// build turns m into a go-mail message after checking it; it also returns
// the parsed recipient.
func (s *SMTP) build(m Message) (*netmail.Address, *gomail.Msg, error) {
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		// The parser's error may quote the address: leave it out.
		return nil, nil, fmt.Errorf("mail: invalid recipient address: %w", ErrPermanent)
	}
	id, err := messageID(m.MessageID)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, nil, fmt.Errorf("mail: message %s has no text: %w", id, ErrPermanent)
	}
	if m.Lang != "" && !isLangTag(m.Lang) {
		return nil, nil, fmt.Errorf("mail: message %s: language %q is not a language tag: %w", id, m.Lang, ErrPermanent)
	}

	msg := gomail.NewMsg(
		gomail.WithNoDefaultUserAgent(),
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(encodingFor(m.Subject+m.Text)),
	)
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	msg.SetMessageIDWithValue(id)
	if m.Lang != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, m.Lang)
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return to, msg, nil
}

// client makes a go-mail client for one Send, dialling through dial.
func (s *SMTP) client(dial gomail.DialContextFunc) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.timeout()),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		// The dialler speaks TLS itself (go-mail's WithSSL applies only to
		// its own dialler), so no STARTTLS on top of it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthPlain
		if s.cfg.TLS == TLSNone {
			// go-mail refuses PLAIN on an unencrypted connection unless asked.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return gomail.NewClient(s.cfg.Host, opts...)
}

// dial connects to the server, speaking TLS from the start for "tls".
func (s *SMTP) dial(ctx context.Context, network string) (net.Conn, error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := &net.Dialer{Timeout: s.cfg.timeout()}
	if s.cfg.TLS == TLSImplicit {
		td := &tls.Dialer{NetDialer: d, Config: s.tls}
		return td.DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}

// messageID checks a Message-ID (RFC 5322 msg-id, dot-atom form) and
// strips its angle brackets.
func messageID(id string) (string, error) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	left, right, ok := strings.Cut(id, "@")
	if !ok || !isDotAtom(left) || !isDotAtom(right) {
		return "", fmt.Errorf("mail: message ID %q must look like left@right with no spaces or specials: %w",
			id, ErrPermanent)
	}
	return id, nil
}

// isDotAtom reports whether s is an RFC 5322 dot-atom-text.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", c) >= 0) {
			return false
		}
	}
	return true
}

// isLangTag reports whether s looks like a BCP 47 tag such as "hi" or "en-IN".
func isLangTag(s string) bool {
	if len(s) > 35 {
		return false
	}
	for _, sub := range strings.Split(s, "-") {
		if sub == "" || len(sub) > 8 {
			return false
		}
		for _, r := range sub {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				return false
			}
		}
	}
	return true
}

// encodingFor picks base64 for mostly non-ASCII text such as Hindi, where
// quoted-printable would triple the size, and quoted-printable otherwise.
func encodingFor(s string) gomail.Encoding {
	var high int
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			high++
		}
	}
	if high*3 > len(s) {
		return gomail.EncodingB64
	}
	return gomail.EncodingQP
}

// oneLine folds s onto a single line for a header.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
