package capture

import (
	"context"
	"errors"
	"testing"

	"huren/kiosk"
)

// FuzzJPEGOrientation: the EXIF reader never panics, and only ever answers 1–8.
func FuzzJPEGOrientation(f *testing.F) {
	base := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	for o := 1; o <= 8; o++ {
		f.Add(withEXIF(base, o, o%2 == 0))
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', '*', 0, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		if o := JPEGOrientation(b); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		if o := PNGOrientation(b); o < 1 || o > 8 {
			t.Fatalf("png orientation %d", o)
		}
		if o := tiffOrientation(b); o < 0 || o > 8 {
			t.Fatalf("tiff orientation %d", o)
		}
	})
}

// FuzzNormalize: the decode path never panics, never returns anything but a *kiosk.UserError, and what it
// accepts respects the limits.
func FuzzNormalize(f *testing.F) {
	small := encodeJPEGStd(f, quadrants(24, 16), 80)
	f.Add(small)
	f.Add(withEXIF(small, 6, false))
	f.Add(encodePNG(f, quadrants(9, 7)))
	f.Add(makePDF(2, 0))
	f.Add([]byte("%PDF-1.7\n/Type /Page"))
	f.Add([]byte{})
	f.Add(small[:len(small)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Normalize(context.Background(), kiosk.RawPage{Data: b})
		if err != nil {
			var ue *kiosk.UserError
			if !errors.As(err, &ue) || ue.Zh == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if len(p.Data) > MaxBytes || (p.ContentType != TypeJPEG && p.ContentType != TypePDF) {
			t.Fatalf("accepted %s of %d bytes", p.ContentType, len(p.Data))
		}
		if p.ContentType == TypeJPEG && (p.Width > MaxLongSide || p.Height > MaxLongSide || p.Width < 1 || p.Height < 1) {
			t.Fatalf("size %dx%d", p.Width, p.Height)
		}
	})
}

// FuzzCountPDFPages never panics and never counts more pages than "/Type" occurrences.
func FuzzCountPDFPages(f *testing.F) {
	f.Add(makePDF(3, 0))
	f.Add([]byte("/Type/Page/Type /Pages"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = CountPDFPages(b)
		_ = CheckPDF(b)
	})
}

// FuzzFixMJPEG never panics and never shortens a frame.
func FuzzFixMJPEG(f *testing.F) {
	f.Add(encodeJPEGStd(f, quadrants(16, 16), 80))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if out := FixMJPEG(b); len(out) < len(b) {
			t.Fatal("shortened")
		}
	})
}
