package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// Kind is what a message tells the citizen.
type Kind string

// The kinds of message Compose renders.
const (
	// KindOptIn asks the citizen to confirm a pledge through ConfirmURL
	// before ExpiresAt.
	KindOptIn Kind = "optin"
	// KindConfirmation tells the citizen that pledge Number is counted and
	// links to the certificate and to withdrawing the pledge.
	KindConfirmation Kind = "confirmation"
)

// Data is what Compose needs for a message of one Kind.
type Data struct {
	// Kind selects the message.
	Kind Kind
	// Lang is the language to write in: "hi" (or a Hindi tag such as
	// "hi-IN") for Hindi, anything else for English.
	Lang string
	// CampaignTitle is the campaign's title in Lang; required.
	CampaignTitle string
	// Signatory is who runs the campaign, as its certificates name them
	// ("District Election Officer, Bilaspur"), to sign the mail; empty: the
	// portal's name.
	Signatory string
	// Number is the pledge's certificate number; required for
	// KindConfirmation.
	Number int64
	// ConfirmURL confirms the pledge; required for KindOptIn.
	ConfirmURL string
	// CertificateURL shows the certificate; required for KindConfirmation.
	CertificateURL string
	// WithdrawURL withdraws the pledge; required for KindConfirmation.
	WithdrawURL string
	// ExpiresAt is when ConfirmURL stops working; required for KindOptIn.
	ExpiresAt time.Time
}

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// langs are the languages with templates; the first is the fallback.
var langs = []string{"en", "hi"}

// templates holds the parsed templates per language.
var templates = mustParseTemplates()

type langTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// link is one call to action in the HTML part.
type link struct{ URL, Label string }

// signature closes the HTML part.
type signature struct{ Site, Auto string }

func mustParseTemplates() map[string]langTemplates {
	funcs := htmltemplate.FuncMap{
		"link":      func(url, label string) link { return link{url, label} },
		"signature": func(site, auto string) signature { return signature{site, auto} },
	}
	m := make(map[string]langTemplates, len(langs))
	for _, lang := range langs {
		m[lang] = langTemplates{
			text: texttemplate.Must(texttemplate.New(lang).ParseFS(templateFS, "templates/"+lang+".txt")),
			html: htmltemplate.Must(htmltemplate.New(lang).Funcs(funcs).
				ParseFS(templateFS, "templates/common.html", "templates/"+lang+".html")),
		}
	}
	return m
}

// view is what the templates see: every value already formatted for the
// language.
type view struct {
	Lang, Subject, Title, Signatory, Number, Expires string
	ConfirmURL, CertificateURL, WithdrawURL          string
}

// Compose renders the message d describes, in d's language. The result
// has Subject, Text, HTML and Lang set; To and MessageID are the caller's.
func Compose(d Data) (Message, error) {
	if err := d.validate(); err != nil {
		return Message{}, err
	}
	lang := pickLang(d.Lang)
	v := view{
		Lang:           lang,
		Title:          oneLine(d.CampaignTitle),
		Signatory:      oneLine(d.Signatory),
		ConfirmURL:     d.ConfirmURL,
		CertificateURL: d.CertificateURL,
		WithdrawURL:    d.WithdrawURL,
	}
	if d.Number > 0 {
		v.Number = formatNumber(lang, d.Number)
	}
	if !d.ExpiresAt.IsZero() {
		v.Expires = pledge.FormatIST(lang, d.ExpiresAt)
	}

	t := templates[lang]
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, string(d.Kind)+".subject", v); err != nil {
		return Message{}, fmt.Errorf("mail: compose %s subject: %w", d.Kind, err)
	}
	v.Subject = oneLine(subject.String())
	if err := t.text.ExecuteTemplate(&text, string(d.Kind)+".text", v); err != nil {
		return Message{}, fmt.Errorf("mail: compose %s text: %w", d.Kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, string(d.Kind)+".html", v); err != nil {
		return Message{}, fmt.Errorf("mail: compose %s html: %w", d.Kind, err)
	}
	return Message{Subject: v.Subject, Text: text.String(), HTML: html.String(), Lang: lang}, nil
}

// validate checks that d has what its Kind needs.
func (d Data) validate() error {
	var errs []error
	if strings.TrimSpace(d.CampaignTitle) == "" {
		errs = append(errs, errors.New("campaign title must be set"))
	}
	switch d.Kind {
	case KindOptIn:
		errs = append(errs, checkURL("confirm URL", d.ConfirmURL))
		if d.ExpiresAt.IsZero() {
			errs = append(errs, errors.New("expiry must be set"))
		}
	case KindConfirmation:
		if d.Number < 1 {
			errs = append(errs, fmt.Errorf("number %d must be positive", d.Number))
		}
		errs = append(errs, checkURL("certificate URL", d.CertificateURL), checkURL("withdraw URL", d.WithdrawURL))
	default:
		errs = append(errs, fmt.Errorf("unknown kind %q", d.Kind))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mail: compose %s: %w", d.Kind, err)
	}
	return nil
}

// checkURL reports whether s is an absolute http(s) URL that fits on one
// line of the plain-text part.
func checkURL(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s must be set", what)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsFunc(s, unicode.IsSpace) {
		// The URL is left out: it carries the citizen's token.
		return fmt.Errorf("%s must be an absolute http(s) URL", what)
	}
	return nil
}

// pickLang maps a language tag to one with templates, falling back to English.
func pickLang(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	base, _, _ = strings.Cut(base, "_")
	for _, l := range langs {
		if l == base {
			return l
		}
	}
	return langs[0]
}
