package web

import (
	"net/http"

	"github.com/pledgeportal/pledge/internal/certificate"
)

// Size limits for request bodies.
const (
	maxFormBody = 8 << 10
	maxJSONBody = 8 << 10
)

// routes is the one place every route is declared.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(s.page(func(http.ResponseWriter, *http.Request) error { return errCrossOrigin }))

	mux.Handle("GET /{$}", s.page(s.index))
	mux.Handle("GET /c/{slug}", s.page(s.campaignPage))
	mux.Handle("GET /c/{slug}/{$}", s.page(s.campaignAlias))
	mux.Handle("POST /c/{slug}", csrf.Handler(s.page(s.campaignForm)))
	mux.Handle("GET /c/{slug}/thanks/{token}", s.page(s.thanks))
	// A certificate or verification link copied with the punctuation after
	// it, or with a slash added, leads to the page (see copiedLink).
	certificatePage := copiedLink("/certificate/", s.links.Certificate, s.certificate)
	verifyPage := copiedLink("/verify/", s.links.Verify, s.verify)
	mux.Handle("GET /certificate/{token}", s.page(certificatePage))
	mux.Handle("GET /certificate/{token}/{$}", s.page(certificatePage))
	mux.Handle("GET /certificate/{token}/certificate.png", s.page(s.certificateImage(certificate.Full)))
	mux.Handle("GET /certificate/{token}/share.png", s.page(s.certificateImage(certificate.Share)))
	mux.Handle("GET /verify/{token}", s.page(verifyPage))
	mux.Handle("GET /verify/{token}/{$}", s.page(verifyPage))
	// The opt-in and withdrawal links: a GET shows a page with a button and
	// changes nothing (mail scanners follow links); the button's POST acts.
	// The withdrawal link's page also corrects the pledge's name.
	mux.Handle("GET /c/{slug}/pending/{token}", s.page(s.pending))
	mux.Handle("POST /c/{slug}/pending/{token}/resend", csrf.Handler(s.page(s.resend)))
	mux.Handle("GET /c/{slug}/confirm/{token}", s.page(s.confirmPage))
	mux.Handle("POST /c/{slug}/confirm/{token}", csrf.Handler(s.page(s.confirm)))
	mux.Handle("GET /c/{slug}/withdraw/{token}", s.page(s.withdrawPage))
	mux.Handle("POST /c/{slug}/withdraw/{token}", csrf.Handler(s.page(s.withdraw)))
	mux.Handle("POST /c/{slug}/withdraw/{token}/name", csrf.Handler(s.page(s.correctName)))

	mux.Handle("GET /api/v1/campaigns", openData(s.api(s.apiCampaigns)))
	mux.Handle("GET /api/v1/campaigns/{slug}", openData(s.api(s.apiCampaign)))
	mux.Handle("POST /api/v1/campaigns/{slug}/pledges", s.api(s.apiPledge))
	mux.Handle("GET /api/v1/campaigns/{slug}/stats", openData(s.api(s.apiStats)))
	mux.Handle("GET /api/v1/campaigns/{slug}/stats.csv", openData(s.api(s.apiStatsCSV)))

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	if s.deps.Admin != nil {
		mux.Handle("/admin/", s.deps.Admin)
	}

	if s.deps.MetricsHandler != nil {
		mux.Handle("GET /metrics", s.deps.MetricsHandler)
	}

	return s.accessLog(s.recoverPanics(s.warnUntrustedForwarding(securityHeaders(s.notFoundPage(mux)))))
}
