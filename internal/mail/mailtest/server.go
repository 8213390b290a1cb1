// Package mailtest runs an SMTP server in-process for tests: it records
// what it receives, decodes the text and HTML parts, and can refuse mail
// temporarily or permanently on demand.
package mailtest

import (
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/pledgeportal/pledge/internal/mail"
)

// Server is an SMTP server listening on 127.0.0.1 for one test. It accepts
// any credentials, or none, over plain connections.
type Server struct {
	host string
	port int

	mu       sync.Mutex
	received []Received
	arrived  chan struct{} // closed and replaced whenever a message arrives
	tempFail bool
	drop     bool            // hang up once a message is taken
	deferred int             // MAIL FROMs answered 451
	refused  map[string]bool // lower-cased addresses
}

// NewServer starts a server that stops when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}), refused: map[string]bool{}}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 50
	srv.ErrorLog = log.New(io.Discard, "", 0)

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close misses the listener if Serve has not registered it yet.
		_ = l.Close()
		<-done
	})
	return s
}

// Addr returns the address the server listens on.
func (s *Server) Addr() (host string, port int) { return s.host, s.port }

// Config returns a mail.Config that sends to this server without TLS.
func (s *Server) Config() mail.Config {
	return mail.Config{
		Host:    s.host,
		Port:    s.port,
		TLS:     mail.TLSNone,
		From:    "pledges@example.org",
		Timeout: 5 * time.Second,
	}
}

// Messages returns a copy of the messages received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.received))
	for i, r := range s.received {
		out[i] = r.clone()
	}
	return out
}

// WaitFor waits until at least n messages have arrived and returns them
// all; it fails the test if they do not arrive within timeout. Call it
// from the test's goroutine.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.received), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: %d of %d messages arrived within %v", got, n, timeout)
			return nil
		}
	}
}

// FailTemporarily makes the server answer 451 to MAIL FROM while on is
// true, so nothing is delivered and a client should retry later.
func (s *Server) FailTemporarily(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tempFail = on
}

// DropAfterData makes the server hang up, while on is true, right after it
// has taken a message and said so: the client's next command (RSET, QUIT)
// fails although the message was delivered.
func (s *Server) DropAfterData(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = on
}

// RefuseRecipient makes the server answer 550 to RCPT TO for addr (in any
// case) from now on.
func (s *Server) RefuseRecipient(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[strings.ToLower(addr)] = true
}

// Deferred returns how many times the server has answered 451 so far.
func (s *Server) Deferred() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deferred
}

// failing reports whether the server answers 451 now, and counts the answer.
func (s *Server) failing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tempFail {
		s.deferred++
	}
	return s.tempFail
}

func (s *Server) dropping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drop
}

func (s *Server) refuses(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[strings.ToLower(addr)]
}

func (s *Server) deliver(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, r)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// session is one SMTP conversation.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	took     bool // a message was taken since the last reset
	username string
	from     string
	to       []string
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

// AuthMechanisms implements smtp.AuthSession.
func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth implements smtp.AuthSession: any username and password will do.
func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, _ string) error {
		ss.username = username
		return nil
	}), nil
}

// Mail implements smtp.Session.
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.failing() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
			Message: "Temporary failure, please try again later"}
	}
	ss.from = from
	return nil
}

// Rcpt implements smtp.Session.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.srv.refuses(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "Mailbox unavailable"}
	}
	ss.to = append(ss.to, to)
	return nil
}

// Data implements smtp.Session. A message that cannot be parsed is
// refused with 554 so that the test sees why.
func (ss *session) Data(r io.Reader) error {
	if ss.from == "" || len(ss.to) == 0 {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Bad sequence of commands"}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec, err := parse(data)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
			Message: "mailtest: cannot parse message: " + oneLine(err.Error())}
	}
	rec.From, rec.To, rec.Username = ss.from, append([]string(nil), ss.to...), ss.username
	ss.srv.deliver(rec)
	ss.took = true
	return nil
}

// Reset implements smtp.Session. The server calls it after answering DATA,
// which is when DropAfterData hangs up.
func (ss *session) Reset() {
	ss.from, ss.to = "", nil
	if ss.took && ss.srv.dropping() {
		_ = ss.conn.Conn().Close() // not ss.conn.Close: that waits for the lock Reset runs under
	}
	ss.took = false
}

// Logout implements smtp.Session.
func (ss *session) Logout() error { return nil }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
