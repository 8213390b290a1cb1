//go:build linux

package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// epollAttack sends tr's requests to a plain-HTTP target at cfg's pace
// for cfg.Duration, and hands each result to col as its answer arrives. It
// reports false, having sent nothing, if the target is not plain HTTP.
//
// Everything happens on one goroutine: it writes each
// request on a kept-alive non-blocking socket, and reads the answers of
// all of them as epoll(7) reports them ready, many per wake-up. vegeta's
// attacker instead hands every request from its pacing goroutine to a
// worker goroutine, which sleeps until the answer comes and hands it to
// the collecting goroutine. On a machine that also runs the servers under
// test each of those hand-offs may wake a sleeping thread, and on a virtual
// machine such wake-ups are dear: this way the generator takes less than
// half the CPU per request, which is left to the servers it measures.
//
// It keeps vegeta's meaning of the configuration: the pacer decides when
// each request is due; at most cfg.MaxWorkers requests are in flight, one
// per connection, and while all are busy the pacer waits (and catches up
// after); cfg.Timeout bounds each request from the moment it is due until
// its answer's last byte. A failed request is not retried. A connection
// is closed when the server says so, when it closes it, or when a request
// on it fails. When ctx is cancelled sending stops at once and requests
// still in flight are dropped unreported.
func epollAttack(ctx context.Context, cfg Config, tr vegeta.Targeter, col *collector) bool {
	u, err := url.Parse(cfg.Target)
	if err != nil || u.Scheme != "http" {
		return false
	}
	e := &engine{cfg: cfg, col: col, host: u.Host, conns: make(map[int32]*epConn), reqs: make(map[string]*http.Request)}
	col.start(time.Now())
	if err := e.open(ctx, u); err != nil {
		// Every request fails the same way, as vegeta's would.
		e.failAll(ctx, tr, err)
		return true
	}
	defer e.close()
	e.run(ctx, tr)
	return true
}

// scanEvery is how often requests are checked against their deadline.
const scanEvery = 50 * time.Millisecond

// engine is the state of one epoll attack.
type engine struct {
	cfg  Config
	col  *collector
	host string // the target's host[:port], as requests name it

	ep      int              // the epoll instance
	family  int              // of addr
	addr    syscall.Sockaddr // the target, resolved once
	conns   map[int32]*epConn
	idle    []*epConn // most recently used last
	busy    int       // requests in flight
	stopped bool      // the targeter failed: send no more

	rd bytes.Reader  // reads a connection's answer so far
	br *bufio.Reader // over rd

	urlRaw string // the last target URL encoded, and its request path
	urlReq string
	reqs   map[string]*http.Request // by method, for reading answers
}

// open resolves the target and creates the epoll instance.
func (e *engine) open(ctx context.Context, u *url.URL) error {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil {
		return fmt.Errorf("dial tcp %s: %w", u.Host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("dial tcp %s: no address", u.Host)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		return fmt.Errorf("dial tcp %s: %w", u.Host, err)
	}
	ip := addrs[0]
	if len(addrs) > 1 {
		// As net.Dial would, take the first address that answers (say
		// IPv4 for a name that also has an IPv6 address no one listens on).
		d := net.Dialer{Timeout: e.cfg.Timeout}
		for _, a := range addrs {
			if c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a, uint16(p)).String()); err == nil {
				_ = c.Close()
				ip = a
				break
			}
		}
	}
	ip = ip.Unmap()
	if ip.Is4() {
		e.family, e.addr = syscall.AF_INET, &syscall.SockaddrInet4{Port: p, Addr: ip.As4()}
	} else {
		e.family, e.addr = syscall.AF_INET6, &syscall.SockaddrInet6{Port: p, Addr: ip.As16()}
	}
	if e.ep, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	e.br = bufio.NewReaderSize(&e.rd, 16<<10)
	return nil
}

// failAll reports, for every request due in the test, the error err.
func (e *engine) failAll(ctx context.Context, tr vegeta.Targeter, err error) {
	e.pace(ctx, func(now time.Time, seq uint64) bool {
		var t vegeta.Target
		if terr := tr(&t); terr != nil {
			e.col.add(&vegeta.Result{Attack: attackName, Seq: seq, Timestamp: now, Error: terr.Error()})
			e.stopped = true
			return true
		}
		e.col.add(&vegeta.Result{Attack: attackName, Seq: seq, Timestamp: now, Method: t.Method, URL: t.URL,
			Error: requestErr(t.Method, t.URL, err)})
		return true
	}, func(timeout int) bool {
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(max(timeout, 0)) * time.Millisecond):
		}
		return true
	})
}

// run is the attack's loop.
func (e *engine) run(ctx context.Context, tr vegeta.Targeter) {
	events := make([]syscall.EpollEvent, 512)
	nextScan := time.Now().Add(scanEvery)
	e.pace(ctx, func(now time.Time, seq uint64) bool {
		c, err := e.take()
		if c == nil && err == nil {
			return false
		}
		e.send(c, err, tr, now, seq)
		return true
	}, func(timeout int) bool {
		if timeout < 0 || timeout > int(scanEvery/time.Millisecond) {
			timeout = int(scanEvery / time.Millisecond)
		}
		n, err := syscall.EpollWait(e.ep, events, timeout)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			e.abort(fmt.Errorf("epoll: %w", err))
			return false
		}
		for _, ev := range events[:max(n, 0)] {
			if c := e.conns[ev.Fd]; c != nil {
				e.ready(c, ev.Events)
			}
		}
		if now := time.Now(); !now.Before(nextScan) {
			e.expire(now)
			nextScan = now.Add(scanEvery)
		}
		return true
	})
}

// pace calls hit for each request as the pacer makes it due, with the
// time and its sequence number; hit reports false if it could not start
// the request now (it is then offered again). Between requests it calls
// wait with the milliseconds until the next is due or a progress line is,
// during which it may take answers; wait reports false to end the attack.
// It returns when ctx is cancelled, or the test's duration is over and no
// request is in flight.
func (e *engine) pace(ctx context.Context, hit func(time.Time, uint64) bool, wait func(int) bool) {
	p := e.cfg.pacer()
	began := time.Now()
	nextTick := began.Add(e.cfg.ProgressEvery)
	var hits uint64
	sending, waiting := true, false
	for {
		now := time.Now()
		if ctx.Err() != nil {
			return
		}
		timeout := -1
		for sending {
			if e.stopped {
				sending = false
				break
			}
			elapsed := now.Sub(began)
			// As vegeta does, the next request is sent if the duration is
			// not over when it is first waited for.
			if !waiting && elapsed > e.cfg.Duration {
				sending = false
				break
			}
			waiting = true
			due, stop := p.Pace(elapsed, hits)
			if stop {
				sending = false
				break
			}
			if due > 0 {
				timeout = ceilMillis(due)
				break
			}
			if !hit(now, hits) {
				break // every connection is busy: wait for an answer
			}
			hits++
			waiting = false
			now = time.Now()
		}
		if !sending && e.busy == 0 {
			return
		}
		if !now.Before(nextTick) {
			e.col.tick(now)
			if nextTick = nextTick.Add(e.cfg.ProgressEvery); !nextTick.After(now) {
				nextTick = now.Add(e.cfg.ProgressEvery) // held up: skip the lines missed
			}
		}
		if d := ceilMillis(nextTick.Sub(now)); timeout < 0 || d < timeout {
			timeout = max(d, 0)
		}
		if !wait(timeout) {
			return
		}
	}
}

// ceilMillis returns d in whole milliseconds, rounded up: epoll_wait's
// timeout, which must not wake the loop before d has passed.
func ceilMillis(d time.Duration) int {
	return int((d + time.Millisecond - 1) / time.Millisecond)
}
