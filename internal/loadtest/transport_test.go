package loadtest

import (
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// connCounter counts the connections a test server accepts and closes.
type connCounter struct{ opened, closed atomic.Int64 }

func (cc *connCounter) track(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		cc.opened.Add(1)
	case http.StateClosed, http.StateHijacked:
		cc.closed.Add(1)
	}
}

// newCountingServer starts h behind a server that counts its connections.
func newCountingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *connCounter) {
	t.Helper()
	cc := &connCounter{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = cc.track
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, cc
}

// fetch sends a request through tr and returns the answer's status and body.
func fetch(t *testing.T, tr *transport, method, url, body string) (int, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return resp.StatusCode, string(b), err
}

// newSilentServer starts a server that answers no request until the test
// ends, but /ready (204) at once.
func newSilentServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv, _ := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	return srv
}

func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(b))
}

func TestTransportKeepsConnectionsAlive(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, echo)
	tr := newTransport(5 * time.Second)
	defer tr.CloseIdleConnections()
	for i := range 20 {
		code, got, err := fetch(t, tr, http.MethodPost, srv.URL+"/p", "body")
		if err != nil || code != http.StatusOK || got != "POST /p body" {
			t.Fatalf("request %d: %d %q %v", i, code, got, err)
		}
	}
	if n := cc.opened.Load(); n != 1 {
		t.Errorf("server accepted %d connections for 20 requests in turn, want 1", n)
	}
}

func TestTransportConcurrentRequests(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, echo)
	tr := newTransport(5 * time.Second)
	defer tr.CloseIdleConnections()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := range workers {
		wg.Go(func() {
			for range each {
				code, got, err := fetch(t, tr, http.MethodGet, srv.URL+"/g", "")
				if err != nil || code != http.StatusOK || got != "GET /g " {
					bad.Add(1)
					t.Errorf("worker %d: %d %q %v", w, code, got, err)
				}
			}
		})
	}
	wg.Wait()
	if n := cc.opened.Load(); n > workers {
		t.Errorf("server accepted %d connections for %d workers", n, workers)
	}
}

func TestTransportHonoursConnectionClose(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	})
	tr := newTransport(5 * time.Second)
	for i := range 5 {
		if code, _, err := fetch(t, tr, http.MethodGet, srv.URL+"/", ""); err != nil || code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
	}
	if n := cc.opened.Load(); n != 5 {
		t.Errorf("server accepted %d connections for 5 answers that closed theirs, want 5", n)
	}
}

func TestTransportEarlyCloseLeavesConnectionUsable(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	srv, cc := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = io.WriteString(w, big)
			return
		}
		echo(w, r)
	})
	tr := newTransport(5 * time.Second)
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil { // nothing read
		t.Fatal(err)
	}
	if code, got, err := fetch(t, tr, http.MethodGet, srv.URL+"/after", ""); err != nil || got != "GET /after " {
		t.Fatalf("after an unread body: %d %q %v", code, got, err)
	}
	if n := cc.opened.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1: closing an unread body reads the rest and keeps the connection", n)
	}
}

func TestTransportTimeout(t *testing.T) {
	t.Parallel()
	srv := newSilentServer(t)
	// Connected first, so that the deadline falls on reading the answer,
	// however long a busy machine takes to connect.
	tr := newTransport(10 * time.Second)
	defer tr.CloseIdleConnections()
	if code, _, err := fetch(t, tr, http.MethodGet, srv.URL+"/ready", ""); err != nil || code != http.StatusNoContent {
		t.Fatalf("/ready: %d %v", code, err)
	}
	tr.timeout = 100 * time.Millisecond
	start := time.Now()
	_, _, err := fetch(t, tr, http.MethodGet, srv.URL+"/", "")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
	// The same words for every connection: no local port in them.
	if want := "loadtest: reading answer: read tcp " + srv.Listener.Addr().String() + ": i/o timeout"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timed out after %v, want about 100ms", d)
	}
}

func TestTransportRetiresIdleConnections(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, echo)
	tr := newTransport(5 * time.Second)
	tr.maxIdle = time.Nanosecond
	for i := range 3 {
		if code, _, err := fetch(t, tr, http.MethodGet, srv.URL+"/", ""); err != nil || code != http.StatusOK {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
	}
	if n := cc.opened.Load(); n != 3 {
		t.Errorf("server accepted %d connections, want a new one for each request", n)
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for cc.closed.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := cc.closed.Load(); n != 3 {
		t.Errorf("%d connections closed, want all 3", n)
	}
}

func TestTransportRefusesOtherSchemes(t *testing.T) {
	t.Parallel()
	tr := newTransport(time.Second)
	if _, _, err := fetch(t, tr, http.MethodGet, "ftp://127.0.0.1:1/", ""); !errors.Is(err, errScheme) {
		t.Errorf("ftp: err = %v, want errScheme", err)
	}
}

func TestTransportHTTPS(t *testing.T) {
	t.Parallel()
	cc := &connCounter{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	srv.Config.ConnState = cc.track
	srv.StartTLS()
	t.Cleanup(srv.Close)

	// A certificate nobody vouches for is refused.
	if _, _, err := fetch(t, newTransport(5*time.Second), http.MethodGet, srv.URL+"/", ""); err == nil {
		t.Fatal("an unverified certificate was accepted")
	}
	tr := newTransport(5 * time.Second)
	defer tr.CloseIdleConnections()
	tr.roots = x509.NewCertPool()
	tr.roots.AddCert(srv.Certificate())
	for i := range 5 {
		code, got, err := fetch(t, tr, http.MethodPost, srv.URL+"/p", "body")
		if err != nil || code != http.StatusOK || got != "POST /p body" {
			t.Fatalf("request %d: %d %q %v", i, code, got, err)
		}
	}
	if n := cc.opened.Load(); n != 2 { // the refused handshake, then one kept alive
		t.Errorf("server accepted %d connections, want 2", n)
	}
}
