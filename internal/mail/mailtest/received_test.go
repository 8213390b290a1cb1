package mailtest

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	raw := strings.ReplaceAll(`From: a@example.org
To: b@example.org
Subject: =?UTF-8?q?=E0=A4=A8=E0=A4=AE=E0=A4=B8=E0=A5=8D=E0=A4=A4=E0=A5=87?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 =
au lait
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+4KSo4KSu4KS44KWN4KSk4KWHPC9wPg==
--inner--
--outer--
`, "\n", "\r\n")
	r, err := parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject() != "नमस्ते" {
		t.Errorf("subject = %q", r.Subject())
	}
	if r.Text != "café au lait" {
		t.Errorf("text = %q", r.Text)
	}
	if r.HTML != "<p>नमस्ते</p>" {
		t.Errorf("html = %q", r.HTML)
	}
}

func TestParsePlainMessage(t *testing.T) {
	r, err := parse([]byte("Subject: hi\r\n\r\nhello\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "hello\n" || r.HTML != "" {
		t.Errorf("text %q html %q", r.Text, r.HTML)
	}
}

func TestParseRejectsUnknownEncoding(t *testing.T) {
	if _, err := parse([]byte("Content-Transfer-Encoding: x-uue\r\n\r\nbody")); err == nil {
		t.Error("parse accepted an unknown transfer encoding")
	}
}

func TestMessagesIsACopy(t *testing.T) {
	s := NewServer(t)
	s.deliver(Received{To: []string{"a@example.org"}, Data: []byte("x")})
	got := s.Messages()
	got[0].To[0], got[0].Data[0] = "changed", 'y'
	again := s.WaitFor(t, 1, 0)
	if again[0].To[0] != "a@example.org" || string(again[0].Data) != "x" {
		t.Errorf("Messages shares memory with the server: %+v", again[0])
	}
}
