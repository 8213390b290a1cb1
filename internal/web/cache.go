package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// campaignCache keeps campaigns in memory so that the write path and the
// pages need no database read; entries refresh after ttl.
type campaignCache struct {
	store store.Store
	ttl   time.Duration
	now   func() time.Time

	flight singleflight.Group // one reload at a time, however many wait

	mu         sync.Mutex
	bySlug     map[string]cachedCampaign
	list       []*pledge.Campaign
	listAge    time.Time
	missReload time.Time // when a slug never seen last made the campaigns reload
	started    uint64    // reloads begun
	installed  uint64    // the number, in that count, of the reload whose campaigns these are
}

// refreshTimeout bounds one reload, which runs on past the request that
// started it when others wait for it too.
const refreshTimeout = 5 * time.Second

type cachedCampaign struct {
	c  *pledge.Campaign // nil: known not to exist
	at time.Time
}

func newCampaignCache(s store.Store, ttl time.Duration, now func() time.Time) *campaignCache {
	return &campaignCache{store: s, ttl: ttl, now: now, bySlug: make(map[string]cachedCampaign)}
}

// get returns the campaign with slug or pledge.ErrNotFound.
func (cc *campaignCache) get(ctx context.Context, slug string) (*pledge.Campaign, error) {
	cc.mu.Lock()
	e, ok := cc.bySlug[slug]
	cc.mu.Unlock()
	if ok && cc.now().Sub(e.at) < cc.ttl {
		if e.c == nil {
			return nil, noCampaign(slug)
		}
		return e.c, nil
	}
	if !ok && !cc.mayReloadForMiss() {
		return nil, noCampaign(slug)
	}
	if err := cc.refresh(ctx); err != nil {
		if ok && e.c != nil {
			return e.c, nil // the database is away: a stale campaign beats none
		}
		return nil, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e = cc.bySlug[slug]; e.c == nil {
		if len(cc.bySlug) < 10000 { // remember misses, within reason
			cc.bySlug[slug] = cachedCampaign{at: cc.now()}
		}
		return nil, noCampaign(slug)
	}
	return e.c, nil
}

// errNoCampaign marks a slug no campaign has: the answer says so rather
// than "page not found". It comes with pledge.ErrNotFound.
var errNoCampaign = errors.New("no such campaign")

func noCampaign(slug string) error {
	return fmt.Errorf("campaign %q: %w: %w", slug, errNoCampaign, pledge.ErrNotFound)
}

// missReloadEvery is how often a slug never seen may make the campaigns
// be read again: a campaign just created shows within it, and requests
// for made-up slugs cannot keep the database busy.
const missReloadEvery = time.Second

// mayReloadForMiss reports whether a slug never seen may reload the
// campaigns now (always, until they are first read), and if so counts this
// as that reload.
func (cc *campaignCache) mayReloadForMiss() bool {
	now := cc.now()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.installed > 0 && now.Sub(cc.missReload) < missReloadEvery {
		return false
	}
	cc.missReload = now
	return true
}

// all returns every campaign, oldest first.
func (cc *campaignCache) all(ctx context.Context) ([]*pledge.Campaign, error) {
	cc.mu.Lock()
	fresh := cc.list != nil && cc.now().Sub(cc.listAge) < cc.ttl
	list := cc.list
	cc.mu.Unlock()
	if fresh {
		return list, nil
	}
	if err := cc.refresh(ctx); err != nil {
		if list != nil {
			return list, nil // stale while the database is away
		}
		return nil, err
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.list, nil
}

// refresh reloads every campaign; campaigns are few and small. Requests
// that find the cache expired together share one reload: under load,
// hundreds are in flight when the entries age out.
func (cc *campaignCache) refresh(ctx context.Context) error {
	ch := cc.flight.DoChan("campaigns", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		return nil, cc.reload(ctx)
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return fmt.Errorf("load campaigns: %w", ctx.Err())
	}
}

// newer returns the campaign with slug as read by a reload that started
// after this call: after whatever the caller has just learnt from the store
// (an edit of the campaign's regions). A reload already under way when it
// is called may have read too early; then it waits for that one and has
// the campaigns read once more.
func (cc *campaignCache) newer(ctx context.Context, slug string) (*pledge.Campaign, error) {
	cc.mu.Lock()
	after := cc.started
	cc.mu.Unlock()
	for {
		cc.mu.Lock()
		done := cc.installed > after
		cc.mu.Unlock()
		if done {
			break
		}
		if err := cc.refresh(ctx); err != nil {
			return nil, err
		}
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if e := cc.bySlug[slug]; e.c != nil {
		return e.c, nil
	}
	return nil, noCampaign(slug)
}

// backOff keeps the campaigns held, after a reload failed, for another
// ttl: requests meanwhile get them at once instead of each waiting for a
// database that is away.
func (cc *campaignCache) backOff() {
	now := cc.now()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for slug, e := range cc.bySlug {
		if e.c != nil {
			e.at = now
			cc.bySlug[slug] = e
		}
	}
	if cc.list != nil {
		cc.listAge = now
	}
}

// reload reads every campaign from the store into the cache.
func (cc *campaignCache) reload(ctx context.Context) error {
	cc.mu.Lock()
	cc.started++
	gen := cc.started
	cc.mu.Unlock()
	list, err := cc.store.Campaigns(ctx)
	if err != nil {
		cc.backOff()
		return fmt.Errorf("load campaigns: %w: %w", pledge.ErrUnavailable, err)
	}
	now := cc.now()
	ptrs := make([]*pledge.Campaign, len(list))
	by := make(map[string]cachedCampaign, len(list))
	for i := range list {
		ptrs[i] = &list[i]
		by[list[i].Slug] = cachedCampaign{c: &list[i], at: now}
	}
	cc.mu.Lock()
	cc.bySlug, cc.list, cc.listAge = by, ptrs, now
	cc.installed = max(cc.installed, gen)
	cc.mu.Unlock()
	return nil
}

// snapshot is one reading of a campaign's count rows with its JSON body
// ready to serve.
type snapshot struct {
	counts  pledge.Counts
	parents map[string]int64
	body    []byte // JSON of statsBody; its updated_at is when these counts were first read
	etag    string
	content [32]byte // hash of the body without updated_at

	camp    *pledge.Campaign // the regions the counts were read for
	csvOnce sync.Once
	csv     *statsCSV // built on first request, by statsCSVOf
}

// countCache serves counts from memory, reading the count rows at most once
// per ttl per campaign.
type countCache struct {
	store store.Store
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	byID  map[int64]*snapshot
	read  map[int64]time.Time     // when each campaign's counts were last read, or tried
	locks map[int64]chan struct{} // one reader of the store per campaign: a token
}

// countsTimeout bounds one read of a campaign's count rows.
const countsTimeout = 2 * time.Second

func newCountCache(s store.Store, ttl time.Duration, now func() time.Time) *countCache {
	return &countCache{store: s, ttl: ttl, now: now, byID: make(map[int64]*snapshot),
		read: make(map[int64]time.Time), locks: make(map[int64]chan struct{})}
}

// statsBody is the public stats document.
type statsBody struct {
	Campaign  string           `json:"campaign"`
	Total     int64            `json:"total"`
	Regions   map[string]int64 `json:"regions"`
	Parents   map[string]int64 `json:"parents"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// get returns c's counts, read again when they are older than ttl. While
// one request reads them, the others get the counts they replace rather
// than wait; only the very first read is waited for. If the read fails,
// the old counts serve for another ttl: a database that is away is not
// asked again by every request.
func (cc *countCache) get(ctx context.Context, c *pledge.Campaign) (*snapshot, error) {
	cc.mu.Lock()
	snap, read := cc.byID[c.ID], cc.read[c.ID]
	lock, ok := cc.locks[c.ID]
	if !ok {
		lock = make(chan struct{}, 1)
		cc.locks[c.ID] = lock
	}
	cc.mu.Unlock()
	if snap != nil && cc.now().Sub(read) < cc.ttl {
		return snap, nil
	}
	if snap != nil {
		select {
		case lock <- struct{}{}:
		default:
			return snap, nil // being read: these are about a ttl old
		}
	} else {
		select {
		case lock <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("read counts: %w", ctx.Err())
		}
	}
	defer func() { <-lock }()
	cc.mu.Lock()
	snap, read = cc.byID[c.ID], cc.read[c.ID]
	cc.mu.Unlock()
	if snap != nil && cc.now().Sub(read) < cc.ttl {
		return snap, nil // another request refreshed it meanwhile
	}
	// A client that hangs up does not cut short the read the others wait on.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), countsTimeout)
	defer cancel()
	counts, err := cc.store.Counts(rctx, c.ID)
	if err != nil {
		if snap != nil {
			cc.mu.Lock()
			cc.read[c.ID] = cc.now()
			cc.mu.Unlock()
			return snap, nil // stale counts while the database is away
		}
		return nil, fmt.Errorf("read counts: %w: %w", pledge.ErrUnavailable, err)
	}
	now := cc.now()
	if snap == nil || snap.camp != c || counts.Total != snap.counts.Total || !maps.Equal(counts.Regions, snap.counts.Regions) {
		snap = newSnapshot(c, counts, now, snap)
	}
	cc.mu.Lock()
	cc.byID[c.ID], cc.read[c.ID] = snap, now
	cc.mu.Unlock()
	return snap, nil
}

// newSnapshot builds the snapshot of counts for c, read at now. If it says
// what prev said (the same counts, a campaign reloaded unchanged), it keeps
// prev's body, updated_at and ETag, so that a client or proxy revalidating
// gets 304 until a pledge comes in.
func newSnapshot(c *pledge.Campaign, counts pledge.Counts, now time.Time, prev *snapshot) *snapshot {
	regions := make(map[string]int64)
	parents := make(map[string]int64)
	for _, r := range c.Leaves() {
		n := counts.Regions[r.Code]
		regions[r.Code] = n
		if r.Parent != "" {
			parents[r.Parent] += n
		}
	}
	// Pledges stored under a region later removed from the campaign still
	// count towards the total.
	for code, n := range counts.Regions {
		if _, ok := regions[code]; !ok {
			regions[code] = n
		}
	}
	doc := statsBody{Campaign: c.Slug, Total: counts.Total, Regions: regions, Parents: parents}
	undated, _ := json.Marshal(doc)
	s := &snapshot{counts: counts, parents: parents, camp: c, content: sha256.Sum256(undated)}
	if prev != nil && prev.content == s.content {
		s.body, s.etag = prev.body, prev.etag
		return s
	}
	doc.UpdatedAt = now.UTC()
	s.body, _ = json.Marshal(doc)
	sum := sha256.Sum256(s.body)
	s.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return s
}

// pageCache holds rendered public pages, plain and gzipped, keyed by what
// they depend on.
type pageCache struct {
	mu      sync.Mutex
	entries map[string]*cachedPage
}

type cachedPage struct {
	snap *snapshot // the counts the page shows; a new snapshot means a new page
	camp *pledge.Campaign
	body []byte
	gz   []byte
	etag string
}

func newPageCache() *pageCache { return &pageCache{entries: make(map[string]*cachedPage)} }

func (pc *pageCache) get(key string, camp *pledge.Campaign, snap *snapshot) *cachedPage {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e := pc.entries[key]; e != nil && e.snap == snap && e.camp == camp {
		return e
	}
	return nil
}

func (pc *pageCache) put(key string, camp *pledge.Campaign, snap *snapshot, body []byte) *cachedPage {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	sum := sha256.Sum256(body)
	e := &cachedPage{snap: snap, camp: camp, body: body, gz: gz.Bytes(),
		etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	pc.mu.Lock()
	pc.entries[key] = e
	pc.mu.Unlock()
	return e
}

// serve writes a cached page, gzipped when the client accepts it, or 304.
func (e *cachedPage) serve(w http.ResponseWriter, r *http.Request, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", e.etag)
	addVary(h, "Accept-Encoding")
	if etagMatch(r.Header.Get("If-None-Match"), e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := e.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = e.gz
	}
	_, _ = w.Write(body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// (or matched by *) with a non-zero q. An explicit "gzip;q=0" refuses it.
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		zero := q == "q=0" || strings.HasPrefix(q, "q=0.") && strings.Trim(q[4:], "0") == ""
		switch coding {
		case "gzip", "x-gzip":
			return !zero
		case "*":
			star = !zero
		}
	}
	return star
}
