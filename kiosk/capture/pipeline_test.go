package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"huren/kiosk"
)

func normalize(t testing.TB, data []byte) (Page, error) {
	t.Helper()
	return Normalize(context.Background(), kiosk.RawPage{Data: data, Source: "test"})
}

func decodeOut(t testing.TB, p Page) image.Image {
	t.Helper()
	if p.ContentType != TypeJPEG {
		t.Fatalf("content type %q", p.ContentType)
	}
	img, err := decodeJPEGGo(p.Data, 0)
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	return img
}

func TestOrientationAllEight(t *testing.T) {
	upright := quadrants(400, 300)
	want := quadrantColours(upright)
	inverse := map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
	for o := 1; o <= 8; o++ {
		for _, big := range []bool{false, true} {
			stored := Orient(upright, inverse[o])
			data := withEXIF(encodeJPEGStd(t, stored, 95), o, big)
			if got := JPEGOrientation(data); got != o {
				t.Fatalf("JPEGOrientation = %d, want %d", got, o)
			}
			p, err := normalize(t, data)
			if err != nil {
				t.Fatalf("orientation %d: %v", o, err)
			}
			if p.Width != 400 || p.Height != 300 {
				t.Errorf("orientation %d: %dx%d, want 400x300", o, p.Width, p.Height)
			}
			got := quadrantColours(decodeOut(t, p))
			for i := range got {
				if !near(got[i], want[i]) {
					t.Errorf("orientation %d (big-endian %v): quadrant %d is %v, want %v", o, big, i, got[i], want[i])
				}
			}
		}
	}
}

func TestOrientRoundTrip(t *testing.T) {
	img := quadrants(7, 5)
	img.SetRGBA(0, 0, color.RGBA{1, 2, 3, 255})
	for o := 1; o <= 8; o++ {
		r := Orient(img, o)
		inv := map[int]int{6: 8, 8: 6}[o]
		if inv == 0 {
			inv = o
		}
		back := Orient(r, inv)
		if !bytes.Equal(back.Pix, img.Pix) {
			t.Errorf("orientation %d then its inverse is not the identity", o)
		}
	}
}

func TestPNGOrientation(t *testing.T) {
	// A PNG with an eXIf chunk (orientation 6) before IDAT.
	upright := quadrants(300, 200)
	stored := Orient(upright, OrientRotate270)
	raw := encodePNG(t, stored)
	ex := withEXIF([]byte{0xFF, 0xD8}, 6, true)
	tiff := ex[4+2+6:] // skip SOI, APP1 marker+length, "Exif\0\0"
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(tiff)))
	body := append([]byte("eXIf"), tiff...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	ihdrEnd := 8 + 8 + 13 + 4
	data := append(append(append([]byte{}, raw[:ihdrEnd]...), chunk...), raw[ihdrEnd:]...)
	if o := PNGOrientation(data); o != 6 {
		t.Fatalf("PNGOrientation = %d", o)
	}
	p, err := normalize(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 300 || p.Height != 200 {
		t.Fatalf("%dx%d", p.Width, p.Height)
	}
	got, want := quadrantColours(decodeOut(t, p)), quadrantColours(upright)
	for i := range got {
		if !near(got[i], want[i]) {
			t.Errorf("quadrant %d: %v want %v", i, got[i], want[i])
		}
	}
}

func TestScaling(t *testing.T) {
	cases := []struct{ w, h, ww, wh int }{
		{4000, 3000, 2480, 1860},
		{3000, 4000, 1860, 2480},
		{2480, 100, 2480, 100},
		{5000, 100, 2480, 50},
		{1000, 800, 1000, 800}, // never scaled up
	}
	for _, c := range cases {
		img := quadrants(c.w, c.h)
		p, err := normalize(t, encodeJPEGStd(t, img, 90))
		if err != nil {
			t.Fatalf("%dx%d: %v", c.w, c.h, err)
		}
		out := decodeOut(t, p)
		if b := out.Bounds(); b.Dx() != c.ww || b.Dy() != c.wh || p.Width != c.ww || p.Height != c.wh {
			t.Errorf("%dx%d → %v (page %dx%d), want %dx%d", c.w, c.h, b, p.Width, p.Height, c.ww, c.wh)
		}
		if c.h >= 800 {
			got, want := quadrantColours(out), quadrantColours(img)
			for i := range got {
				if !near(got[i], want[i]) {
					t.Errorf("%dx%d quadrant %d: %v want %v", c.w, c.h, i, got[i], want[i])
				}
			}
		}
	}
}

func TestPNGTransparencyOnWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 200, 200)) // fully transparent
	p, err := normalize(t, encodePNG(t, img))
	if err != nil {
		t.Fatal(err)
	}
	c := quadrantColours(decodeOut(t, p))[0]
	if c.R < 240 || c.G < 240 || c.B < 240 {
		t.Errorf("transparent PNG became %v, want white", c)
	}
}

// TestTwoMiBBound: a page of pure noise at full size does not fit at quality 85; the pipeline must lower
// the quality (and if need be the size) until it fits.
func TestTwoMiBBound(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, 2480, 2480))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.UintN(256))
	}
	data := encodeJPEGStd(t, img, 95)
	if len(data) <= MaxBytes {
		t.Fatalf("test image too small: %d", len(data))
	}
	if first, _ := encodeJPEG(img, jpegQualities[0]); len(first) <= MaxBytes {
		t.Fatalf("noise at quality %d fits already (%d bytes): the test would not exercise the loop", jpegQualities[0], len(first))
	}
	p, err := normalize(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Data) > MaxBytes {
		t.Fatalf("output %d bytes > %d", len(p.Data), MaxBytes)
	}
	decodeOut(t, p)
}

func TestRefusals(t *testing.T) {
	good := encodeJPEGStd(t, quadrants(640, 480), 90)
	pngHeader := func(w, h uint32) []byte {
		b := []byte("\x89PNG\r\n\x1a\n")
		ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
		ihdr = binary.BigEndian.AppendUint32(ihdr, h)
		ihdr = append(ihdr, 8, 2, 0, 0, 0)
		b = binary.BigEndian.AppendUint32(b, 13)
		b = append(b, ihdr...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
		return append(b, make([]byte, 64)...) // no IDAT: a decoder that did not check first would allocate 30 GB
	}
	cases := []struct {
		name  string
		data  []byte
		cause error
		zh    string
	}{
		{"zero bytes", nil, ErrEmpty, "文件是空的"},
		{"truncated JPEG", good[:len(good)/2], ErrCorrupt, "图片已损坏"},
		{"JPEG header only", good[:200], ErrCorrupt, "图片已损坏"},
		{"PNG claiming 100000×100000", pngHeader(100000, 100000), ErrTooManyPixel, "图片过大"},
		{"PNG claiming 50000001 px", pngHeader(50000001, 1), ErrTooManyPixel, "图片过大"},
		{"text file named .jpg", []byte("这不是图片 this is a text file\n"), ErrNotDocument, "文件不是图片或PDF"},
		{"HTML", []byte("<html><body>x</body></html>"), ErrNotDocument, "文件不是图片或PDF"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrNotDocument, "文件不是图片或PDF"},
		{"oversized PDF", makePDF(1, MaxBytes+1), ErrTooBig, "PDF文件过大"},
		{"11-page PDF", makePDF(11, 0), ErrPDFPages, "PDF页数过多"},
		{"PDF without pages", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), ErrBadPDF, "不是有效的PDF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := normalize(t, c.data)
			if err == nil {
				t.Fatal("accepted")
			}
			var ue *kiosk.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("error %T %v is not a *kiosk.UserError", err, err)
			}
			if !errors.Is(err, c.cause) {
				t.Errorf("error %v does not wrap %v", err, c.cause)
			}
			if !strings.Contains(ue.Zh, c.zh) || ue.En == "" {
				t.Errorf("message %q / %q, want it to contain %q", ue.Zh, ue.En, c.zh)
			}
		})
	}
}

func TestPDFAccepted(t *testing.T) {
	for _, n := range []int{1, 10} {
		data := makePDF(n, 0)
		p, err := normalize(t, data)
		if err != nil {
			t.Fatalf("%d pages: %v", n, err)
		}
		if p.ContentType != TypePDF || !bytes.Equal(p.Data, data) || len(p.Warnings) != 0 {
			t.Errorf("%d pages: %+v", n, p.ContentType)
		}
	}
}

func TestCountPDFPages(t *testing.T) {
	cases := map[string]int{
		"<< /Type /Pages /Kids [] >> << /Type /Page >> << /Type/Page/Parent 1 0 R >>": 2,
		"<</Type\n/Page>> <</Type /PageLabel>> <</Type /Pages>>":                      1,
		"/Type /Page":  1,
		"/Type":        0,
		"/Type /Page/": 1,
	}
	for in, want := range cases {
		if got := CountPDFPages([]byte(in)); got != want {
			t.Errorf("CountPDFPages(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Normalize(ctx, kiosk.RawPage{Data: encodeJPEGStd(t, quadrants(64, 64), 90)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

// makePDF writes a minimal uncompressed PDF with n pages, padded with a comment to at least size bytes.
func makePDF(n, size int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	b.WriteString("1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n")
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", i+3)
	}
	fmt.Fprintf(&b, "2 0 obj << /Type /Pages /Kids [%s] /Count %d >> endobj\n", strings.Join(kids, " "), n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n", i+3)
	}
	for b.Len() < size {
		b.WriteString("% padding padding padding padding padding padding padding padding padding\n")
	}
	b.WriteString("trailer << /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func TestBilinearRGBA(t *testing.T) {
	// A horizontal ramp stays a ramp, flat colour stays flat, the corners are kept.
	src := image.NewRGBA(image.Rect(0, 0, 2500, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 2500; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(x * 255 / 2499), 77, 200, 255})
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, 2480, 30))
	bilinearRGBA(dst, src)
	prev := -1
	for x := 0; x < 2480; x++ {
		c := dst.RGBAAt(x, 15)
		if c.G != 77 || c.B != 200 || c.A != 255 {
			t.Fatalf("x=%d: %v", x, c)
		}
		if int(c.R) < prev {
			t.Fatalf("ramp not monotonic at %d", x)
		}
		prev = int(c.R)
	}
	if dst.RGBAAt(0, 0).R > 1 || dst.RGBAAt(2479, 29).R < 254 {
		t.Errorf("ends %v %v", dst.RGBAAt(0, 0), dst.RGBAAt(2479, 29))
	}
}

// TestGreyJPEG: a greyscale JPEG goes through the codec in use (libjpeg-turbo expands it to RGBA).
func TestGreyJPEG(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3000, 2000))
	for i := range g.Pix {
		g.Pix[i] = uint8(i % 251)
	}
	var b bytes.Buffer
	if err := jpegEncodeGray(&b, g); err != nil {
		t.Fatal(err)
	}
	p, err := normalize(t, b.Bytes())
	if err != nil {
		t.Fatalf("%s: %v", Codec(), err)
	}
	if p.Width != 2480 || p.Height != 1653 {
		t.Errorf("%dx%d", p.Width, p.Height)
	}
}
