package certificate

import (
	"context"
	"strconv"
	"testing"
)

func BenchmarkRender(b *testing.B) {
	r := newTestRenderer(b, Options{})
	d := sampleData()
	for _, bc := range []struct {
		name string
		size Size
	}{{"full", Full}, {"share", Share}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := r.Render(d, bc.size); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "renders/s")
		})
	}
}

func BenchmarkPNG(b *testing.B) {
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		r := newTestRenderer(b, Options{})
		d := sampleData()
		b.ReportAllocs()
		n, bytes := 0, 0
		for b.Loop() {
			d.Number = strconv.Itoa(n) // a new certificate each time
			png, err := r.PNG(ctx, d, Full)
			if err != nil {
				b.Fatal(err)
			}
			n++
			bytes += len(png)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "renders/s")
		b.ReportMetric(float64(bytes)/float64(n), "B/png")
	})
	b.Run("cached", func(b *testing.B) {
		r := newTestRenderer(b, Options{})
		d := sampleData()
		if _, err := r.PNG(ctx, d, Full); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.PNG(ctx, d, Full); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFitName(b *testing.B) {
	sh := newTestShaper(b)
	for _, bc := range []struct{ name, text string }{
		{"short", "Ravi रवि Kumar"}, {"100-mixed", longMixed},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				fit(sh, bc.text, "hi", 84, nameMin, textWidth, true)
			}
		})
	}
}
