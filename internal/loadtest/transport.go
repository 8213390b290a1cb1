package loadtest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// transport is the http.RoundTripper of vegeta's attacker, which sends
// what epollAttack does not (https targets, and any on systems other than
// Linux): HTTP/1.1 over kept-alive connections, each request written and
// its answer read on the calling goroutine. net/http's Transport hands
// every request to two goroutines of its own per connection and back; on a
// machine that also runs the servers under test, those wake-ups cost the
// generator about a third of its CPU. It supports what the generator sends
// and no more: http and https URLs (the system's roots verify the server),
// no proxy, no HTTP/2.
//
// It dials without binding a local address first, as vegeta's own client
// does (to 0.0.0.0): a socket bound that way takes a port that no connection
// in TIME_WAIT holds, and repeated runs that opened thousands of connections
// then ran out of ports ("bind: address already in use"). Left to
// connect(2), the kernel may reuse those ports (net.ipv4.tcp_tw_reuse).
//
// A failed request is not retried, even on a kept-alive connection the
// server had just closed: a pledge sent twice would be a repeat. Connections
// idle for defaultMaxIdle are closed rather than reused, well before servers
// close them (nginx after 65 s, the portal after 120 s); but a server that
// restarts mid-run closes its idle connections at once, and each fails the
// one request sent on it next (net/http would notice and dial instead, at
// the cost of a goroutine per connection).
//
// Errors name the server's address but not the connection's own port, so
// that the report's distinct errors are kinds of failure, not connections.
type transport struct {
	dialer  net.Dialer
	timeout time.Duration  // bounds each round trip, body included
	maxIdle time.Duration  // see defaultMaxIdle
	roots   *x509.CertPool // verify https servers against these; nil: the system's

	mu   sync.Mutex
	idle map[string][]*conn // by scheme://host:port, most recently used last
}

// newTransport returns a transport whose round trips, from dial to the
// last byte of the answer, each take at most timeout.
func newTransport(timeout time.Duration) *transport {
	return &transport{
		dialer:  net.Dialer{KeepAlive: 30 * time.Second},
		timeout: timeout,
		maxIdle: defaultMaxIdle,
		idle:    make(map[string][]*conn),
	}
}

// defaultMaxIdle is how long a connection may wait for its next request.
const defaultMaxIdle = 30 * time.Second

// conn is one kept-alive connection.
type conn struct {
	net.Conn
	key  string // scheme://host:port, its place in the pool
	br   *bufio.Reader
	bw   *bufio.Writer
	idle time.Time // when it was last given back
}

// errScheme refuses what the transport does not speak.
var errScheme = errors.New("loadtest: only http:// and https:// targets are supported")

// defaultPorts are the ports of the schemes the transport speaks.
var defaultPorts = map[string]string{"http": "80", "https": "443"}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	port, ok := defaultPorts[req.URL.Scheme]
	if !ok {
		closeBody(req)
		return nil, fmt.Errorf("%w: %q", errScheme, req.URL.String())
	}
	if p := req.URL.Port(); p != "" {
		port = p
	}
	deadline := time.Now().Add(t.timeout)
	if d, ok := req.Context().Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c, err := t.get(req.Context(), req.URL.Scheme, net.JoinHostPort(req.URL.Hostname(), port), deadline)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := c.roundTrip(req, deadline)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	resp.Body = &body{ReadCloser: resp.Body, t: t, c: c, keep: !resp.Close}
	return resp, nil
}

// roundTrip writes req to c and reads the answer's head.
func (c *conn) roundTrip(req *http.Request, deadline time.Time) (*http.Response, error) {
	if err := c.SetDeadline(deadline); err != nil {
		closeBody(req) // req.Write closes it on every other path
		return nil, fmt.Errorf("loadtest: %w", withoutPort(err))
	}
	if err := req.Write(c.bw); err != nil {
		return nil, fmt.Errorf("loadtest: writing request: %w", withoutPort(err))
	}
	if err := c.bw.Flush(); err != nil {
		return nil, fmt.Errorf("loadtest: writing request: %w", withoutPort(err))
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: reading answer: %w", withoutPort(err))
	}
	return resp, nil
}

// withoutPort drops the local address from a network error: "read tcp
// 127.0.0.1:60358->127.0.0.1:8080: i/o timeout" becomes "read tcp
// 127.0.0.1:8080: i/o timeout", the same for every connection.
func withoutPort(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Source != nil {
		plain := *oe
		plain.Source = nil
		return &plain
	}
	return err
}

// get returns the connection to scheme://addr given back last, or dials a
// new one if there is none or it has been idle for t.maxIdle. Those given
// back before it have waited longer still, and are closed then too.
func (t *transport) get(ctx context.Context, scheme, addr string, deadline time.Time) (*conn, error) {
	key := scheme + "://" + addr
	t.mu.Lock()
	var stale []*conn
	if cs := t.idle[key]; len(cs) > 0 {
		c := cs[len(cs)-1]
		if time.Since(c.idle) < t.maxIdle {
			t.idle[key] = cs[:len(cs)-1]
			t.mu.Unlock()
			return c, nil
		}
		stale = cs
		delete(t.idle, key)
	}
	t.mu.Unlock()
	for _, c := range stale {
		_ = c.Close()
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := t.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", withoutPort(err))
	}
	if scheme == "https" {
		host, _, _ := net.SplitHostPort(addr)
		tc := tls.Client(nc, &tls.Config{ServerName: host, RootCAs: t.roots})
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("loadtest: TLS with %s: %w", addr, err)
		}
		nc = tc
	}
	return &conn{Conn: nc, key: key, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}, nil
}

// put keeps c for the next request to its server.
func (t *transport) put(c *conn) {
	c.idle = time.Now()
	t.mu.Lock()
	t.idle[c.key] = append(t.idle[c.key], c)
	t.mu.Unlock()
}

// CloseIdleConnections closes every kept-alive connection not in use.
func (t *transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*conn)
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			_ = c.Close()
		}
	}
}

// body is an answer's body. Closing it reads what is left of it (net/http's
// response body does so) and gives the connection back for the next request,
// unless the server said it would close it or the rest could not be read.
type body struct {
	io.ReadCloser
	t    *transport
	c    *conn
	keep bool
	done bool
}

// Close implements io.Closer.
func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.ReadCloser.Close()
	if b.keep && err == nil {
		b.t.put(b.c)
		return nil
	}
	_ = b.c.Close()
	return err
}

// closeBody closes req's body, as a RoundTripper must even on error.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
