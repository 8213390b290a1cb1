package certificate

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// qrRect is where render puts the QR code at size.
func qrRect(size Size) image.Rectangle {
	k := size.scale()
	return image.Rect(int(1230*k), int(770*k), int(1450*k), int(990*k))
}

// decodeQR reads the QR code in img: from the whole picture if it can, else
// from the QR code's place. It reports which one worked.
func decodeQR(t *testing.T, img image.Image, where image.Rectangle) (text string, cropped bool) {
	t.Helper()
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	read := func(src image.Image) (*gozxing.Result, error) {
		bmp, err := gozxing.NewBinaryBitmapFromImage(src)
		if err != nil {
			return nil, err
		}
		return qrcode.NewQRCodeReader().Decode(bmp, hints)
	}
	res, err := read(img)
	if err == nil {
		// The finder patterns found must lie in the QR code's place.
		for _, p := range res.GetResultPoints() {
			pt := image.Pt(int(p.GetX()), int(p.GetY()))
			if !pt.In(where) {
				t.Errorf("QR finder point %v outside %v", pt, where)
			}
		}
		return res.GetText(), false
	}
	t.Logf("whole picture: %v; trying %v", err, where)
	sub, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		t.Fatalf("%T cannot be cropped", img)
	}
	res, err = read(sub.SubImage(where))
	if err != nil {
		t.Fatalf("no QR code in %v either: %v", where, err)
	}
	return res.GetText(), true
}

func TestQRCode(t *testing.T) {
	r := newTestRenderer(t, Options{})
	for _, u := range []struct{ name, url string }{
		{"token22", testVerifyURL},
		// A 32-byte token in base64url (43 characters).
		{"token43", "https://pledge.example.org/verify/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE"},
	} {
		url := u.url
		for _, tc := range []struct {
			name string
			size Size
		}{{"full", Full}, {"share", Share}} {
			d := sampleData()
			d.VerifyURL = url
			t.Run(u.name+"/"+tc.name+"/Render", func(t *testing.T) {
				img, err := r.Render(d, tc.size)
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := decodeQR(t, img, qrRect(tc.size)); got != url {
					t.Errorf("QR code says %q, want %q", got, url)
				}
			})
			t.Run(u.name+"/"+tc.name+"/PNG", func(t *testing.T) {
				b, err := r.PNG(context.Background(), d, tc.size)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := decodeQR(t, img, qrRect(tc.size)); got != url {
					t.Errorf("QR code says %q, want %q", got, url)
				}
			})
		}
	}
}

// Without a VerifyURL there is no QR code, and nothing else is drawn in its
// place.
func TestNoQRCodeWithoutURL(t *testing.T) {
	d := sampleData()
	d.VerifyURL = ""
	for _, size := range []Size{Full, Share} {
		img, err := render(newTestShaper(t), d, size)
		if err != nil {
			t.Fatal(err)
		}
		if n := inkIn(img, qrRect(size)); n != 0 {
			t.Errorf("size %d: %d non-paper pixels where the QR code would be", size, n)
		}
	}
}

// inkIn counts the pixels of img inside r that are not the paper colour.
func inkIn(img *image.RGBA, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) != paper {
				n++
			}
		}
	}
	return n
}
