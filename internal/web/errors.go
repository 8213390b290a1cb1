package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/logevery"
	"github.com/pledgeportal/pledge/internal/pledge"
)

// Errors of the HTTP layer itself.
var (
	errUnsupportedMedia = errors.New("unsupported content type")
	errMethod           = errors.New("method not allowed")
	errBadRequest       = errors.New("bad request")
	errCrossOrigin      = errors.New("form sent from another site")
	errRateLimited      = errors.New("too many requests")
	// errPhoneLimited is errRateLimited for one mobile number, not for the
	// client's address: the citizen is told which.
	errPhoneLimited = fmt.Errorf("%w for this mobile number", errRateLimited)
	// errLinkInvalid marks a link of a mail (confirm, withdraw, pending)
	// that has expired or was never valid here: unknown, made for another
	// purpose or for another campaign. It always comes with pledge.ErrNotFound.
	errLinkInvalid = errors.New("link expired or not valid")
	// errImageWithdrawn refuses the pictures of a withdrawn pledge's
	// certificate, which show the full name: 410 Gone.
	errImageWithdrawn = errors.New("certificate picture of a withdrawn pledge")
)

// handlerFunc is a handler that returns its failure instead of writing it;
// page and api map failures to answers in one place each.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errDuplicateContact marks a duplicate in a campaign that requires an
// email address, where the mobile number or the address may be the one
// that pledged already.
var errDuplicateContact = errors.New("mobile number or email address already pledged")

// errDuplicateEither marks a duplicate of a submission that gave an
// address where one is optional: the number or the address pledged.
var errDuplicateEither = errors.New("mobile number or email address already used")

// duplicateIn wraps a duplicate refusal of sub so its message fits
// campaign c: where an address was given, the number's or the address's,
// and where one is required, with what to do about a pledge not confirmed
// yet. It says nothing of the earlier pledge (nor whether it was
// withdrawn): whoever knows a number learns no more of it.
func duplicateIn(c *pledge.Campaign, sub pledge.Submission, err error) error {
	switch {
	case !errors.Is(err, pledge.ErrDuplicate):
		return err
	case c.Email == pledge.EmailRequired:
		return fmt.Errorf("%w: %w", errDuplicateContact, err)
	case len(sub.EmailHash) > 0:
		return fmt.Errorf("%w: %w", errDuplicateEither, err)
	}
	return err
}

// status maps an error to its HTTP status and catalogue key.
func status(err error) (int, string) {
	var mbe *http.MaxBytesError
	var verr *pledge.ValidationError
	switch {
	case errors.Is(err, errLinkInvalid):
		return http.StatusNotFound, "link_invalid"
	case errors.Is(err, errImageWithdrawn):
		return http.StatusGone, "image_withdrawn"
	case errors.Is(err, errNoCampaign):
		return http.StatusNotFound, "campaign_not_found"
	case errors.Is(err, pledge.ErrNotFound):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, pledge.ErrClosed):
		return http.StatusForbidden, "campaign_closed"
	case errors.Is(err, errDuplicateContact):
		return http.StatusConflict, "duplicate_contact"
	case errors.Is(err, errDuplicateEither):
		return http.StatusConflict, "duplicate_either"
	case errors.Is(err, pledge.ErrDuplicate):
		return http.StatusConflict, "duplicate"
	case errors.Is(err, pledge.ErrOverloaded), errors.Is(err, pledge.ErrShuttingDown),
		errors.Is(err, pledge.ErrUnavailable), errors.Is(err, pledge.ErrRegionsChanged):
		return http.StatusServiceUnavailable, "overloaded"
	case errors.Is(err, certificate.ErrBusy):
		return http.StatusServiceUnavailable, "certificate_busy"
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, "bad_request"
	case errors.Is(err, errCrossOrigin):
		return http.StatusForbidden, "cross_origin"
	case errors.Is(err, errPhoneLimited):
		return http.StatusTooManyRequests, "phone_limited"
	case errors.Is(err, errRateLimited):
		return http.StatusTooManyRequests, "rate_limited"
	case errors.Is(err, pledge.ErrLimit):
		return http.StatusTooManyRequests, "resend_limit"
	case errors.Is(err, errUnsupportedMedia):
		return http.StatusUnsupportedMediaType, "bad_request"
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, "method_not_allowed"
	case errors.As(err, &verr), errors.Is(err, errBadRequest):
		return http.StatusBadRequest, "bad_request"
	default:
		return http.StatusInternalServerError, "server_error"
	}
}

// code is the machine-readable error name the API returns.
func code(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusForbidden:
		return "closed"
	case http.StatusConflict:
		return "duplicate"
	case http.StatusServiceUnavailable:
		return "overloaded"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusBadRequest:
		return "invalid"
	default:
		return "internal"
	}
}

// warnUnavailable logs why r is answered 503, when it is a fault (the store
// failed it) or the portal sheds load (the intake or the certificate
// renderer full): each once every few seconds at most, the lines held back
// meanwhile counted in the next. Every request has its own access log line
// (at info: at thousands a second, a line each at warn would flood the log
// just when the machine has least to spare).
func (s *Server) warnUnavailable(r *http.Request, err error) {
	var every *logevery.Every
	var msg string
	switch {
	case errors.Is(err, pledge.ErrUnavailable):
		every, msg = &s.storeAway, "storage unavailable"
	case errors.Is(err, pledge.ErrOverloaded), errors.Is(err, certificate.ErrBusy):
		every, msg = &s.overloaded, "overloaded"
	default: // shutting down, regions changed: expected, nothing to look at
		return
	}
	if ok, held := every.Allow(s.now()); ok {
		s.log.WarnContext(r.Context(), msg, "method", r.Method, "route", r.Pattern,
			"request_id", pledge.RequestID(r.Context()), "err", err, "held_back", held)
	}
}

// failure maps err to its status and catalogue key, logs what needs a
// look, and asks for a retry where one will help. Both adapters start here.
func (s *Server) failure(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	st, key := status(err)
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return st, key // the client left while its pledge was committing: nothing to look at
	}
	// The route pattern, never the path: paths carry tokens.
	if st >= 500 && st != http.StatusServiceUnavailable {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "status", st,
			"request_id", pledge.RequestID(r.Context()), "err", err)
	}
	if st == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
		s.warnUnavailable(r, err)
	}
	return st, key
}

// page adapts a page handler: failures become a small HTML page in the
// visitor's language.
func (s *Server) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		st, key := s.failure(w, r, err)
		lang, _ := pickLang(r, s.cat.langs)
		if l, ok := langOf(err); ok && slices.Contains(s.cat.langs, l) {
			lang = l
		}
		s.render(w, r, st, "error", s.newPage(r, lang, s.cat.langs, s.cat.T(lang, key), s.errorView(r, key)))
	})
}

// apiError is the body of every API failure.
type apiError struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Detail  string            `json:"detail,omitempty"` // what exactly was malformed, for the integrator (English)
}

// api adapts a JSON handler: failures become {"error", "message", "fields"}.
func (s *Server) api(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		st, key := s.failure(w, r, err)
		lang, ok := langOf(err)
		if !ok {
			lang = r.URL.Query().Get("lang")
		}
		body := apiError{Error: code(st), Message: s.cat.T(lang, key)}
		var verr *pledge.ValidationError
		if errors.As(err, &verr) {
			body.Fields = make(map[string]string, len(verr.Fields))
			for _, f := range verr.Fields {
				body.Fields[f.Field] = s.cat.T(lang, f.Key)
			}
		} else if st == http.StatusBadRequest {
			body.Detail = err.Error()
		}
		writeJSON(w, st, body)
	})
}

// langError carries the language a failure should be explained in.
type langError struct {
	lang string
	err  error
}

func (e *langError) Error() string { return e.err.Error() }
func (e *langError) Unwrap() error { return e.err }

func withLang(lang string, err error) error {
	if err == nil {
		return nil
	}
	return &langError{lang: lang, err: err}
}

func langOf(err error) (string, bool) {
	var le *langError
	if errors.As(err, &le) {
		return le.lang, true
	}
	return "", false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// errorView is the data of an error page: its message's key, and for a
// link under a campaign's path that has expired or is not valid, the
// campaign it names, where there is one, and what to do about it.
type errorView struct {
	Key, Slug string
	Hint      string // catalogue key of what to do; empty: none
}

func (s *Server) errorView(r *http.Request, key string) errorView {
	v := errorView{Key: key}
	if slug := r.PathValue("slug"); slug != "" && key == "link_invalid" {
		if c, err := s.campaigns.get(r.Context(), slug); err == nil {
			v.Slug, v.Hint = c.Slug, linkHint(r.Pattern)
		}
	}
	return v
}

// linkHint is the catalogue key of the advice for a broken link of the
// route pattern: a confirmation or "check your mail" link may have
// expired, and the pledge can be taken again; a thank-you or withdrawal
// link cannot be mended that way (the number has pledged), so the advice
// is to check it was copied whole.
func linkHint(pattern string) string {
	if strings.Contains(pattern, "/confirm/") || strings.Contains(pattern, "/pending/") {
		return "link_invalid_hint"
	}
	return "link_invalid_copy_hint"
}
