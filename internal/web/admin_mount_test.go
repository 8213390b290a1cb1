package web_test

import (
	"net/http"
	"testing"
)

func TestAdminMountedUnderAdmin(t *testing.T) {
	var paths []string
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	})
	p := newPortal(t, withAdmin(console))
	for _, path := range []string{"/admin/", "/admin/login", "/admin/audit.csv"} {
		if r := p.get(t, path); r.Status != http.StatusTeapot {
			t.Errorf("GET %s = %v, want the console's answer", path, r)
		}
	}
	if r := p.get(t, "/admin"); r.Status/100 != 3 || r.Header.Get("Location") != "/admin/" {
		t.Errorf("GET /admin = %v (Location %q), want a redirect to /admin/", r, r.Header.Get("Location"))
	}
	wantStatus(t, p.get(t, "/c/vote"), http.StatusOK)
	if len(paths) != 3 {
		t.Errorf("console saw %q, want only the three /admin/ paths", paths)
	}
	// The public site's security headers cover the console too.
	if r := p.get(t, "/admin/"); r.Header.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy on /admin/")
	}
}

func TestAdminNotMountedWithoutHandler(t *testing.T) {
	p := newPortal(t)
	wantStatus(t, p.get(t, "/admin/"), http.StatusNotFound)
	wantStatus(t, p.get(t, "/admin/login"), http.StatusNotFound)
}
