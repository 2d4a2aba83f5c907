package capture

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// The JPEG codec. The pure-Go versions below are the defaults; codec_turbo.go (cgo, libjpeg-turbo) replaces
// them at init when built with cgo, so the pipeline's API is the same either way.
var (
	// decodeJPEG decodes a JPEG. An implementation may decode at a reduced size (DCT scaling) as long as the
	// long side stays ≥ minLong (or the full size when the image is smaller than that).
	decodeJPEG = decodeJPEGGo
	// encodeJPEG encodes at the given quality (1–100).
	encodeJPEG = encodeJPEGGo
	// codecName says which codec is in use (for diag output and benchmark reports).
	codecName = "go"
)

// Codec returns the name of the JPEG codec in use: "go" (image/jpeg) or "libjpeg-turbo".
func Codec() string { return codecName }

func decodeJPEGGo(data []byte, _ int) (image.Image, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode jpeg: %w", err)
	}
	return img, nil
}

func encodeJPEGGo(img *image.RGBA, q int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(img.Pix) / 10)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeOther(data []byte) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	return img, nil
}
