package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
)

// Received is one message as the server got it.
type Received struct {
	// From is the envelope sender (MAIL FROM).
	From string
	// To are the envelope recipients (RCPT TO).
	To []string
	// Username is who authenticated, empty without AUTH.
	Username string
	// Data is the message exactly as transmitted.
	Data []byte
	// Header is the parsed header; values are as sent (see Subject).
	Header netmail.Header
	// Text and HTML are the decoded text/plain and text/html parts.
	Text, HTML string
}

// Subject returns the decoded Subject header.
func (r Received) Subject() string {
	s := r.Header.Get("Subject")
	dec, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return dec
}

func (r Received) clone() Received {
	c := r
	c.To = append([]string(nil), r.To...)
	c.Data = append([]byte(nil), r.Data...)
	c.Header = make(netmail.Header, len(r.Header))
	for k, v := range r.Header {
		c.Header[k] = append([]string(nil), v...)
	}
	return c
}

// parse reads a message and decodes its text and HTML parts.
func parse(data []byte) (Received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Received{}, fmt.Errorf("header: %w", err)
	}
	rec := Received{Data: data, Header: msg.Header}
	err = rec.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return rec, err
}

// walk decodes one entity, descending into multiparts, and keeps the first
// text/plain and text/html bodies it meets.
func (r *Received) walk(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			// multipart.Reader decodes quoted-printable itself and then
			// drops the Content-Transfer-Encoding header.
			if err := r.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s: unexpected charset %q", mediaType, cs)
	}
	var dec io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		dec = quotedprintable.NewReader(body)
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("%s: unknown transfer encoding %q", mediaType, encoding)
	}
	b, err := io.ReadAll(dec)
	if err != nil {
		return fmt.Errorf("%s: decode %s: %w", mediaType, encoding, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	if mediaType == "text/plain" && r.Text == "" {
		r.Text = text
	} else if mediaType == "text/html" && r.HTML == "" {
		r.HTML = text
	}
	return nil
}
