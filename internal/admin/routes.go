package admin

import (
	"net/http"

	"github.com/pledgeportal/pledge/internal/route"
)

// Paths the handlers redirect to.
const (
	homePath  = "/admin/"
	loginPath = "/admin/login"
)

// routes is the one place every route of the console is declared. Every
// path under /admin/ but the log-in page needs a logged-in account.
func (a *Admin) routes() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("GET /admin/login", a.page(a.loginForm))
	mux.Handle("POST /admin/login", a.page(a.login))
	mux.Handle("POST /admin/logout", a.page(a.signedIn(a.logout)))

	mux.Handle("GET /admin/{$}", a.page(a.signedIn(a.home)))
	mux.Handle("GET "+passwordPath, a.page(a.signedIn(a.passwordForm)))
	mux.Handle("POST "+passwordPath, a.page(a.signedIn(a.changePassword)))
	mux.Handle("GET /admin/c/{slug}", a.page(a.signedIn(a.campaignDashboard)))
	mux.Handle("GET /admin/c/{slug}/pledges.csv", a.page(a.adminOnly(a.pledgesCSV)))
	mux.Handle("GET /admin/audit", a.page(a.adminOnly(a.audit)))
	mux.Handle("GET /admin/audit.csv", a.page(a.adminOnly(a.auditCSV)))
	mux.Handle("GET /admin/users", a.page(a.adminOnly(a.users)))
	mux.Handle("GET /admin/campaigns/new", a.page(a.adminOnly(a.newCampaignForm)))
	mux.Handle("POST /admin/campaigns/new", a.page(a.adminOnly(a.createCampaign)))
	mux.Handle("GET /admin/c/{slug}/edit", a.page(a.adminOnly(a.editCampaignForm)))
	mux.Handle("POST /admin/c/{slug}/edit", a.page(a.adminOnly(a.editCampaign)))
	mux.Handle("POST /admin/c/{slug}/pause", a.page(a.adminOnly(a.pauseCampaign)))
	mux.Handle("POST /admin/c/{slug}/resume", a.page(a.adminOnly(a.resumeCampaign)))
	mux.Handle("GET /admin/c/{slug}/regions", a.page(a.adminOnly(a.regionsForm)))
	mux.Handle("POST /admin/c/{slug}/regions", a.page(a.adminOnly(a.importRegions)))
	mux.Handle("POST /admin/c/{slug}/invalidate", a.page(a.adminOnly(a.invalidate)))
	mux.Handle("POST /admin/c/{slug}/invalidations/{id}/revert", a.page(a.adminOnly(a.revertInvalidation)))
	mux.Handle("POST /admin/c/{slug}/anonymise", a.page(a.adminOnly(a.anonymise)))
	mux.Handle("GET /admin/c/{slug}/pledge", a.page(a.adminOnly(a.findPledge)))
	mux.Handle("POST /admin/c/{slug}/pledge/{number}/name", a.page(a.adminOnly(a.correctPledgeName)))

	mux.Handle("/admin/", a.page(a.signedIn(notFound)))

	// Cross-origin refusal comes first and costs no database call; the
	// synchronizer token needs the session.
	top := http.NewServeMux()
	top.Handle("/admin/", a.checkCSRF(reportRoute(mux)))
	if a.jobs != nil {
		// River's console posts JSON from its own script, without the
		// console's form token: cross-origin refusal (below) guards it.
		top.Handle(JobsPath+"/", jobsHeaders(a.page(a.adminOnly(a.jobsConsole))))
	}
	return securityHeaders(a.crossOrigin(a.withSession(reportRoute(top))))
}

func notFound(http.ResponseWriter, *http.Request) error { return errNotFound }

// reportRoute tells the access log around the console which of mux's
// patterns served a request: the mux sets it on the request it is given,
// a copy the log never sees. Of two muxes, the inner one's is kept.
func reportRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		route.Set(r.Context(), r.Pattern)
	})
}
