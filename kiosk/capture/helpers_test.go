package capture

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// withEXIF inserts an APP1 Exif segment with the orientation tag right after the SOI of a JPEG.
// bigEndian chooses "MM" or "II" byte order.
func withEXIF(jpg []byte, orientation int, bigEndian bool) []byte {
	var bo binary.AppendByteOrder = binary.LittleEndian
	tiff := []byte("II*\x00")
	if bigEndian {
		bo = binary.BigEndian
		tiff = []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)      // IFD0 offset
	tiff = bo.AppendUint16(tiff, 2)      // two entries
	tiff = bo.AppendUint16(tiff, 0x010F) // Make (ASCII, inline "Hu\0")
	tiff = bo.AppendUint16(tiff, 2)
	tiff = bo.AppendUint32(tiff, 3)
	tiff = append(tiff, 'H', 'u', 0, 0)
	tiff = bo.AppendUint16(tiff, tagOrientation)
	tiff = bo.AppendUint16(tiff, 3) // SHORT
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, uint16(orientation))
	tiff = bo.AppendUint16(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// encodeJPEGStd encodes with image/jpeg (the reference encoder: standard tables, no surprises).
func encodeJPEGStd(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Dx()*rgba.Rect.Dy() > 1_000_000 {
		// Large test images go through the pipeline's encoder: image/jpeg is slow under the race detector.
		data, err := encodeJPEG(rgba, q)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// quadrants returns a w×h image with four flat colour quadrants: red top-left, green top-right,
// blue bottom-left, white bottom-right.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cols := [4]color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		if y > 0 && y != h/2 {
			copy(row, img.Pix[(y-1)*img.Stride:])
			continue
		}
		for x := 0; x < w; x++ {
			k := 0
			if x >= w/2 {
				k = 1
			}
			if y >= h/2 {
				k += 2
			}
			c := cols[k]
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
	return img
}

// quadrantColours samples the centre of each quadrant: TL, TR, BL, BR.
func quadrantColours(img image.Image) [4]color.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pts := [4]image.Point{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
	var out [4]color.RGBA
	for i, p := range pts {
		r, g, bb, _ := img.At(b.Min.X+p.X, b.Min.Y+p.Y).RGBA()
		out[i] = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), 255}
	}
	return out
}

// near reports whether two colours are within JPEG tolerance.
func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) < 40 && d(a.G, b.G) < 40 && d(a.B, b.B) < 40
}

func jpegEncodeGray(w *bytes.Buffer, g *image.Gray) error {
	return jpeg.Encode(w, g, &jpeg.Options{Quality: 90})
}
