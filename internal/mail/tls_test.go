package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// This file tests the TLS modes against a go-smtp server with a
// self-signed certificate. It lives inside the package to trust that
// certificate; package mailtest speaks plain SMTP only.

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// tlsSession accepts one user and reports each message and whether the
// connection was encrypted.
type tlsSession struct {
	conn *smtp.Conn
	got  chan<- bool
}

func (s *tlsSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *tlsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "relay" || pass != "secret" {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	_, encrypted := s.conn.TLSConnectionState()
	s.got <- encrypted
	return nil
}
func (s *tlsSession) Reset()        {}
func (s *tlsSession) Logout() error { return nil }

func TestSendOverTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			got := make(chan bool, 1)
			srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
				return &tlsSession{conn: c, got: got}, nil
			}))
			srv.Domain = "localhost"
			srv.ErrorLog = log.New(io.Discard, "", 0)
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}

			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			if mode == TLSImplicit {
				l = tls.NewListener(l, srv.TLSConfig)
			}
			done := make(chan struct{})
			go func() { defer close(done); _ = srv.Serve(l) }()
			t.Cleanup(func() { _ = srv.Close(); _ = l.Close(); <-done })

			s, err := NewSMTP(Config{Host: "127.0.0.1", Port: port, TLS: mode, Username: "relay",
				Password: "secret", From: "pledges@example.org", Timeout: 5 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s.tls.RootCAs = pool
			err = s.Send(context.Background(), Message{To: "a@example.net", Subject: "s", Text: "t",
				MessageID: "tls@example.org"})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			select {
			case encrypted := <-got:
				if !encrypted {
					t.Error("the message crossed an unencrypted connection")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message arrived")
			}
		})
	}
}

func TestSendRefusesUntrustedCertificate(t *testing.T) {
	cert, _ := selfSigned(t)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &tlsSession{conn: c, got: make(chan bool, 1)}, nil
	}))
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close(); _ = l.Close(); <-done })

	s, err := NewSMTP(Config{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, TLS: TLSStartTLS,
		From: "pledges@example.org", Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: "a@example.net", Subject: "s", Text: "t", MessageID: "x@y"})
	if err == nil {
		t.Fatal("Send trusted a self-signed certificate")
	}
}
