package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/certificate"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store/sqlite"
	"github.com/pledgeportal/pledge/internal/store/storetest"
	"github.com/pledgeportal/pledge/internal/web"
)

// instant is a Submitter that answers at once, so the benchmark measures the
// handler: decoding, validation, hashing, the answer.
type instant struct{ n atomic.Int64 }

func (i *instant) Admit() bool { return true }

func (i *instant) WriteFailure() error { return nil }
func (i *instant) Release()            {}

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
	if err := s.CreateCampaign(context.Background(), c, nil); err != nil {
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

// BenchmarkIntakeWhileCertificates is what drawing certificates costs the
// write path. Pledges go through the real HTTP API (JSON POST, handler,
// intake, group commit to SQLite on disk, 201), from pledgers concurrent
// clients: first alone, then while drawers goroutines keep fetching
// certificate PNGs over HTTP that no cache holds (the renderer keeps none,
// and each fetch is another number or size), in the same run. It reports
// pledges/s in both phases, certificates/s drawn during the second, and
// the 503s the bounded renderer answered there.
func BenchmarkIntakeWhileCertificates(b *testing.B) {
	const (
		pledgers = 32   // concurrent API clients
		perPhase = 1000 // pledges per phase and iteration
	)
	drawers := 2 * runtime.GOMAXPROCS(0) // more than the renderer's slots: it must bound them
	// CacheBytes 1: the renderer keeps no PNG, so every fetch draws.
	p := newPortal(b, withRenderer(newRenderer(b, certificate.Options{CacheBytes: 1})))
	var seq atomic.Int64
	var alone, loaded time.Duration
	var aloneN, loadedN, certs, busy int64
	for b.Loop() {
		tokens, d := pledgeBurst(b, p, &seq, perPhase, pledgers)
		alone += d
		aloneN += perPhase

		ctx, cancel := context.WithCancel(context.Background())
		var next, drawn, refused atomic.Int64
		var wg sync.WaitGroup
		for range drawers {
			wg.Go(func() {
				for ctx.Err() == nil {
					i := next.Add(1)
					name := "certificate.png"
					if i%2 == 1 {
						name = "share.png"
					}
					tok := tokens[int(i/2)%len(tokens)]
					req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+pngPath(tok, name), nil)
					r, err := send(p.Client, req)
					switch {
					case err != nil:
						if ctx.Err() == nil {
							b.Error(err)
						}
						return
					case r.Status == http.StatusOK:
						drawn.Add(1)
					case r.Status == http.StatusServiceUnavailable:
						refused.Add(1)
						time.Sleep(time.Second) // Retry-After: 1
					default:
						b.Errorf("certificate: %v", r)
						return
					}
				}
			})
		}
		_, d = pledgeBurst(b, p, &seq, perPhase, pledgers)
		cancel()
		wg.Wait()
		loaded += d
		loadedN += perPhase
		certs += drawn.Load()
		busy += refused.Load()
	}
	b.ReportMetric(float64(aloneN)/alone.Seconds(), "pledges/s-alone")
	b.ReportMetric(float64(loadedN)/loaded.Seconds(), "pledges/s-with-certs")
	b.ReportMetric(float64(certs)/loaded.Seconds(), "certificates/s")
	b.ReportMetric(float64(busy)/float64(b.N), "cert-503s/op")
}

// pledgeBurst posts n new pledges to "vote" over the API from clients
// goroutines and returns their certificate tokens and the time it took.
func pledgeBurst(b *testing.B, p *portal, seq *atomic.Int64, n, clients int) ([]string, time.Duration) {
	b.Helper()
	tokens := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				k := seq.Add(1)
				body := fmt.Sprintf(`{"name":"Load Tester %d","phone":"+91 9%09d","region":"N1","lang":"hi"}`, k, k)
				req, _ := http.NewRequest(http.MethodPost, p.URL+pledgesPath("vote"), strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				r, err := send(p.Client, req)
				if err != nil || r.Status != http.StatusCreated {
					b.Errorf("pledge %d: %v %v", k, r, err)
					return
				}
				var rec receipt
				if err := json.Unmarshal(r.Body, &rec); err != nil {
					b.Error(err)
					return
				}
				tokens[i] = rec.Token
			}
		})
	}
	wg.Wait()
	return tokens, time.Since(start)
}
