package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/pledgeportal/pledge/internal/mail"
	"github.com/pledgeportal/pledge/internal/mail/mailtest"
	"github.com/pledgeportal/pledge/internal/syncbuf"
)

func newSender(t *testing.T, cfg mail.Config) (*mail.SMTP, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	s, err := mail.NewSMTP(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s, logs
}

func hindiConfirmation(t *testing.T) mail.Message {
	t.Helper()
	m, err := mail.Compose(mail.Data{
		Kind:           mail.KindConfirmation,
		Lang:           "hi",
		CampaignTitle:  "मतदान संकल्प 2026",
		Number:         12345,
		CertificateURL: "https://pledge.example.org/certificate/Zx8-tok?lang=hi",
		WithdrawURL:    "https://pledge.example.org/withdraw/Zx8-tok?lang=hi",
	})
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	return m
}

// assertNoAddress fails if addr appears, in any case, in any of texts.
func assertNoAddress(t *testing.T, addr string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(strings.ToLower(s), strings.ToLower(addr)) {
			t.Errorf("the recipient address leaked into %q", s)
		}
	}
}

func TestSendHindiConfirmation(t *testing.T) {
	srv := mailtest.NewServer(t)
	s, logs := newSender(t, srv.Config())

	m := hindiConfirmation(t)
	m.To = "Sunita <sunita@example.net>"
	m.MessageID = "pledge-42-confirmation@pledge.example.org"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := srv.WaitFor(t, 1, 5*time.Second)[0]
	if got.From != "pledges@example.org" {
		t.Errorf("envelope from = %q", got.From)
	}
	if len(got.To) != 1 || got.To[0] != "sunita@example.net" {
		t.Errorf("envelope to = %q", got.To)
	}
	if want := "आपका संकल्प क्रमांक 12,345: मतदान संकल्प 2026"; got.Subject() != want {
		t.Errorf("subject = %q, want %q", got.Subject(), want)
	}
	for header, want := range map[string]string{
		"Message-Id":       "<pledge-42-confirmation@pledge.example.org>",
		"Content-Language": "hi",
		"Auto-Submitted":   "auto-generated",
		"From":             "<pledges@example.org>",
	} {
		if v := got.Header.Get(header); v != want {
			t.Errorf("%s = %q, want %q", header, v, want)
		}
	}
	if _, err := got.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if !bytes.Contains(got.Data, []byte("text/plain; charset=UTF-8")) ||
		!bytes.Contains(got.Data, []byte("text/html; charset=UTF-8")) {
		t.Errorf("parts are not both UTF-8:\n%s", got.Data)
	}
	for _, u := range []string{
		"https://pledge.example.org/certificate/Zx8-tok?lang=hi",
		"https://pledge.example.org/withdraw/Zx8-tok?lang=hi",
	} {
		if !strings.Contains(got.Text, "\n"+u+"\n") {
			t.Errorf("text lacks %s on its own line:\n%s", u, got.Text)
		}
		if !strings.Contains(got.HTML, `href="`+u+`"`) {
			t.Errorf("HTML lacks a link to %s:\n%s", u, got.HTML)
		}
	}
	if got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("parts changed in transit:\ntext %q\nwant %q\nhtml %q\nwant %q", got.Text, m.Text, got.HTML, m.HTML)
	}
	if !strings.Contains(got.HTML, `<html lang="hi">`) {
		t.Errorf("HTML lacks lang=hi:\n%s", got.HTML)
	}
	if !strings.Contains(logs.String(), "pledge-42-confirmation@pledge.example.org") {
		t.Errorf("no log line for the message: %s", logs)
	}
	assertNoAddress(t, "sunita@example.net", logs.String())
}

func TestSendEnglishWithAuth(t *testing.T) {
	srv := mailtest.NewServer(t)
	cfg := srv.Config()
	cfg.Username, cfg.Password = "relay", "secret"
	cfg.From = "Pledge Portal <pledges@example.org>"
	s, _ := newSender(t, cfg)

	m, err := mail.Compose(mail.Data{
		Kind:          mail.KindOptIn,
		Lang:          "en",
		CampaignTitle: "Vote 2026",
		ConfirmURL:    "https://pledge.example.org/confirm/abc",
		ExpiresAt:     time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	m.To = "voter@example.net"
	m.MessageID = "<pledge-7-optin@pledge.example.org>"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.WaitFor(t, 1, 5*time.Second)[0]
	if got.Username != "relay" {
		t.Errorf("authenticated as %q, want relay", got.Username)
	}
	if want := "Please confirm your pledge: Vote 2026"; got.Subject() != want {
		t.Errorf("subject = %q, want %q", got.Subject(), want)
	}
	if v := got.Header.Get("Message-Id"); v != "<pledge-7-optin@pledge.example.org>" {
		t.Errorf("Message-ID = %q", v)
	}
	if v := got.Header.Get("Content-Language"); v != "en" {
		t.Errorf("Content-Language = %q", v)
	}
	if v := got.Header.Get("From"); v != `"Pledge Portal" <pledges@example.org>` {
		t.Errorf("From = %q", v)
	}
	if got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("parts changed in transit")
	}
}

func TestSendTemporaryFailureThenRetry(t *testing.T) {
	srv := mailtest.NewServer(t)
	s, logs := newSender(t, srv.Config())
	m := hindiConfirmation(t)
	m.To = "retry@example.net"
	m.MessageID = "pledge-43-confirmation@pledge.example.org"

	srv.FailTemporarily(true)
	err := s.Send(context.Background(), m)
	if err == nil {
		t.Fatal("Send succeeded against a failing server")
	}
	if errors.Is(err, mail.ErrPermanent) {
		t.Errorf("a 451 is permanent: %v", err)
	}
	var se *gomail.SendError
	if !errors.As(err, &se) || !se.IsTemp() {
		t.Errorf("error does not carry go-mail's temporary SendError: %v", err)
	}
	assertNoAddress(t, m.To, err.Error(), logs.String())
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered while failing", n)
	}

	srv.FailTemporarily(false)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("retry: %v", err)
	}
	srv.WaitFor(t, 1, 5*time.Second)
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages arrived, want exactly 1", len(got))
	}
	if v := got[0].Header.Get("Message-Id"); v != "<pledge-43-confirmation@pledge.example.org>" {
		t.Errorf("Message-ID = %q", v)
	}
}

// TestSendDeliveredThenHungUp: a server that takes the message and then
// hangs up (before RSET or QUIT) has it: Send reports success, so the job
// is not retried and the citizen gets one mail, not twenty.
func TestSendDeliveredThenHungUp(t *testing.T) {
	srv := mailtest.NewServer(t)
	s, _ := newSender(t, srv.Config())
	srv.DropAfterData(true)
	m := hindiConfirmation(t)
	m.To = "hungup@example.net"
	m.MessageID = "pledge-44-confirmation@pledge.example.org"
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send = %v for a message the server took", err)
	}
	if n := len(srv.WaitFor(t, 1, 5*time.Second)); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

func TestSendRefusedRecipient(t *testing.T) {
	srv := mailtest.NewServer(t)
	s, logs := newSender(t, srv.Config())
	srv.RefuseRecipient("Gone@Example.net")

	m := hindiConfirmation(t)
	m.To = "gone@example.net"
	m.MessageID = "pledge-44-confirmation@pledge.example.org"
	err := s.Send(context.Background(), m)
	if !errors.Is(err, mail.ErrPermanent) {
		t.Fatalf("Send = %v, want ErrPermanent", err)
	}
	if !strings.Contains(err.Error(), "recipient") || !strings.Contains(err.Error(), "550") {
		t.Errorf("error %q should say recipient and carry the reply code", err)
	}
	assertNoAddress(t, m.To, err.Error(), logs.String())
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered to a refused recipient", n)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()

	s, _ := newSender(t, mail.Config{Host: "127.0.0.1", Port: port, TLS: "none",
		From: "pledges@example.org", Timeout: time.Second})
	err = s.Send(context.Background(), mail.Message{To: "nobody@example.net", Subject: "x", Text: "x",
		MessageID: "a@b"})
	if err == nil || errors.Is(err, mail.ErrPermanent) {
		t.Fatalf("Send = %v, want a temporary error", err)
	}
}

func TestSendCancelledMidway(t *testing.T) {
	// A server that accepts and then says nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()

	port := l.Addr().(*net.TCPAddr).Port
	s, _ := newSender(t, mail.Config{Host: "127.0.0.1", Port: port, TLS: "none",
		From: "pledges@example.org", Timeout: 30 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, mail.Message{To: "nobody@example.net", Subject: "x", Text: "x", MessageID: "a@b"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mail.ErrPermanent) {
		t.Errorf("Send = %v, want a temporary deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
}

func TestSendInvalidMessage(t *testing.T) {
	srv := mailtest.NewServer(t)
	s, _ := newSender(t, srv.Config())
	good := mail.Message{To: "a@example.net", Subject: "s", Text: "t", MessageID: "id@example.org"}
	tests := []struct {
		name   string
		modify func(*mail.Message)
	}{
		{"bad recipient", func(m *mail.Message) { m.To = "not an address" }},
		{"no message ID", func(m *mail.Message) { m.MessageID = "" }},
		{"message ID without @", func(m *mail.Message) { m.MessageID = "job-12" }},
		{"message ID with space", func(m *mail.Message) { m.MessageID = "a b@example.org" }},
		{"message ID header injection", func(m *mail.Message) { m.MessageID = "a@b>\r\nBcc: x@y" }},
		{"no text", func(m *mail.Message) { m.Text = " " }},
		{"bad language", func(m *mail.Message) { m.Lang = "hi\r\nX: y" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			tt.modify(&m)
			err := s.Send(context.Background(), m)
			if !errors.Is(err, mail.ErrPermanent) {
				t.Errorf("Send = %v, want ErrPermanent", err)
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d invalid messages delivered", n)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, good); !errors.Is(err, context.Canceled) || errors.Is(err, mail.ErrPermanent) {
		t.Errorf("Send with a cancelled context = %v", err)
	}
}

func TestNewSMTPRejectsInvalidConfig(t *testing.T) {
	if _, err := mail.NewSMTP(mail.Config{Host: "smtp.example.org"}, nil); err == nil {
		t.Error("NewSMTP accepted a config without port, TLS mode or sender")
	}
}

func TestSenderInterface(t *testing.T) {
	var _ mail.Sender = (*mail.SMTP)(nil)
}

func TestSendStartTLSRequired(t *testing.T) {
	srv := mailtest.NewServer(t)
	cfg := srv.Config()
	cfg.TLS = "starttls"
	s, _ := newSender(t, cfg)
	err := s.Send(context.Background(), mail.Message{To: "a@example.net", Subject: "s", Text: "t", MessageID: "a@b"})
	if err == nil {
		t.Fatal("Send went ahead without STARTTLS")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent in the clear", n)
	}
}
