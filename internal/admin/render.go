package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

//go:embed templates/*.html
var templateFiles embed.FS

var funcs = template.FuncMap{
	// emailModes are the choices of a campaign's email field.
	"emailModes": func() []pledge.EmailMode {
		return []pledge.EmailMode{pledge.EmailNone, pledge.EmailOptional, pledge.EmailRequired}
	},
	// when formats an instant for the console (consoleTime); "—" for none.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return consoleTime(t)
	},
	// inIST rewrites the UTC times in a stored description (an
	// invalidation's filter) in IST.
	"inIST": inIST,
	// maxNameReason is the longest reason a name correction takes.
	"maxNameReason": func() int { return maxNameReason },
}

func parseTemplates() (map[string]*template.Template, error) {
	out := make(map[string]*template.Template)
	for _, name := range []string{"login", "home", "campaign", "audit", "users", "error", "campaign_form", "regions", "invalidate", "pledge", "password"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// pageData is what every template gets.
type pageData struct {
	Title   string
	User    *pledge.User // nil: not logged in
	CSRF    string       // the session's form token, for the log-out button and forms
	Refresh int          // seconds after which the page reloads itself; 0: never
	Data    any
}

// IsAdmin reports whether the page's user has the admin role.
func (p pageData) IsAdmin() bool { return p.User != nil && p.User.Role == pledge.RoleAdmin }

// newPage is the data of a page for r. The CSRF token is filled in only for
// a logged-in user (whose session already holds one), so that error pages
// never start sessions.
func (a *Admin) newPage(r *http.Request, title string, data any) pageData {
	p := pageData{Title: title, User: userFrom(r.Context()), Data: data}
	if p.User != nil {
		p.CSRF = a.csrfToken(r)
	}
	return p
}

// render writes template name with status. Nothing of the console is ever
// stored by a cache.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, status int, name string, p pageData) {
	var buf bytes.Buffer
	if err := a.tmpl[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		a.log.ErrorContext(r.Context(), "admin render failed", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// consoleTime writes an instant as the console shows it, on its pages and
// in the audit entries it composes: in IST, the zone its forms take times
// in, to the second, e.g. "2026-11-27 14:00:00 IST" for 08:30 UTC.
func consoleTime(t time.Time) string {
	return t.In(pledge.IST).Format("2006-01-02 15:04:05 IST")
}

// utcStamp is an RFC 3339 time in UTC, as stored descriptions write them.
var utcStamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// inIST rewrites every UTC time in s as consoleTime does, e.g.
// 2026-11-27T08:30:00Z as 2026-11-27 14:00:00 IST, so that the console
// shows one zone, one way, throughout.
func inIST(s string) string {
	return utcStamp.ReplaceAllStringFunc(s, func(m string) string {
		t, err := time.Parse(time.RFC3339, m)
		if err != nil {
			return m
		}
		return consoleTime(t)
	})
}
