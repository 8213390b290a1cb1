// Package mail sends the portal's email: the opt-in message that asks a
// citizen to confirm a pledge and the confirmation that the pledge is
// counted. Compose renders a message from embedded templates in English or
// Hindi; a Sender delivers it. SMTP is the Sender used in production, and
// package mailtest runs an SMTP server in-process for tests.
package mail

import (
	"context"
	"errors"
)

// ErrPermanent is wrapped by the errors of a Send that must not be
// retried: the server refused the recipient or the message with a 5xx
// reply, or the message itself can never be sent (for example an invalid
// recipient address). Every other failure is temporary and worth a retry.
var ErrPermanent = errors.New("mail: permanently refused")

// Message is one email ready to send. Compose fills in everything but To
// and MessageID.
type Message struct {
	// To is the recipient's address (personal data: it never appears in
	// logs or errors).
	To string
	// Subject is the subject line, in any script; it is encoded on the wire.
	Subject string
	// Text is the plain-text part; it is required.
	Text string
	// HTML is the HTML alternative; a message without one is sent as plain
	// text only.
	HTML string
	// MessageID is sent as the Message-ID header, with or without the
	// surrounding angle brackets, e.g. "pledge-42-optin@pledge.example.org".
	// A resend of the same job must reuse it so that mail clients and
	// servers recognise the duplicate.
	MessageID string
	// Lang is the language tag of the content, sent as Content-Language.
	Lang string
}

// Sender delivers messages. Send returns an error wrapping ErrPermanent
// when retrying cannot help, and any other error when it can.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
