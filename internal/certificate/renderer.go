// Package certificate draws pledge certificates as PNG: texts shaped with
// go-text/typesetting (HarfBuzz's rules, so Devanagari conjuncts, reph and
// pre-base matras come out right), rasterised with golang.org/x/image/vector
// from embedded Noto fonts, with a QR code of the public verification URL.
// Renders are cached and their number bounded, so a flood of certificate
// requests cannot starve the rest of the process of CPU.
package certificate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"time"
)

// ErrBusy means too many renders are already waiting; the caller should
// answer 503 and let the client retry.
var ErrBusy = errors.New("certificate: too many renders waiting")

// version changes whenever the drawing changes, so validators (Key) do too.
//
// 2: fonts for every scheduled script; long pledge and signatory wrap;
// 3: bidirectional lines; 4: a word wider than its column shrinks its line;
// 5: the heading and the title wrap, the texts below them move down, a
// long signatory takes three lines; 6: the rule under the name runs below
// its ink; 7: fonts for Ol Chiki and Meetei Mayek.
const version = "7"

// Options bound the renderer.
type Options struct {
	// MaxConcurrent renders run at once; 0: half the CPUs, at least one.
	MaxConcurrent int
	// MaxWaiting renders may wait for a turn; more get ErrBusy. 0: 8 per
	// concurrent render.
	MaxWaiting int
	// CacheBytes bounds the PNGs kept in memory; 0: 64 MiB.
	CacheBytes int64
	// Observe, if set, is told the outcome of every PNG asked for:
	// "cached", "rendered" (with the time it took, waiting included),
	// "busy" or "error".
	Observe func(size Size, result string, took time.Duration)
	// Yield, if set, is asked before an uncached render; true answers
	// ErrBusy at once, e.g. while pledges wait for a commit: intake comes
	// before pictures.
	Yield func() bool
}

// Renderer draws certificates. It is safe for concurrent use.
type Renderer struct {
	fonts   *fontSet
	shapers sync.Pool // of *shaper, each with its own faces
	run     chan struct{}
	wait    chan struct{}
	cache   *cache
	observe func(Size, string, time.Duration)
	yield   func() bool
}

// New parses the embedded fonts and returns a Renderer.
func New(o Options) (*Renderer, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if o.MaxWaiting <= 0 {
		o.MaxWaiting = 8 * o.MaxConcurrent
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	r := &Renderer{
		fonts:   fonts,
		run:     make(chan struct{}, o.MaxConcurrent),
		wait:    make(chan struct{}, o.MaxWaiting),
		cache:   newCache(o.CacheBytes),
		observe: o.Observe,
		yield:   o.Yield,
	}
	if r.yield == nil {
		r.yield = func() bool { return false }
	}
	if r.observe == nil {
		r.observe = func(Size, string, time.Duration) {}
	}
	r.shapers.New = func() any { return &shaper{faces: fonts.faces(), canvas: map[Size]*image.RGBA{}} }
	return r, nil
}

// Key is a strong validator of d drawn at size: equal keys, equal PNGs.
func Key(d Data, size Size) string {
	b, _ := json.Marshal(struct {
		V string
		S Size
		D Data
	}{version, size, d})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// PNG returns d drawn at size as PNG, from the cache or drawn now (the
// slice is shared with the cache: do not modify it). It waits
// for a turn while ctx allows, and answers ErrBusy at once when too many
// renders wait already.
func (r *Renderer) PNG(ctx context.Context, d Data, size Size) ([]byte, error) {
	start := time.Now()
	b, result, err := r.png(ctx, d, size)
	r.observe(size, result, time.Since(start))
	return b, err
}

func (r *Renderer) png(ctx context.Context, d Data, size Size) ([]byte, string, error) {
	key := Key(d, size)
	if b, ok := r.cache.get(key); ok {
		return b, "cached", nil
	}
	if r.yield() {
		return nil, "busy", ErrBusy
	}
	select {
	case r.wait <- struct{}{}:
	default:
		return nil, "busy", ErrBusy
	}
	select {
	case r.run <- struct{}{}:
		<-r.wait
	case <-ctx.Done():
		<-r.wait
		return nil, "busy", fmt.Errorf("certificate: waiting for a turn: %w", ctx.Err())
	}
	defer func() { <-r.run }()
	if b, ok := r.cache.get(key); ok { // drawn while this one waited
		return b, "cached", nil
	}
	b, err := r.drawPNG(d, size)
	if err != nil {
		return nil, "error", err
	}
	r.cache.put(key, b)
	return b, "rendered", nil
}

// drawPNG draws and encodes d at size with a pooled shaper, reusing its
// canvas and palette buffers: a render then allocates little beyond its
// PNG, which keeps the garbage collector off the intake's back.
func (r *Renderer) drawPNG(d Data, size Size) ([]byte, error) {
	sh := r.shapers.Get().(*shaper)
	defer r.shapers.Put(sh)
	img := sh.canvas[size]
	if img == nil {
		w, h := size.Dimensions()
		img = image.NewRGBA(image.Rect(0, 0, w, h))
		sh.canvas[size] = img
	}
	if _, err := renderInto(sh, d, size, img); err != nil {
		return nil, err
	}
	return encodePNG(img, &sh.paletted)
}

// Render draws d at size, without cache or limits.
func (r *Renderer) Render(d Data, size Size) (*image.RGBA, error) {
	sh := r.shapers.Get().(*shaper)
	defer r.shapers.Put(sh)
	return render(sh, d, size)
}
