//go:build linux

package loadtest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// epollRun sends tr's requests through epollAttack as cfg says, checks
// that every request started has a result, and returns the collector with
// its metrics closed.
func epollRun(t *testing.T, cfg Config, tr vegeta.Targeter) *collector {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Uint64
	col := &collector{cfg: cfg, rep: &Report{}, sent: &sent,
		success: func(code uint16) bool { return code >= 200 && code < 300 }}
	if !epollAttack(context.Background(), cfg, counting(tr, &sent), col) {
		t.Fatal("epollAttack refused a plain-HTTP target")
	}
	col.m.Close()
	if uint64(col.m.Requests) != sent.Load() {
		t.Errorf("%d results for %d requests started", col.m.Requests, sent.Load())
	}
	return col
}

// get is a targeter of GET requests to url.
func get(url string) vegeta.Targeter {
	return vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url})
}

func TestEpollKeepsConnectionsAlive(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, echo)
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 50, Duration: time.Second, Workers: 1, MaxWorkers: 1},
		get(srv.URL+"/g"))
	n := col.m.Requests
	if n < 2 || col.rep.Success != int(n) || col.m.StatusCodes["200"] != int(n) {
		t.Errorf("Success %d of %d, codes %v, errors %q; want 50 answered 200", col.rep.Success, n, col.m.StatusCodes, col.m.Errors)
	}
	if c := cc.opened.Load(); c != 1 {
		t.Errorf("server accepted %d connections for %d requests one at a time, want 1", c, n)
	}
	if col.m.BytesIn.Total != n*uint64(len("GET /g ")) {
		t.Errorf("bytes in = %d, want the %d bodies", col.m.BytesIn.Total, n)
	}
}

func TestEpollSendsBodiesAndHeaders(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("0123456789", 400_000) // more than a socket takes at once
	var bad atomic.Int64
	srv, _ := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			r.ContentLength != int64(len(big)) || string(b) != big || r.Host != strings.TrimPrefix(srvURL(r), "http://") {
			bad.Add(1)
		}
		w.WriteHeader(http.StatusCreated)
	})
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: srv.URL + "/p", Body: []byte(big),
		Header: http.Header{"Content-Type": {"application/json"}}})
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 20, Duration: 500 * time.Millisecond}, tr)
	if col.m.Requests < 1 || col.rep.Success != int(col.m.Requests) || bad.Load() != 0 {
		t.Errorf("Success %d of %d, server found %d requests wrong, errors %q", col.rep.Success, col.m.Requests, bad.Load(), col.m.Errors)
	}
}

// srvURL is the URL of the server r came to, from its local address.
func srvURL(r *http.Request) string {
	return "http://" + r.Context().Value(http.LocalAddrContextKey).(net.Addr).String()
}

func TestEpollHonoursConnectionClose(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	})
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 50, Duration: 200 * time.Millisecond}, get(srv.URL+"/"))
	if n := col.m.Requests; n < 1 || col.rep.Success != int(n) || cc.opened.Load() != int64(n) {
		t.Errorf("Success %d of %d over %d connections, errors %q; want one connection each", col.rep.Success, n, cc.opened.Load(), col.m.Errors)
	}
}

// ending is what a rawServer does after an answer.
type ending int

const (
	keepOpen   ending = iota // wait for the next request
	closeAfter               // close the connection
	resetAfter               // reset it (SO_LINGER 0)
)

// rawServer answers every request on a connection with the given pieces,
// written with a pause between them, then does as end says.
func rawServer(t *testing.T, end ending, pieces ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					for i, p := range pieces {
						if i > 0 {
							time.Sleep(20 * time.Millisecond)
						}
						if _, err := io.WriteString(c, p); err != nil {
							return
						}
					}
					if end == resetAfter {
						_ = c.(*net.TCPConn).SetLinger(0)
					}
					if end != keepOpen {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestEpollReadsAnswersInPieces(t *testing.T) {
	t.Parallel()
	for name, srv := range map[string]string{
		"length": rawServer(t, keepOpen, "HTTP/1.1 200 OK\r\nContent-Le", "ngth: 5\r\n\r\nhe", "llo"),
		"chunked": rawServer(t, keepOpen, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n",
			"2\r\nlo\r\n0\r\n", "\r\n"),
		"until close": rawServer(t, closeAfter, "HTTP/1.0 200 OK\r\n\r\nhel", "lo"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			col := epollRun(t, Config{Target: srv, Hello: true, Rate: 20, Duration: 500 * time.Millisecond}, get(srv+"/"))
			if n := col.m.Requests; n < 1 || col.rep.Success != int(n) || col.m.BytesIn.Total != 5*n {
				t.Errorf("Success %d of %d, bytes in %d, codes %v, errors %q; want answers of 5 bytes",
					col.rep.Success, n, col.m.BytesIn.Total, col.m.StatusCodes, col.m.Errors)
			}
		})
	}
}

func TestEpollRefusesBadAnswers(t *testing.T) {
	t.Parallel()
	for name, srv := range map[string]string{
		"not http":  rawServer(t, keepOpen, "SSH-2.0-OpenSSH\r\n\r\n"),
		"cut short": rawServer(t, closeAfter, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			col := epollRun(t, Config{Target: srv, Hello: true, Rate: 20, Duration: 500 * time.Millisecond}, get(srv+"/"))
			if n := col.m.Requests; n < 1 || col.rep.Success != 0 || col.m.StatusCodes["0"] != int(n) || len(col.m.Errors) != 1 {
				t.Errorf("Success %d of %d, codes %v, errors %q; want one failure for all", col.rep.Success, n,
					col.m.StatusCodes, col.m.Errors)
			}
		})
	}
}

func TestEpollTimeout(t *testing.T) {
	t.Parallel()
	srv := newSilentServer(t)
	start := time.Now()
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 20, Duration: 200 * time.Millisecond,
		Timeout: 200 * time.Millisecond}, get(srv.URL+"/"))
	want := `Get "` + srv.URL + `/": no answer from ` + strings.TrimPrefix(srv.URL, "http://") + " within 200ms"
	if n := col.m.Requests; n < 1 || col.m.StatusCodes["0"] != int(n) || len(col.m.Errors) != 1 || col.m.Errors[0] != want {
		t.Errorf("%d requests, codes %v, errors %q; want all failed with %q", n, col.m.StatusCodes, col.m.Errors, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the attack took %v, want about 400ms", d)
	}
}

func TestEpollConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	col := epollRun(t, Config{Target: "http://" + addr, Hello: true, Rate: 50, Duration: 200 * time.Millisecond},
		get("http://"+addr+"/"))
	// One error for all: the same words whatever the local port.
	want := `Get "http://` + addr + `/": dial tcp ` + addr + ": connect: connection refused"
	if n := col.m.Requests; n < 1 || col.m.StatusCodes["0"] != int(n) || len(col.m.Errors) != 1 || col.m.Errors[0] != want {
		t.Errorf("%d requests, codes %v, errors %q; want all failed with %q", n, col.m.StatusCodes, col.m.Errors, want)
	}
}

func TestEpollCapsConnections(t *testing.T) {
	t.Parallel()
	var now, most atomic.Int64
	srv, _ := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(100 * time.Millisecond)
	})
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 100, Duration: 500 * time.Millisecond,
		Workers: 1, MaxWorkers: 3}, get(srv.URL+"/"))
	// 3 at a time for about 0.5 s, 100 ms each: about 15 of the 50 due.
	if n := col.m.Requests; most.Load() != 3 || col.rep.Success != int(n) || n > 21 {
		t.Errorf("server had at most %d requests at once, %d of %d answered (errors %q); want 3 and about 15",
			most.Load(), col.rep.Success, n, col.m.Errors)
	}
}

func TestEpollNoticesIdleConnectionsClosed(t *testing.T) {
	t.Parallel()
	// The server closes each connection soon after its answer, without
	// saying so: the next request, long after, must go on a new one.
	srv := rawServer(t, closeAfter, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "")
	col := epollRun(t, Config{Target: srv, Hello: true, Rate: 4, Duration: time.Second}, get(srv+"/"))
	if n := col.m.Requests; n < 2 || col.rep.Success != int(n) {
		t.Errorf("Success %d of %d, errors %q; want no failure", col.rep.Success, n, col.m.Errors)
	}
}

func TestEpollRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	srv, cc := newCountingServer(t, echo)
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 20, Duration: 500 * time.Millisecond},
		get("http://elsewhere.example/"))
	if n := col.m.Requests; n < 1 || col.m.StatusCodes["0"] != int(n) || cc.opened.Load() > 1 {
		t.Errorf("%d requests, codes %v, %d connections; want all refused, nothing sent", n, col.m.StatusCodes, cc.opened.Load())
	}
	for _, e := range col.m.Errors {
		if !strings.Contains(e, "is not on "+strings.TrimPrefix(srv.URL, "http://")) {
			t.Errorf("error %q does not say the target is elsewhere", e)
		}
	}
}

func TestEpollLeavesHTTPSToVegeta(t *testing.T) {
	t.Parallel()
	cfg, err := Config{Target: "https://127.0.0.1:1", Hello: true, Rate: 1, Duration: time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if epollAttack(context.Background(), cfg, get("https://127.0.0.1:1/"), &collector{}) {
		t.Error("epollAttack took an https target")
	}
}

func TestVegetaAttack(t *testing.T) {
	t.Parallel()
	srv, _ := newCountingServer(t, echo)
	cfg, err := Config{Target: srv.URL, Hello: true, Rate: 100, Duration: 300 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Uint64
	col := &collector{cfg: cfg, rep: &Report{}, sent: &sent, success: func(code uint16) bool { return code == 200 }}
	vegetaAttack(context.Background(), cfg, counting(get(srv.URL+"/"), &sent), col)
	col.m.Close()
	if n := col.m.Requests; n < 2 || col.rep.Success != int(n) || sent.Load() != n {
		t.Errorf("Success %d of %d results, %d sent; want all answered", col.rep.Success, n, sent.Load())
	}
}

// The answer's length is read from its head, whatever its case.
func TestEpollAnswerLengthHeader(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 70_000) // more than one read
	srv := rawServer(t, keepOpen, "HTTP/1.1 201 Created\r\ncontent-length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	col := epollRun(t, Config{Target: srv, Hello: true, Rate: 20, Duration: 500 * time.Millisecond}, get(srv+"/"))
	if n := col.m.Requests; n < 1 || col.rep.Success != int(n) || col.m.BytesIn.Total != n*uint64(len(body)) {
		t.Errorf("Success %d of %d, bytes in %d, errors %q", col.rep.Success, n, col.m.BytesIn.Total, col.m.Errors)
	}
}

func TestEpollPaces(t *testing.T) {
	t.Parallel()
	srv, _ := newCountingServer(t, echo)
	start := time.Now()
	col := epollRun(t, Config{Target: srv.URL, Hello: true, Rate: 100, Duration: time.Second}, get(srv.URL+"/"))
	// One every 10 ms for 1 s: 100, one more if the last falls just after
	// the end; fewer only if this machine holds the sender up.
	if n := col.m.Requests; n < 50 || n > 101 || col.rep.Success != int(n) {
		t.Errorf("%d requests, %d answered, errors %q; want 100", n, col.rep.Success, col.m.Errors)
	}
	if d := time.Since(start); d < 990*time.Millisecond || d > 3*time.Second {
		t.Errorf("the attack took %v, want about 1s", d)
	}
}

func TestEpollAnswersWithoutBody(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ method, answer string }{
		// A HEAD answer has no body, whatever its head says.
		"HEAD":    {http.MethodHead, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"},
		"204":     {http.MethodGet, "HTTP/1.1 204 No Content\r\n\r\n"},
		"interim": {http.MethodGet, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pieces := []string{tc.answer}
			if name == "interim" { // then the answer, a little later
				pieces = append(pieces, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
			}
			srv := rawServer(t, keepOpen, pieces...)
			tr := vegeta.NewStaticTargeter(vegeta.Target{Method: tc.method, URL: srv + "/"})
			col := epollRun(t, Config{Target: srv, Hello: true, Rate: 20, Duration: 500 * time.Millisecond,
				Timeout: 2 * time.Second}, tr)
			if n := col.m.Requests; n < 1 || col.rep.Success != int(n) || len(col.m.Errors) != 0 {
				t.Errorf("Success %d of %d, codes %v, errors %q; want all answered", col.rep.Success, n,
					col.m.StatusCodes, col.m.Errors)
			}
		})
	}
}

func TestEpollKeepsAnswerBeforeReset(t *testing.T) {
	t.Parallel()
	srv := rawServer(t, resetAfter, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	col := epollRun(t, Config{Target: srv, Hello: true, Rate: 20, Duration: 500 * time.Millisecond}, get(srv+"/"))
	// The reset follows the answer at once; now and then it overtakes the
	// answer, which is then lost before it is read.
	if n := col.m.Requests; n < 1 || col.rep.Success*2 < int(n) || col.m.BytesIn.Total != 5*uint64(col.rep.Success) {
		t.Errorf("Success %d of %d, bytes in %d, errors %q; want the answers read before the reset counted",
			col.rep.Success, n, col.m.BytesIn.Total, col.m.Errors)
	}
}

// A server may answer before it has read the whole request (413, say)
// and keep the connection: its unsent rest must not be taken for the next
// request.
func TestEpollAnswerBeforeRequestSent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer func() { _ = c.Close() }()
				_ = c.(*net.TCPConn).SetReadBuffer(64 << 10)
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				// Answer at once; a while later take in whatever comes,
				// never answering again.
				_, _ = io.WriteString(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n")
				time.Sleep(300 * time.Millisecond)
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	srv := "http://" + ln.Addr().String()
	big := strings.Repeat("x", 8<<20) // more than the sockets hold (tcp_wmem's 4 MiB at most, 64 KiB)
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodPost, URL: srv + "/p", Body: []byte(big)})
	col := epollRun(t, Config{Target: srv, Hello: true, Rate: 4, Duration: time.Second,
		Timeout: 2 * time.Second}, tr)
	n := col.m.Requests
	if n < 2 || col.m.StatusCodes["413"] != int(n) || accepted.Load() != int64(n) {
		t.Errorf("%d requests, codes %v, %d connections, errors %q; want each answered 413 on its own connection",
			n, col.m.StatusCodes, accepted.Load(), col.m.Errors)
	}
}
