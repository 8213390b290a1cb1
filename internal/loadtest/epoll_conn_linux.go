//go:build linux

package loadtest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// epConn is one connection.
type epConn struct {
	fd         int
	connecting bool           // connect(2) not yet finished
	out        []byte         // the request's bytes
	wrote      int            // how many of them are written
	in         []byte         // answer bytes read so far
	res        *vegeta.Result // the request in flight; nil when idle
	req        *http.Request  // its method, for reading the answer
	writing    bool           // EPOLLOUT is watched
	closed     bool
}

// take returns an idle connection, or a new one if fewer than
// cfg.MaxWorkers are open, or neither (nil, nil) if none may be opened.
func (e *engine) take() (*epConn, error) {
	for len(e.idle) > 0 {
		c := e.idle[len(e.idle)-1]
		e.idle = e.idle[:len(e.idle)-1]
		if !c.closed {
			return c, nil
		}
	}
	if uint64(len(e.conns)) >= e.cfg.MaxWorkers {
		return nil, nil
	}
	return e.dial()
}

// dial starts a connection to the target.
func (e *engine) dial() (*epConn, error) {
	fd, err := syscall.Socket(e.family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	err = syscall.Connect(fd, e.addr)
	if err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		_ = syscall.Close(fd)
		return nil, e.dialErr(err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(e.ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	c := &epConn{fd: fd, connecting: true, writing: true}
	e.conns[int32(fd)] = c
	return c, nil
}

// dialErr words a failed connect as net.Dial would, without the local port.
func (e *engine) dialErr(err error) error {
	return fmt.Errorf("dial tcp %s: connect: %w", e.host, err)
}

// send starts request seq on c: its target from tr, its bytes written as
// far as the socket takes them. If no connection could be had (c is nil),
// the request fails with takeErr. If tr fails, the attack stops, as
// vegeta's does.
func (e *engine) send(c *epConn, takeErr error, tr vegeta.Targeter, now time.Time, seq uint64) {
	res := &vegeta.Result{Attack: attackName, Seq: seq, Timestamp: now}
	var t vegeta.Target
	if err := tr(&t); err != nil {
		res.Error = err.Error()
		e.col.add(res)
		e.giveBack(c)
		e.stopped = true
		return
	}
	res.Method, res.URL, res.BytesOut = t.Method, t.URL, uint64(len(t.Body))
	if c == nil {
		res.Error = requestErr(t.Method, t.URL, takeErr)
		e.col.add(res)
		return
	}
	out, req, err := e.encode(c.out[:0], &t)
	if err != nil {
		res.Error = requestErr(t.Method, t.URL, err)
		e.col.add(res)
		e.giveBack(c)
		return
	}
	c.res, c.req, c.out, c.wrote, c.in = res, req, out, 0, c.in[:0]
	e.busy++
	if !c.connecting {
		e.flush(c)
	}
}

// giveBack returns an unused connection, if any, to the idle ones.
func (e *engine) giveBack(c *epConn) {
	if c != nil && !c.closed {
		e.idle = append(e.idle, c)
	}
}

// flush writes what is left of c's request, watching for the socket to
// take more if it does not take it all.
func (e *engine) flush(c *epConn) {
	for c.wrote < len(c.out) {
		n, err := syscall.Write(c.fd, c.out[c.wrote:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			e.watchWrite(c, true)
			return
		}
		if err != nil {
			e.fail(c, fmt.Errorf("write tcp %s: %w", e.host, err))
			return
		}
		c.wrote += n
	}
	e.watchWrite(c, false)
}

// watchWrite starts or stops watching c for room to write.
func (e *engine) watchWrite(c *epConn, on bool) {
	if c.writing == on {
		return
	}
	c.writing = on
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
	if on {
		ev.Events |= syscall.EPOLLOUT
	}
	if err := syscall.EpollCtl(e.ep, syscall.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		e.fail(c, fmt.Errorf("epoll: %w", err))
	}
}

// ready handles what epoll reported of c.
func (e *engine) ready(c *epConn, events uint32) {
	if c.connecting && events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		soErr, err := syscall.GetsockoptInt(c.fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err == nil && soErr != 0 {
			err = syscall.Errno(soErr)
		}
		if err != nil {
			e.fail(c, e.dialErr(err))
			return
		}
		c.connecting = false
		if c.res == nil {
			e.watchWrite(c, false)
			return
		}
		e.flush(c)
		if c.closed {
			return
		}
	} else if events&syscall.EPOLLOUT != 0 && c.wrote < len(c.out) {
		e.flush(c)
		if c.closed {
			return
		}
	}
	if events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		e.read(c)
	}
}

// read takes what c has to read and, once a whole answer is in, reports
// its request's result.
func (e *engine) read(c *epConn) {
	eof := false
	var rerr error
	for {
		if len(c.in) == cap(c.in) {
			c.in = slices.Grow(c.in, max(4096, len(c.in)))
		}
		n, err := syscall.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			break
		}
		if err != nil {
			rerr = err
			break
		}
		if n == 0 {
			eof = true
			break
		}
		c.in = c.in[:len(c.in)+n]
	}
	if c.res == nil { // idle: the server closed it, or spoke out of turn
		if eof || rerr != nil || len(c.in) > 0 {
			e.drop(c)
		}
		return
	}
	// A reset may follow a whole answer (a server closing with input
	// unread): the answer counts, as at the end of the stream.
	end := eof || rerr != nil
	if !end && !headIn(c.in) {
		return
	}
	resp, n, rest, err := e.parse(c, end)
	switch {
	case err != nil:
		e.fail(c, err)
	case resp == nil:
		if rerr != nil {
			e.fail(c, fmt.Errorf("read tcp %s: %w", e.host, rerr))
		} else if eof {
			e.fail(c, fmt.Errorf("read tcp %s: %w", e.host, io.ErrUnexpectedEOF))
		}
	default:
		res := c.res
		res.Code = uint16(resp.StatusCode)
		res.Headers = resp.Header
		res.BytesIn = uint64(n)
		res.Latency = time.Since(res.Timestamp)
		if res.Code < 200 || res.Code > 399 {
			res.Error = resp.Status
		}
		c.res, c.req = nil, nil
		e.busy--
		e.col.add(res)
		// Not reused: a connection the server closes or will close, one
		// with more than was asked for on it, and one whose request the
		// server answered before taking all of it.
		if end || resp.Close || rest > 0 || c.wrote < len(c.out) {
			e.drop(c)
			return
		}
		c.in, c.out, c.wrote = c.in[:0], c.out[:0], 0
		e.idle = append(e.idle, c)
	}
}

// expire fails the requests in flight longer than cfg.Timeout.
func (e *engine) expire(now time.Time) {
	for _, c := range e.conns {
		if c.res != nil && now.Sub(c.res.Timestamp) > e.cfg.Timeout {
			e.fail(c, fmt.Errorf("no answer from %s within %s", e.host, e.cfg.Timeout))
		}
	}
}

// fail reports c's request as failed with err, and closes c.
func (e *engine) fail(c *epConn, err error) {
	if res := c.res; res != nil {
		res.Error = requestErr(res.Method, res.URL, err)
		res.Latency = time.Since(res.Timestamp)
		c.res = nil
		e.busy--
		e.col.add(res)
	}
	e.drop(c)
}

// drop closes c.
func (e *engine) drop(c *epConn) {
	if c.closed {
		return
	}
	c.closed = true
	delete(e.conns, int32(c.fd))
	_ = syscall.Close(c.fd)
}

// abort fails every request in flight with err.
func (e *engine) abort(err error) {
	for _, c := range e.conns {
		e.fail(c, err)
	}
}

// close closes every connection and the epoll instance.
func (e *engine) close() {
	for _, c := range e.conns {
		e.drop(c)
	}
	_ = syscall.Close(e.ep)
}
