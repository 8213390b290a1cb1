package admin

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// JobsPath is where River's job console is mounted.
const JobsPath = "/admin/jobs"

// KindJobsChange is an audit entry for a change made from the job console:
// cancelling, retrying or deleting jobs, pausing or resuming a queue.
const KindJobsChange = "jobs-change"

// jobsDetailMax bounds the part of a request's body an audit entry keeps.
const jobsDetailMax = 200

// jobsConsole serves River's job console to an admin. Every request that
// changes something is written to the audit log first, with its method,
// path and the start of its body (the job IDs, the queue); if that fails,
// the change is not made.
func (a *Admin) jobsConsole(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		head, err := io.ReadAll(io.LimitReader(r.Body, jobsDetailMax))
		if err != nil {
			return errBadRequest
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(head), r.Body))
		detail := r.Method + " " + strings.TrimPrefix(r.URL.Path, JobsPath) + " " + strings.Join(strings.Fields(string(head)), " ")
		if err := a.record(r, userFrom(r.Context()).Username, KindJobsChange, strings.TrimSpace(detail)); err != nil {
			return err
		}
	}
	a.jobs.ServeHTTP(w, r)
	return nil
}

// jobsHeaders relaxes the console's content security policy for River's
// console, which runs its own script and styles from the same origin.
func jobsHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "+
			"frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}
