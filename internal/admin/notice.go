package admin

import "net/http"

// notice is the session key of the note a campaign's dashboard shows once,
// after an action that redirected to it (an edit saved, regions imported,
// an anonymisation). Kept in the session, never in the address, a link
// cannot make the dashboard report what did not happen.
func notice(slug string) string { return "notice:" + slug }

// setNotice leaves msg for the next view of campaign slug's dashboard in
// r's session.
func (a *Admin) setNotice(r *http.Request, slug, msg string) {
	a.session(r).Put(r.Context(), notice(slug), msg)
}

// takeNotice returns the note left for campaign slug's dashboard, and
// removes it: "" if there is none.
func (a *Admin) takeNotice(r *http.Request, slug string) string {
	return a.session(r).PopString(r.Context(), notice(slug))
}
