package secureheaders_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pledgeportal/pledge/internal/secureheaders"
)

func TestSetForbidsScriptsAndFraming(t *testing.T) {
	h := http.Header{}
	secureheaders.Set(h)
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q must allow no script", csp)
	}
	if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers = %v", h)
	}
}
