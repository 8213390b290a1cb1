package pledge

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors shared by every layer. Handlers map them to answers.
var (
	// ErrNotFound means the campaign, pledge or certificate does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate means the mobile number (or email) already pledged to this campaign.
	ErrDuplicate = errors.New("already pledged")
	// ErrClosed means the campaign is not open for pledges at this moment.
	ErrClosed = errors.New("campaign is not open")
	// ErrOverloaded means the intake queue is full; the caller should retry shortly.
	ErrOverloaded = errors.New("overloaded, retry shortly")
	// ErrShuttingDown means the intake no longer accepts submissions.
	ErrShuttingDown = errors.New("shutting down")
	// ErrUnavailable means the database could not store the pledge just now;
	// nothing was stored and the caller should retry shortly.
	ErrUnavailable = errors.New("storage unavailable, retry shortly")
	// ErrRegionInUse means an edit would remove (or turn into a parent) a
	// region that pledges are counted in.
	ErrRegionInUse = errors.New("region has pledges")
	// ErrRegionsChanged means the campaign's regions changed (one a pledge
	// could name was removed or became a parent) after the submission was
	// prepared against them: nothing was stored, and it should be prepared
	// again against the campaign as it is now.
	ErrRegionsChanged = errors.New("campaign regions changed since the pledge was checked")
	// ErrEditConflict means a campaign was saved by someone else after the
	// copy being saved was read: nothing was changed, and the edit should be
	// made again on the campaign as it is now.
	ErrEditConflict = errors.New("campaign changed since it was read")
	// ErrLimit means a repeated action (such as resending a mail) has been
	// done as often as it may be.
	ErrLimit = errors.New("limit reached")
)

// FieldError names the field a validation failure belongs to. Message is a
// catalogue key, so the web layer can show it in the citizen's language.
type FieldError struct {
	Field string
	Key   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Key }

// Message keys used in FieldError.Key. The web catalogue translates them.
const (
	MsgNameRequired  = "err_name_required"
	MsgNameTooLong   = "err_name_too_long"
	MsgNameInvalid   = "err_name_invalid"
	MsgNameLetters   = "err_name_letters"    // emoji, symbols, a script without a font
	MsgNameNoLetters = "err_name_no_letters" // digits or punctuation only ("12345", "...")
	MsgPhoneRequired = "err_phone_required"
	MsgPhoneInvalid  = "err_phone_invalid"
	MsgRegionUnknown = "err_region_unknown"
	MsgEmailRequired = "err_email_required"
	MsgEmailInvalid  = "err_email_invalid"
	MsgLangUnknown   = "err_lang_unknown"
)

// ValidationError collects every field that failed, so a form can show all
// problems at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	sort.Strings(parts)
	return "invalid submission: " + strings.Join(parts, "; ")
}

// Field returns the message key for field, or "" when that field is fine.
func (e *ValidationError) Field(field string) string {
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Key
		}
	}
	return ""
}

func (e *ValidationError) add(field, key string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Key: key})
}
