package mail

import (
	"errors"
	"regexp"

	gomail "github.com/wneessen/go-mail"
)

// sendError is a failed Send. Its text names the recipient only as
// "recipient" (go-mail's errors and many servers' replies quote the
// address); errors.Is and errors.As still reach ErrPermanent and the cause.
type sendError struct {
	text string
	errs []error
}

func (e *sendError) Error() string   { return e.text }
func (e *sendError) Unwrap() []error { return e.errs }

// classify turns the error of a failed delivery of message id to rcpt into
// the error Send returns: permanent when the server refused the recipient
// or the message with a 5xx reply, temporary otherwise. A 5xx to MAIL FROM
// is about our sender, not this message, so it stays temporary: once the
// configuration is fixed a retry succeeds.
func classify(err error, id, rcpt string) error {
	text := redact(err.Error(), rcpt)
	var se *gomail.SendError
	if errors.As(err, &se) && isPermanent(se) {
		return &sendError{
			text: "mail: permanently refused: message " + id + ": " + text,
			errs: []error{ErrPermanent, err},
		}
	}
	return &sendError{text: "mail: send " + id + ": " + text, errs: []error{err}}
}

// isPermanent reports whether the server answered 5xx for the recipient or
// the message.
func isPermanent(se *gomail.SendError) bool {
	if se.IsTemp() || se.ErrorCode()/100 != 5 {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return true
	}
	return false
}

// redact replaces every occurrence of the address rcpt in s, in any case,
// with "recipient".
func redact(s, rcpt string) string {
	if rcpt == "" {
		return s
	}
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(rcpt)).ReplaceAllLiteralString(s, "recipient")
}
