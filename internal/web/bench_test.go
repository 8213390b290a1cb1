package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/web"
)

// instant is a Submitter that answers at once, so the benchmark measures the
// handler: decoding, validation, hashing, the answer.
type instant struct{ n atomic.Int64 }

func (i *instant) Submit(_ context.Context, sub pledge.Submission) (pledge.Receipt, error) {
	return pledge.Receipt{CampaignID: sub.CampaignID, Number: i.n.Add(1)}, nil
}

// BenchmarkAPIPledgeHandler is the CPU one JSON pledge costs in the web
// layer, beside a handler that only writes "hello" (the floor of any answer).
func BenchmarkAPIPledgeHandler(b *testing.B) {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), discard)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := storetest.Campaign("vote")
	if err := s.CreateCampaign(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	srv, err := web.New(web.Deps{Store: s, Intake: &instant{}, Hasher: pledge.NewHasher(secret), Tokens: pledge.NewTokens(secret), Log: discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pledge", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			body := fmt.Sprintf(`{"name":"Load Tester %d","phone":"+91 9%09d","region":"N1","lang":"en"}`, i, i)
			r := httptest.NewRequest(http.MethodPost, "/api/v1/campaigns/vote/pledges", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusCreated {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.Run("hello", func(b *testing.B) {
		b.ReportAllocs()
		hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hello\n")) })
		for b.Loop() {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := httptest.NewRecorder()
			hello.ServeHTTP(w, r)
		}
	})
}
