package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/mail"
)

// expires is 12:00 UTC, 5:30 pm in India.
var expires = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func optIn(lang string) mail.Data {
	return mail.Data{
		Kind:          mail.KindOptIn,
		Lang:          lang,
		CampaignTitle: "Vote 2026",
		ConfirmURL:    "https://pledge.example.org/confirm/tok?a=1&b=2",
		ExpiresAt:     expires,
	}
}

func confirmation(lang string) mail.Data {
	return mail.Data{
		Kind:           mail.KindConfirmation,
		Lang:           lang,
		CampaignTitle:  "Vote 2026",
		Number:         12345,
		CertificateURL: "https://pledge.example.org/certificate/tok",
		WithdrawURL:    "https://pledge.example.org/withdraw/tok",
	}
}

func TestCompose(t *testing.T) {
	tests := []struct {
		name        string
		data        mail.Data
		lang        string
		subject     string
		urls        []string
		text, html  []string // fragments each part must contain
		actionLinks int
	}{
		{
			name:        "opt-in English",
			data:        optIn("en"),
			lang:        "en",
			subject:     "Please confirm your pledge: Vote 2026",
			urls:        []string{"https://pledge.example.org/confirm/tok?a=1&b=2"},
			text:        []string{"Hello,", "2 March 2026, 5:30 pm IST"},
			html:        []string{"Confirm my pledge", "2 March 2026, 5:30 pm IST"},
			actionLinks: 1,
		},
		{
			name:        "opt-in Hindi",
			data:        optIn("hi"),
			lang:        "hi",
			subject:     "कृपया अपने संकल्प की पुष्टि करें: Vote 2026",
			urls:        []string{"https://pledge.example.org/confirm/tok?a=1&b=2"},
			text:        []string{"नमस्ते,", "“Vote 2026” में संकल्प लेने के लिए धन्यवाद।", "2 मार्च 2026, शाम 5:30 बजे IST"},
			html:        []string{"“Vote 2026” में संकल्प लेने के लिए धन्यवाद।", "संकल्प की पुष्टि करें", "2 मार्च 2026, शाम 5:30 बजे IST"},
			actionLinks: 1,
		},
		{
			name:        "confirmation English",
			data:        confirmation("en"),
			lang:        "en",
			subject:     "Your pledge #12,345: Vote 2026",
			urls:        []string{"https://pledge.example.org/certificate/tok", "https://pledge.example.org/withdraw/tok"},
			text:        []string{"You are pledge #12,345."},
			html:        []string{"View my certificate", "Correct my name or withdraw my pledge", "#12,345"},
			actionLinks: 2,
		},
		{
			name:        "confirmation Hindi",
			data:        confirmation("hi"),
			lang:        "hi",
			subject:     "आपका संकल्प क्रमांक 12,345: Vote 2026",
			urls:        []string{"https://pledge.example.org/certificate/tok", "https://pledge.example.org/withdraw/tok"},
			text:        []string{"आपका संकल्प क्रमांक 12,345 है।"},
			html:        []string{"अपना प्रमाणपत्र देखें", "संकल्प वापस लें", "आपका संकल्प क्रमांक <strong>12,345</strong> है।"},
			actionLinks: 2,
		},
		{
			name:        "Hindi by region tag",
			data:        func() mail.Data { d := confirmation("hi-IN"); d.Number = 1234567; return d }(),
			lang:        "hi",
			subject:     "आपका संकल्प क्रमांक 12,34,567: Vote 2026",
			urls:        []string{"https://pledge.example.org/certificate/tok"},
			actionLinks: 2,
		},
		{
			name:        "other language falls back to English",
			data:        optIn("fr"),
			lang:        "en",
			subject:     "Please confirm your pledge: Vote 2026",
			actionLinks: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mail.Compose(tt.data)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.Lang != tt.lang {
				t.Errorf("lang = %q, want %q", m.Lang, tt.lang)
			}
			if m.To != "" || m.MessageID != "" {
				t.Errorf("Compose set To or MessageID: %+v", m)
			}
			for _, u := range tt.urls {
				if !strings.Contains(m.Text, "\n"+u+"\n") {
					t.Errorf("text lacks %s on its own line:\n%s", u, m.Text)
				}
				if !strings.Contains(m.HTML, `href="`+strings.ReplaceAll(u, "&", "&amp;")+`"`) {
					t.Errorf("HTML lacks a link to %s:\n%s", u, m.HTML)
				}
			}
			for _, s := range tt.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tt.html {
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q:\n%s", s, m.HTML)
				}
			}
			if !strings.Contains(m.HTML, `<html lang="`+tt.lang+`">`) {
				t.Errorf("HTML lacks lang=%q", tt.lang)
			}
			if n := strings.Count(m.HTML, "<a "); n != tt.actionLinks {
				t.Errorf("HTML has %d links, want %d", n, tt.actionLinks)
			}
			for _, bad := range []string{"<img", "<link", "<script", "src=", "url(", "@import"} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("HTML contains %q", bad)
				}
			}
			if !strings.Contains(m.HTML, "<title>"+tt.subject+"</title>") {
				t.Errorf("HTML title is not the subject")
			}
		})
	}
}

func TestComposeEscapesHTML(t *testing.T) {
	d := confirmation("en")
	d.CampaignTitle = `<script>alert("x")</script>`
	m, err := mail.Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>") {
		t.Errorf("HTML is not escaped:\n%s", m.HTML)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject spans lines: %q", m.Subject)
	}
}

func TestComposeRejectsIncompleteData(t *testing.T) {
	tests := []struct {
		name   string
		data   mail.Data
		modify func(*mail.Data)
	}{
		{"unknown kind", optIn("en"), func(d *mail.Data) { d.Kind = "reminder" }},
		{"no title", optIn("en"), func(d *mail.Data) { d.CampaignTitle = " " }},
		{"opt-in without URL", optIn("en"), func(d *mail.Data) { d.ConfirmURL = "" }},
		{"opt-in with relative URL", optIn("en"), func(d *mail.Data) { d.ConfirmURL = "/confirm/tok" }},
		{"opt-in with javascript URL", optIn("en"), func(d *mail.Data) { d.ConfirmURL = "javascript:alert(1)" }},
		{"opt-in without expiry", optIn("en"), func(d *mail.Data) { d.ExpiresAt = time.Time{} }},
		{"confirmation without number", confirmation("hi"), func(d *mail.Data) { d.Number = 0 }},
		{"confirmation without certificate", confirmation("hi"), func(d *mail.Data) { d.CertificateURL = "" }},
		{"confirmation without withdraw", confirmation("hi"), func(d *mail.Data) { d.WithdrawURL = "" }},
		{"URL with a line break", confirmation("hi"), func(d *mail.Data) { d.WithdrawURL = "https://x.org/a\nb" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.data
			tt.modify(&d)
			if m, err := mail.Compose(d); err == nil {
				t.Errorf("Compose accepted it: %+v", m)
			}
		})
	}
}

// TestComposeSignedByTheCampaign: a campaign's signatory signs its mail,
// so that whoever reads it sees which office sent it; without one, the
// portal's name does.
func TestComposeSignedByTheCampaign(t *testing.T) {
	for _, lang := range []string{"en", "hi"} {
		d := confirmation(lang)
		d.Signatory = "District Election Officer, Bilaspur"
		m, err := mail.Compose(d)
		if err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			if !strings.Contains(body, "District Election Officer, Bilaspur") || strings.Contains(body, "Pledge Portal") ||
				strings.Contains(body, "संकल्प पोर्टल") {
				t.Errorf("%s %s part is not signed by the campaign's signatory:\n%s", lang, part, body)
			}
		}
		unsigned, err := mail.Compose(confirmation(lang))
		if err != nil {
			t.Fatal(err)
		}
		if site := map[string]string{"en": "Pledge Portal", "hi": "संकल्प पोर्टल"}[lang]; !strings.Contains(unsigned.Text, site) {
			t.Errorf("%s mail without a signatory is not signed %q:\n%s", lang, site, unsigned.Text)
		}
	}
}
