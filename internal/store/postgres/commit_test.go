package postgres

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/postgres/pgtest"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// commitCutter stands between the intake's connection and PostgreSQL. Once
// armed, it loses the connection at the batch's COMMIT: after passing the
// COMMIT on and keeping back the answer (the server commits, the store
// hears nothing), or, with drop, before passing it on (nothing commits).
type commitCutter struct {
	ln       net.Listener
	upstream string
	drop     bool
	armed    atomic.Bool
	cut      atomic.Bool
	wg       sync.WaitGroup
}

func newCommitCutter(t *testing.T, upstream string, drop bool) *commitCutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitCutter{ln: ln, upstream: upstream, drop: drop}
	p.wg.Go(p.serve)
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *commitCutter) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			client.Close()
			continue
		}
		var sent atomic.Bool // the COMMIT went on to the server
		p.wg.Go(func() {
			defer server.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				if err != nil {
					return
				}
				if p.armed.Load() && bytes.Contains(bytes.ToUpper(buf[:n]), []byte("COMMIT")) {
					p.cut.Store(true)
					if p.drop {
						client.Close()
						return
					}
					sent.Store(true)
				}
				if _, err := server.Write(buf[:n]); err != nil {
					return
				}
			}
		})
		p.wg.Go(func() {
			defer client.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := server.Read(buf)
				if err != nil {
					return
				}
				if sent.Load() {
					// The answer to COMMIT: kept back, and the connection lost.
					client.Close()
					time.Sleep(100 * time.Millisecond)
					server.Close()
					return
				}
				if _, err := client.Write(buf[:n]); err != nil {
					return
				}
			}
		})
	}
}

// TestBatchCommitUnanswered: a batch whose connection is lost after its
// COMMIT reached the server is in doubt, and its Resolve acknowledges it
// if it committed and refuses it if it did not; either way the counts say
// what is stored.
func TestBatchCommitUnanswered(t *testing.T) {
	for _, tc := range []struct {
		name      string
		drop      bool
		committed bool
		mail      bool // the batch enqueues mail: COMMIT is a round trip of its own
	}{
		{"committed", false, true, false},
		{"not committed", true, false, false},
		{"committed, with mail", false, true, true},
		{"not committed, with mail", true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.New(t, nil)
			s, err := Open(ctx, dsn, slog.New(slog.DiscardHandler), Options{Migrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := storetest.Campaign("lost")
			c.Email = pledge.EmailOptional
			if err := s.CreateCampaign(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			if tc.mail { // a client that enqueues, and works nothing
				if _, err := s.Jobs(&river.Config{Logger: slog.New(slog.DiscardHandler), TestOnly: true}); err != nil {
					t.Fatal(err)
				}
			}
			u, _ := url.Parse(dsn)
			proxy := newCommitCutter(t, u.Host, tc.drop)
			u.Host = proxy.ln.Addr().String()
			cfg, err := pgxpool.ParseConfig(u.String())
			if err != nil {
				t.Fatal(err)
			}
			s.writer.Close()
			if s.writer, err = pgxpool.NewWithConfig(ctx, writerConfig(cfg)); err != nil {
				t.Fatal(err)
			}

			h := pledge.NewHasher([]byte("k"))
			subs := []pledge.Submission{storetest.Submission(h, c.ID, 1, "N1"), storetest.Submission(h, c.ID, 2, "S1")}
			if tc.mail {
				subs[1] = storetest.WithEmail(h, subs[1], 2)
			}
			if _, err := s.CommitBatch(ctx, subs[:1]); err != nil { // connects, with nothing armed
				t.Fatal(err)
			}
			proxy.armed.Store(true)
			res, err := s.CommitBatch(ctx, subs)
			if !proxy.cut.Load() {
				t.Fatal("the batch's COMMIT never passed")
			}
			var doubt *store.InDoubtError
			if !errors.As(err, &doubt) || res != nil {
				t.Fatalf("CommitBatch = %+v, %v; want no results and a store.InDoubtError", res, err)
			}
			res, err = doubt.Resolve(ctx)
			counts, cerr := s.Counts(ctx, c.ID)
			if cerr != nil {
				t.Fatal(cerr)
			}
			if !tc.committed {
				if err == nil || counts.Total != 1 {
					t.Fatalf("CommitBatch = %+v, %v; total %d; want Resolve to say it is not stored, and nothing more stored", res, err, counts.Total)
				}
				return
			}
			if err != nil || res[1].Receipt.Number != 2 || counts.Total != 2 {
				t.Fatalf("CommitBatch = %+v, %v; total %d; want Resolve to acknowledge pledge 2, counted", res, err, counts.Total)
			}
		})
	}
}
