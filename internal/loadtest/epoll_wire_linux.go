//go:build linux

package loadtest

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// encode appends the bytes of t's request to buf, and returns them with a
// request of the same method for reading the answer. The target must be
// the attack's server.
func (e *engine) encode(buf []byte, t *vegeta.Target) ([]byte, *http.Request, error) {
	if t.URL != e.urlRaw {
		u, err := url.Parse(t.URL)
		if err != nil {
			return nil, nil, err
		}
		if u.Scheme != "http" || u.Host != e.host {
			return nil, nil, fmt.Errorf("target %s is not on %s", t.URL, e.host)
		}
		e.urlRaw, e.urlReq = t.URL, u.RequestURI()
	}
	req := e.reqs[t.Method]
	if req == nil {
		if !validToken(t.Method) {
			return nil, nil, fmt.Errorf("method %q: invalid", t.Method)
		}
		req = &http.Request{Method: t.Method}
		e.reqs[t.Method] = req
	}
	b := append(buf, t.Method...)
	b = append(b, ' ')
	b = append(b, e.urlReq...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, e.host...)
	b = append(b, "\r\nUser-Agent: pledge-loadtest\r\n"...)
	for _, k := range slices.Sorted(maps.Keys(t.Header)) {
		for _, v := range t.Header[k] {
			if !validToken(k) || !validHeader(v) {
				return nil, nil, fmt.Errorf("header %q: invalid", k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if len(t.Body) > 0 || t.Method == http.MethodPost || t.Method == http.MethodPut || t.Method == http.MethodPatch {
		b = fmt.Appendf(b, "Content-Length: %d\r\n", len(t.Body))
	}
	b = append(b, "\r\n"...)
	b = append(b, t.Body...)
	return b, req, nil
}

// validHeader reports whether s may stand as a header's value: no
// control characters, which could end the header early.
func validHeader(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validToken reports whether s may stand as a method or a header's name:
// not empty, and no separators, spaces or control characters.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// headIn reports whether in holds an answer's whole head.
func headIn(in []byte) bool {
	return bytes.Contains(in, []byte("\r\n\r\n")) || bytes.Contains(in, []byte("\n\n"))
}

// parse reads c's answer, whose head is all in, if all of its body has
// come too: the answer (nil if more is to come), its body's length, and
// how many bytes followed it. Interim answers (1xx) before it are skipped.
// Until the server closes the connection (end), a body that cannot be read
// is taken to be incomplete: a body cut short fails in more ways than one
// (a chunk's trailer, its size...), and one that is wrong fails at the
// deadline.
func (e *engine) parse(c *epConn, end bool) (resp *http.Response, n, rest int, err error) {
	e.rd.Reset(c.in)
	e.br.Reset(&e.rd)
	for {
		resp, err = http.ReadResponse(e.br, c.req)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("reading answer: %w", err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if after := c.in[len(c.in)-e.rd.Len()-e.br.Buffered():]; !end && !headIn(after) {
			return nil, 0, 0, nil
		}
	}
	// An answer with a body of no stated length ends when the server closes.
	if resp.Body != http.NoBody && resp.ContentLength < 0 && len(resp.TransferEncoding) == 0 && !end {
		return nil, 0, 0, nil
	}
	body, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		if !end {
			return nil, 0, 0, nil
		}
		return nil, 0, 0, fmt.Errorf("reading answer: %w", err)
	}
	return resp, int(body), e.rd.Len() + e.br.Buffered(), nil
}

// requestErr words a failed request as net/http's client does.
func requestErr(method, u string, err error) string {
	op := method
	if op != "" {
		op = op[:1] + strings.ToLower(op[1:])
	}
	return (&url.Error{Op: op, URL: u, Err: err}).Error()
}
