package capture

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/image/draw"

	"huren/kiosk"
)

var (
	bench12Once sync.Once
	bench12     []byte
)

// page12MP returns a 4000×3000 (12 MP) camera JPEG of a real-like document photo (quality 92, as cameras write).
func page12MP(b *testing.B) []byte {
	bench12Once.Do(func() {
		s := RealLikeScene(42, 4000, 3000)
		data, err := encodeJPEG(s.Render(), 92)
		if err != nil {
			b.Fatal(err)
		}
		bench12 = data
	})
	return bench12
}

// BenchmarkNormalize12MP normalises a 12-megapixel JPEG page (decode, orient, scale to 2480, gate, encode).
func BenchmarkNormalize12MP(b *testing.B) {
	data := page12MP(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Normalize(context.Background(), kiosk.RawPage{Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNormalize12MPImageMagick is the baseline: ImageMagick's
// convert in.jpg -auto-orient -resize 2480x2480\> -quality 85 out.jpg on the same file.
func BenchmarkNormalize12MPImageMagick(b *testing.B) {
	const convert = "/usr/bin/convert"
	if _, err := os.Stat(convert); err != nil {
		b.Fatalf("%s missing (Debian package imagemagick): %v", convert, err)
	}
	data := page12MP(b)
	dir := b.TempDir()
	in, out := filepath.Join(dir, "in.jpg"), filepath.Join(dir, "out.jpg")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(convert, in, "-auto-orient", "-resize", "2480x2480>", "-quality", "85", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("convert: %v: %s", err, msg)
		}
	}
}

// BenchmarkNormalize12MPGo is the same as BenchmarkNormalize12MP with the pure-Go codec (image/jpeg), to
// show what libjpeg-turbo buys.
func BenchmarkNormalize12MPGo(b *testing.B) {
	data := page12MP(b)
	dec, enc := decodeJPEG, encodeJPEG
	decodeJPEG, encodeJPEG = decodeJPEGGo, encodeJPEGGo
	defer func() { decodeJPEG, encodeJPEG = dec, enc }()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Normalize(context.Background(), kiosk.RawPage{Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScale* compare resampling kernels for 4000×3000 → 2480×1860 (pure-Go decode output).
func benchScale(b *testing.B, k draw.Scaler) {
	img, err := decodeJPEGGo(page12MP(b), 0)
	if err != nil {
		b.Fatal(err)
	}
	old := scaler
	scaler = k
	defer func() { scaler = old }()
	b.ResetTimer()
	for b.Loop() {
		scaleToRGBA(img, MaxLongSide)
	}
}

func BenchmarkScaleApproxBiLinear(b *testing.B) { benchScale(b, draw.ApproxBiLinear) }
func BenchmarkScaleBiLinear(b *testing.B)       { benchScale(b, draw.BiLinear) }
func BenchmarkScaleCatmullRom(b *testing.B)     { benchScale(b, draw.CatmullRom) }
