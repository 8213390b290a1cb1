package admin

import "net/http"

// JobsPath is where River's job console is mounted.
const JobsPath = "/admin/jobs"

// jobsConsole serves River's job console to an admin.
func (a *Admin) jobsConsole(w http.ResponseWriter, r *http.Request) error {
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
