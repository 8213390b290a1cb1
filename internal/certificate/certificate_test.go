package certificate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
)

// testFonts parses the embedded fonts once for the whole test binary.
var testFonts = sync.OnceValues(loadFonts)

// newTestShaper returns a shaper of its own (faces are not for concurrent
// use) over the shared fonts.
func newTestShaper(tb testing.TB) *shaper {
	tb.Helper()
	fs, err := testFonts()
	if err != nil {
		tb.Fatalf("loadFonts: %v", err)
	}
	return &shaper{faces: fs.faces()}
}

func newTestRenderer(tb testing.TB, o Options) *Renderer {
	tb.Helper()
	r, err := New(o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return r
}

// testVerifyURL has a 22-character token, as the web layer makes them.
const testVerifyURL = "https://pledge.example.org/verify/AbCdEfGhIjKlMnOpQrStUv"

// sampleData is a certificate with every field set, in Hindi with an English
// name in it.
func sampleData() Data {
	return Data{
		Lang:        "hi",
		Heading:     "प्रतिज्ञा प्रमाणपत्र",
		Campaign:    "स्वच्छ भारत अभियान 2025",
		Certifies:   "यह प्रमाणित किया जाता है कि",
		Name:        "श्रीमती Anjali Sharma",
		TookPledge:  "ने प्रतिज्ञा ली है",
		Pledge:      "मैं शपथ लेता हूँ कि मैं स्वयं स्वच्छता के प्रति सजग रहूँगा और उसके लिए समय दूँगा।",
		NumberLabel: "प्रतिज्ञा संख्या",
		Number:      "12,345",
		DateLabel:   "दिनांक",
		Date:        "15 अगस्त 2025",
		Signatory:   "सचिव, पेयजल एवं स्वच्छता विभाग",
		VerifyURL:   testVerifyURL,
		VerifyLabel: "सत्यापन के लिए स्कैन करें",
	}
}

func TestPNGIsCached(t *testing.T) {
	r := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	ctx := context.Background()
	d := sampleData()

	first, err := r.PNG(ctx, d, Share)
	if err != nil {
		t.Fatalf("PNG: %v", err)
	}
	if !bytes.HasPrefix(first, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("PNG returned %d bytes without the PNG signature", len(first))
	}
	img, err := png.Decode(bytes.NewReader(first))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	if w, h := Share.Dimensions(); img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("PNG is %v, want %dx%d", img.Bounds(), w, h)
	}
	if n := r.cache.order.Len(); n != 1 {
		t.Fatalf("cache holds %d entries after one render, want 1", n)
	}

	// Hold every render and waiting slot: a second render would now fail
	// with ErrBusy, so success proves the answer came from the cache.
	r.run <- struct{}{}
	r.wait <- struct{}{}
	second, err := r.PNG(ctx, d, Share)
	if err != nil {
		t.Fatalf("second PNG (cached): %v", err)
	}
	if len(second) != len(first) || &second[0] != &first[0] {
		t.Errorf("second PNG is not the cached slice (len %d vs %d)", len(second), len(first))
	}
	if n := r.cache.order.Len(); n != 1 {
		t.Errorf("cache holds %d entries after a cached call, want 1", n)
	}
	// Another size is another picture: not cached, so it must queue.
	if _, err := r.PNG(ctx, d, Full); !errors.Is(err, ErrBusy) {
		t.Errorf("PNG of an uncached size with every slot held: err %v, want ErrBusy", err)
	}
}

func TestKey(t *testing.T) {
	base := sampleData()
	k0 := Key(base, Full)
	if len(k0) != 32 {
		t.Fatalf("Key = %q, want 32 hex digits", k0)
	}
	if again := Key(sampleData(), Full); again != k0 {
		t.Errorf("Key not stable: %q then %q", k0, again)
	}
	if ks := Key(base, Share); ks == k0 {
		t.Errorf("Key(Full) == Key(Share) = %q", ks)
	}

	seen := map[string]string{k0: "base", Key(base, Share): "Share"}
	v := reflect.ValueOf(base)
	for i := range v.NumField() {
		field := v.Type().Field(i)
		if field.Type.Kind() != reflect.String {
			t.Fatalf("Data.%s is %v; this test only knows strings: extend it", field.Name, field.Type)
		}
		for _, mutate := range []func(string) string{
			func(s string) string { return s + "x" },
			func(string) string { return "" },
		} {
			d := base
			f := reflect.ValueOf(&d).Elem().Field(i)
			f.SetString(mutate(f.String()))
			if f.String() == v.Field(i).String() {
				continue
			}
			for _, size := range []Size{Full, Share} {
				k := Key(d, size)
				what := fmt.Sprintf("%s=%q at size %d", field.Name, f.String(), size)
				if prev, dup := seen[k]; dup {
					t.Errorf("Key(%s) = Key(%s) = %q", what, prev, k)
				}
				seen[k] = what
				if k2 := Key(d, size); k2 != k {
					t.Errorf("Key(%s) not stable: %q then %q", what, k, k2)
				}
			}
		}
	}
	// Fields do not bleed into one another: moving text between two
	// fields changes the key.
	a, b := base, base
	a.Heading, a.Campaign = "ab", "c"
	b.Heading, b.Campaign = "a", "bc"
	if Key(a, Full) == Key(b, Full) {
		t.Errorf("Key ignores the boundary between Heading and Campaign")
	}
}

// fillSlots holds n render slots and m waiting slots of r, as renders in
// flight would.
func fillSlots(r *Renderer, run, wait int) {
	for range run {
		r.run <- struct{}{}
	}
	for range wait {
		r.wait <- struct{}{}
	}
}

func TestPNGBusy(t *testing.T) {
	r := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	if cap(r.run) != 1 || cap(r.wait) != 1 {
		t.Fatalf("run/wait capacities %d/%d, want 1/1", cap(r.run), cap(r.wait))
	}
	fillSlots(r, 1, 1)
	b, err := r.PNG(context.Background(), sampleData(), Share)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("PNG with both slots held: (%d bytes, %v), want ErrBusy", len(b), err)
	}
	if len(r.run) != 1 || len(r.wait) != 1 {
		t.Errorf("after ErrBusy run/wait hold %d/%d, want 1/1 (ours)", len(r.run), len(r.wait))
	}
	if n := r.cache.order.Len(); n != 0 {
		t.Errorf("cache holds %d entries after ErrBusy, want 0", n)
	}
}

func TestPNGDefaults(t *testing.T) {
	r := newTestRenderer(t, Options{})
	n := max(1, runtime.GOMAXPROCS(0)/2)
	if cap(r.run) != n || cap(r.wait) != 8*n {
		t.Errorf("default run/wait capacities %d/%d, want %d/%d", cap(r.run), cap(r.wait), n, 8*n)
	}
	if r.cache.max != 64<<20 {
		t.Errorf("default cache bytes %d, want %d", r.cache.max, 64<<20)
	}
}

func TestPNGWaitsForATurn(t *testing.T) {
	r := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	fillSlots(r, 1, 0)

	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := r.PNG(context.Background(), sampleData(), Share)
		done <- result{b, err}
	}()
	waitFor(t, "the render to queue", func() bool { return len(r.wait) == 1 })
	select {
	case res := <-done:
		t.Fatalf("PNG returned (%d bytes, %v) while every render slot was held", len(res.b), res.err)
	default:
	}
	<-r.run // the render in flight finishes
	res := <-done
	if res.err != nil {
		t.Fatalf("PNG after its turn came: %v", res.err)
	}
	if len(r.run) != 0 || len(r.wait) != 0 {
		t.Errorf("after the render run/wait hold %d/%d, want 0/0", len(r.run), len(r.wait))
	}
}

func TestPNGContextCancelledWhileWaiting(t *testing.T) {
	r := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	fillSlots(r, 1, 0)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.PNG(ctx, sampleData(), Share)
		done <- err
	}()
	waitFor(t, "the render to queue", func() bool { return len(r.wait) == 1 })
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("PNG after cancel: %v, want context.Canceled", err)
	}
	if len(r.wait) != 0 {
		t.Errorf("the cancelled render kept its waiting slot (%d held)", len(r.wait))
	}
	if len(r.run) != 1 {
		t.Errorf("run holds %d, want only ours (1)", len(r.run))
	}

	// A deadline that passes while waiting is reported as such.
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := r.PNG(ctx, sampleData(), Share); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("PNG past its deadline: %v, want context.DeadlineExceeded", err)
	}
	if n := r.cache.order.Len(); n != 0 {
		t.Errorf("cache holds %d entries, want 0: nothing was drawn", n)
	}
}

// waitFor polls cond (a state change in another goroutine, not a duration).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCacheLRU(t *testing.T) {
	c := newCache(30)
	png := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	c.put("a", png(10, 'a'))
	c.put("b", png(10, 'b'))
	c.put("c", png(10, 'c'))
	if c.size != 30 {
		t.Fatalf("size %d, want 30", c.size)
	}
	if _, ok := c.get("a"); !ok { // a is now the most recent; b the least
		t.Fatal("a missing before any eviction")
	}
	c.put("d", png(10, 'd'))
	if _, ok := c.get("b"); ok {
		t.Error("b (least recently used) survived the eviction")
	}
	for _, k := range []string{"a", "c", "d"} {
		if b, ok := c.get(k); !ok || len(b) != 10 || b[0] != k[0] {
			t.Errorf("get(%q) = (%q, %v), want its 10 bytes", k, b, ok)
		}
	}
	if c.size != 30 || c.order.Len() != 3 || len(c.index) != 3 {
		t.Errorf("size %d, %d in order, %d in index; want 30, 3, 3", c.size, c.order.Len(), len(c.index))
	}

	// Order now (most recent first): d c a. A 20-byte entry evicts a, c.
	c.put("e", png(20, 'e'))
	for k, want := range map[string]bool{"a": false, "c": false, "d": true, "e": true} {
		if _, ok := c.get(k); ok != want {
			t.Errorf("after putting e: get(%q) found %v, want %v", k, ok, want)
		}
	}
	if c.size != 30 {
		t.Errorf("size %d, want 30", c.size)
	}

	// Putting a key again neither duplicates nor recounts it.
	c.put("e", png(20, 'E'))
	if b, _ := c.get("e"); b[0] != 'e' || c.size != 30 || c.order.Len() != 2 {
		t.Errorf("re-put: first byte %q, size %d, %d entries; want 'e', 30, 2", b[0], c.size, c.order.Len())
	}

	// An entry bigger than the whole cache is not kept and evicts nothing.
	c.put("huge", png(31, 'h'))
	if _, ok := c.get("huge"); ok {
		t.Error("an entry bigger than the cache was kept")
	}
	if c.size != 30 || c.order.Len() != 2 {
		t.Errorf("after refusing huge: size %d, %d entries; want 30, 2", c.size, c.order.Len())
	}
}

// The renderer's cache is bounded by Options.CacheBytes and drops the least
// recently used PNG first.
func TestRendererCacheEvicts(t *testing.T) {
	ctx := context.Background()
	d1, d2, d3 := sampleData(), sampleData(), sampleData()
	d2.Number, d3.Number = "12,346", "12,347"

	// PNG sizes first, from an unbounded renderer.
	big := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	size := map[string]int{}
	for name, d := range map[string]Data{"d1": d1, "d2": d2, "d3": d3} {
		b, err := big.PNG(ctx, d, Share)
		if err != nil {
			t.Fatal(err)
		}
		size[name] = len(b)
	}

	// Room for d1 and d2 only.
	limit := size["d1"] + size["d2"]
	r := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1, CacheBytes: int64(limit)})
	for _, d := range []Data{d1, d2, d1, d3} { // d1 used again: d2 is least recent
		if _, err := r.PNG(ctx, d, Share); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{
		"d1": size["d1"]+size["d3"] <= limit, // kept if d3 fits beside it
		"d2": false,
		"d3": true,
	}
	for name, d := range map[string]Data{"d1": d1, "d2": d2, "d3": d3} {
		if _, ok := r.cache.get(Key(d, Share)); ok != want[name] {
			t.Errorf("after d1 d2 d1 d3 (sizes %v, limit %d): %s cached %v, want %v", size, limit, name, ok, want[name])
		}
	}
	if r.cache.size > r.cache.max {
		t.Errorf("cache holds %d bytes, limit %d", r.cache.size, r.cache.max)
	}
}

// Equal keys, equal PNGs: a Data drawn again, by another Renderer, in
// parallel with other renders, gives the same bytes.
func TestPNGDeterministicAndConcurrent(t *testing.T) {
	ctx := context.Background()
	ref := newTestRenderer(t, Options{MaxConcurrent: 1, MaxWaiting: 1})
	datas := make([]Data, 6)
	want := make([][]byte, len(datas))
	for i := range datas {
		datas[i] = sampleData()
		datas[i].Number = fmt.Sprint(1000 + i)
		if i%2 == 1 {
			datas[i].Name = "Ravi रवि Kumar"
		}
		b, err := ref.PNG(ctx, datas[i], Share)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = b
	}

	r := newTestRenderer(t, Options{MaxConcurrent: 2, MaxWaiting: 64})
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(datas))
	for range 4 {
		for i, d := range datas {
			wg.Go(func() {
				b, err := r.PNG(ctx, d, Share)
				switch {
				case err != nil:
					errs <- err
				case !bytes.Equal(b, want[i]):
					errs <- fmt.Errorf("data %d: PNG differs from the first drawing", i)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(r.run) != 0 || len(r.wait) != 0 {
		t.Errorf("slots still held: run %d, wait %d", len(r.run), len(r.wait))
	}
}
