package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// lyingPortal answers every pledge 201 but its stats move by a different
// amount (drift per pledge), as a portal that loses or double-counts would.
func lyingPortal(t *testing.T, drift int64) *httptest.Server {
	var created atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/campaigns/c", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"slug":"c","title":{"en":"C"},"open":true,"languages":["en"],"regions":[{"code":"R","parent":"","name":{"en":"R"}}]}`)
	})
	mux.HandleFunc("GET /api/v1/campaigns/c/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"total":%d,"regions":{},"parents":{}}`, created.Load()*drift)
	})
	mux.HandleFunc("POST /api/v1/campaigns/c/pledges", func(w http.ResponseWriter, _ *http.Request) {
		n := created.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"number":%d,"certificate_url":"/certificate/x"}`, n)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadtestFailsOnCountMismatch: the consistency check decides the exit
// status: stats that moved by the acknowledged pledges pass, any other
// movement fails the command.
func TestLoadtestFailsOnCountMismatch(t *testing.T) {
	for _, tc := range []struct {
		drift   int64
		wantErr bool
	}{{1, false}, {0, true}, {2, true}} {
		srv := lyingPortal(t, tc.drift)
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"loadtest", "--target", srv.URL, "--campaign", "c", "--rate", "50", "--duration", "1s"},
			nil, strings.NewReader(""), &out, &errOut)
		if (err != nil) != tc.wantErr {
			t.Errorf("drift %d: err = %v, want error %v\n%s%s", tc.drift, err, tc.wantErr, out.String(), errOut.String())
		}
		if want := fmt.Sprintf("count_matches=%v", !tc.wantErr); !strings.Contains(out.String(), want) {
			t.Errorf("drift %d: no %s in:\n%s", tc.drift, want, out.String())
		}
	}
}

// TestLoadtestRefusesBeforeSending: a setting that cannot work, or a
// portal that cannot be reached, fails the command without a report or a
// RESULT line a script could take for a run.
func TestLoadtestRefusesBeforeSending(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate", "-5"}, "rate"},
		{[]string{"--target", "http://127.0.0.1:1", "--duration", "1s"}, "connect"},
	} {
		var stdout, stderr bytes.Buffer
		err := runLoadtest(context.Background(), tc.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadtest %v: %v, want an error about %s", tc.args, err, tc.want)
		}
		if strings.Contains(stdout.String(), "RESULT") || strings.Contains(stdout.String(), "count check") {
			t.Errorf("loadtest %v printed a report:\n%s", tc.args, stdout.String())
		}
	}
	var stderr bytes.Buffer
	if err := runLoadtest(context.Background(), []string{"-h"}, io.Discard, &stderr); err != nil || !strings.Contains(stderr.String(), "Usage: pledge loadtest") {
		t.Errorf("loadtest -h: %v\n%s", err, stderr.String())
	}
}
