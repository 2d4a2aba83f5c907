package capture

import (
	"bytes"
	"image"
	"image/jpeg"
	"sync"
)

// stdDHT is the DHT segment with the standard Huffman tables of ITU-T T.81 Annex K.3, taken from what
// image/jpeg's encoder writes (it always uses those tables).
var stdDHT = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 16, 16)), nil) // colour: all four tables
	d := b.Bytes()
	for i := 2; i+4 <= len(d); {
		if d[i] != 0xFF {
			break
		}
		n := int(d[i+2])<<8 | int(d[i+3])
		if d[i+1] == 0xC4 {
			return append([]byte(nil), d[i:i+2+n]...)
		}
		if d[i+1] == 0xDA {
			break
		}
		i += 2 + n
	}
	return nil
})

// FixMJPEG returns a UVC MJPEG frame as a standalone JPEG: many cameras omit the Huffman tables (DHT) and
// rely on the standard ones (AVI1 convention); they are inserted before the first scan. Frames with
// tables, and anything that is not a JPEG, are returned unchanged.
func FixMJPEG(frame []byte) []byte {
	if len(frame) < 4 || frame[0] != 0xFF || frame[1] != 0xD8 {
		return frame
	}
	for i := 2; i+4 <= len(frame); {
		if frame[i] != 0xFF {
			return frame
		}
		m := frame[i+1]
		switch {
		case m == 0xFF:
			i++
			continue
		case m == 0xC4: // has tables
			return frame
		case m == 0xDA: // scan without tables: insert them here
			dht := stdDHT()
			out := make([]byte, 0, len(frame)+len(dht))
			out = append(out, frame[:i]...)
			out = append(out, dht...)
			return append(out, frame[i:]...)
		case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01:
			i += 2
			continue
		}
		n := int(frame[i+2])<<8 | int(frame[i+3])
		if n < 2 {
			return frame
		}
		i += 2 + n
	}
	return frame
}

// yuyvToRGBA converts a packed YUYV 4:2:2 frame (BT.601, limited range) to RGBA.
func yuyvToRGBA(frame []byte, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src := frame[y*w*2:]
		dst := img.Pix[y*img.Stride:]
		for x := 0; x+1 < w; x += 2 {
			i := x * 2
			if i+3 >= len(src) {
				break
			}
			y0, u, y1, v := src[i], src[i+1], src[i+2], src[i+3]
			r, g, b := yuvToRGB(y0, u, v)
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = r, g, b, 255
			r, g, b = yuvToRGB(y1, u, v)
			dst[4*x+4], dst[4*x+5], dst[4*x+6], dst[4*x+7] = r, g, b, 255
		}
	}
	return img
}

func yuvToRGB(y, u, v uint8) (uint8, uint8, uint8) {
	c := (int(y) - 16) * 298
	d, e := int(u)-128, int(v)-128
	clip := func(x int) uint8 { return uint8(min(max((x+128)>>8, 0), 255)) }
	return clip(c + 409*e), clip(c - 100*d - 208*e), clip(c + 516*d)
}
