package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG format for image.DecodeConfig
	_ "image/png"  // registers the PNG format
	"net/http"

	"golang.org/x/image/draw"

	"huren/kiosk"
)

// Limits of the pipeline.
const (
	MaxPixels   = 50_000_000 // larger images are refused before decoding (decompression bombs)
	MaxLongSide = 2480       // A4 at 300 dpi: the long side is scaled down to this
	MaxBytes    = 2 << 20    // every normalised page (JPEG or PDF) is at most 2 MiB
	MaxPDFPages = 10
	// MaxInputBytes bounds what Normalize reads at all (a 50 MP PNG can legitimately be large).
	MaxInputBytes = 64 << 20
)

// JPEG qualities tried in turn until the page fits in MaxBytes.
var jpegQualities = []int{85, 78, 70, 62, 54, 46, 38, 30}

// Content types of normalised pages.
const (
	TypeJPEG = "image/jpeg"
	TypePDF  = "application/pdf"
)

// Causes wrapped by the *kiosk.UserError values Normalize returns; test them with errors.Is.
var (
	ErrEmpty        = errors.New("empty file")
	ErrNotDocument  = errors.New("not an image or pdf")
	ErrTooManyPixel = errors.New("image exceeds pixel limit")
	ErrCorrupt      = errors.New("image corrupt")
	ErrTooBig       = errors.New("file too large")
	ErrBadPDF       = errors.New("not a valid pdf")
	ErrPDFPages     = errors.New("pdf has too many pages")
)

// Warning is one quality-gate finding the applicant may retake or keep; a kept warning travels with the
// material (kiosk.Material.Warnings holds the codes).
type Warning struct {
	Code string // blur, dark, bright, blank, small
	Zh   string
	En   string
}

// Page is one normalised page.
type Page struct {
	Data          []byte // JPEG (≤ 2480 px long side) or PDF, ≤ MaxBytes
	ContentType   string // TypeJPEG or TypePDF
	Width, Height int    // pixels after normalisation; 0 for PDFs
	Warnings      []Warning
	Metrics       Metrics // what the quality gate measured (zero for PDFs)
}

// WarningCodes returns the codes of p's warnings (what kiosk.Material.Warnings carries).
func (p Page) WarningCodes() []string {
	if len(p.Warnings) == 0 {
		return nil
	}
	out := make([]string, len(p.Warnings))
	for i, w := range p.Warnings {
		out[i] = w.Code
	}
	return out
}

func userErr(zh, en string, cause error) error { return kiosk.NewUserError(zh, en, cause) }

// Sniff returns the content type of data as the pipeline sees it: image/jpeg, image/png, application/pdf,
// or whatever http.DetectContentType says (which Normalize refuses).
func Sniff(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "image/jpeg"
	case len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(data) >= 5 && string(data[:5]) == "%PDF-":
		return TypePDF
	}
	return http.DetectContentType(data)
}

// Normalize turns a raw page into a normalised one and runs the quality gate on images. The declared
// raw.ContentType is ignored: the content is sniffed. Every error is a *kiosk.UserError with a Chinese
// message, wrapping one of ErrEmpty, ErrNotDocument, ErrTooManyPixel, ErrCorrupt, ErrTooBig, ErrBadPDF,
// ErrPDFPages, or ctx.Err().
func Normalize(ctx context.Context, raw kiosk.RawPage) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, userErr("操作已取消", "Cancelled", err)
	}
	data := raw.Data
	if len(data) == 0 {
		return Page{}, userErr("文件是空的，请重新拍摄或扫描", "The file is empty; please capture or scan again", ErrEmpty)
	}
	if len(data) > MaxInputBytes {
		return Page{}, userErr("文件过大", "The file is too large", fmt.Errorf("%w: %d bytes", ErrTooBig, len(data)))
	}
	switch ct := Sniff(data); ct {
	case TypePDF:
		if err := CheckPDF(data); err != nil {
			return Page{}, err
		}
		return Page{Data: data, ContentType: TypePDF}, nil
	case "image/jpeg", "image/png":
		return normalizeImage(ctx, data, ct)
	default:
		return Page{}, userErr("文件不是图片或PDF", "The file is not an image or a PDF",
			fmt.Errorf("%w: sniffed %s", ErrNotDocument, ct))
	}
}

func corrupt(err error) error {
	return userErr("图片已损坏，请重新拍摄或扫描", "The image is damaged; please capture or scan again",
		fmt.Errorf("%w: %w", ErrCorrupt, err))
}

func normalizeImage(ctx context.Context, data []byte, ct string) (Page, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Page{}, corrupt(fmt.Errorf("decode config: %w", err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Page{}, corrupt(fmt.Errorf("dimensions %dx%d", cfg.Width, cfg.Height))
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Page{}, userErr("图片过大（超过5000万像素），请降低分辨率后重试",
			"The image is too large (over 50 megapixels); please lower the resolution",
			fmt.Errorf("%w: %dx%d", ErrTooManyPixel, cfg.Width, cfg.Height))
	}
	orient := OrientNormal
	var img image.Image
	if ct == "image/jpeg" {
		orient = JPEGOrientation(data)
		img, err = decodeJPEG(data, MaxLongSide)
	} else {
		orient = PNGOrientation(data)
		img, err = decodeOther(data)
	}
	if err != nil {
		return Page{}, corrupt(err)
	}
	if err := ctx.Err(); err != nil {
		return Page{}, userErr("操作已取消", "Cancelled", err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return Page{}, corrupt(errors.New("empty image"))
	}
	// A DCT-scaled decode keeps the long side ≥ MaxLongSide, so the gate's "small" check (on the scaled
	// image) sees the same as it would on the full decode.
	rgba := scaleToRGBA(img, MaxLongSide)
	rgba = Orient(rgba, orient)
	warns, m := Check(rgba)

	out, err := encodeBounded(ctx, rgba)
	if err != nil {
		return Page{}, err
	}
	ob := rgba.Bounds()
	return Page{Data: out, ContentType: TypeJPEG, Width: ob.Dx(), Height: ob.Dy(), Warnings: warns, Metrics: m}, nil
}

// encodeBounded encodes img as JPEG, lowering the quality step by step (and, as a last resort, the size)
// until the result fits in MaxBytes.
func encodeBounded(ctx context.Context, img *image.RGBA) ([]byte, error) {
	for {
		for _, q := range jpegQualities {
			if err := ctx.Err(); err != nil {
				return nil, userErr("操作已取消", "Cancelled", err)
			}
			out, err := encodeJPEG(img, q)
			if err != nil {
				return nil, userErr("图片处理失败", "The image could not be processed", fmt.Errorf("encode jpeg: %w", err))
			}
			if len(out) <= MaxBytes {
				return out, nil
			}
		}
		b := img.Bounds()
		long := max(b.Dx(), b.Dy())
		if long < 600 {
			return nil, userErr("图片过大", "The image is too large", fmt.Errorf("%w: cannot encode within %d bytes", ErrTooBig, MaxBytes))
		}
		img = scaleToRGBA(img, long*3/4)
	}
}

// scaleToRGBA returns img as *image.RGBA with its long side at most maxLong, composited over white if it has
// transparency. It scales with a bilinear kernel that widens when shrinking (so it averages, not aliases).
func scaleToRGBA(img image.Image, maxLong int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if long := max(w, h); long > maxLong {
		if w >= h {
			h = max(1, (h*maxLong+long/2)/long)
			w = maxLong
		} else {
			w = max(1, (w*maxLong+long/2)/long)
			h = maxLong
		}
	}
	if r, ok := img.(*image.RGBA); ok && w == b.Dx() && h == b.Dy() && b.Min == (image.Point{}) {
		return r
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	op := draw.Src
	if !opaque(img) {
		draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		op = draw.Over
	}
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, op)
		return dst
	}
	if src, ok := img.(*image.RGBA); ok && op == draw.Src && w*4 >= b.Dx()*3 && h*4 >= b.Dy()*3 {
		// Shrinking by less than a quarter (after a DCT-scaled decode, typically 2500 → 2480): plain
		// bilinear interpolation cannot alias at such ratios and is many times faster than a kernel.
		bilinearRGBA(dst, src)
		return dst
	}
	scaler.Scale(dst, dst.Bounds(), img, b, op, nil)
	return dst
}

// bilinearRGBA resamples src into dst (any sizes) by bilinear interpolation with 8-bit fixed-point weights:
// first the two source rows are blended, then neighbouring columns.
func bilinearRGBA(dst, src *image.RGBA) {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	dw, dh := dst.Bounds().Dx(), dst.Bounds().Dy()
	xs := make([]int, dw)
	xf := make([]uint32, dw)
	for x := 0; x < dw; x++ {
		// Pixel centres: sx = (x+0.5)·sw/dw − 0.5, in 1/256 units.
		p := ((2*x+1)*sw*256/(2*dw) - 128)
		p = max(p, 0)
		sx := p >> 8
		if sx >= sw-1 {
			sx, p = sw-1, (sw-1)<<8
		}
		xs[x], xf[x] = sx, uint32(p&255)
	}
	tmp := make([]uint32, 4*(sw+1))
	for y := 0; y < dh; y++ {
		p := max((2*y+1)*sh*256/(2*dh)-128, 0)
		sy := p >> 8
		fy := uint32(p & 255)
		if sy >= sh-1 {
			sy, fy = sh-1, 0
		}
		r0 := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+sy):][:4*sw]
		r1 := r0
		if fy > 0 {
			r1 = src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+sy+1):][:4*sw]
		}
		gy := 256 - fy
		for i := range r0 {
			tmp[i] = uint32(r0[i])*gy + uint32(r1[i])*fy
		}
		copy(tmp[4*sw:], tmp[4*sw-4:4*sw]) // so x+1 never runs off the row
		drow := dst.Pix[y*dst.Stride:][:4*dw]
		for x := 0; x < dw; x++ {
			i := 4 * xs[x]
			fx := xf[x]
			gx := 256 - fx
			t := tmp[i : i+8 : i+8]
			d := drow[4*x : 4*x+4 : 4*x+4]
			d[0] = uint8((t[0]*gx + t[4]*fx + 32768) >> 16)
			d[1] = uint8((t[1]*gx + t[5]*fx + 32768) >> 16)
			d[2] = uint8((t[2]*gx + t[6]*fx + 32768) >> 16)
			d[3] = uint8((t[3]*gx + t[7]*fx + 32768) >> 16)
		}
	}
}

// scaler is the resampling kernel for larger reductions: bilinear with its support widened by the ratio
// (so it averages rather than aliases). See BenchmarkScale* for the alternatives.
var scaler draw.Scaler = draw.BiLinear

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// Orient returns img turned upright according to the EXIF orientation o (1–8); 1 or an unknown value
// returns img itself.
func Orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	sp, ss := img.Pix, img.Stride
	dp, ds := dst.Pix, dst.Stride
	off := img.PixOffset(b.Min.X, b.Min.Y)
	for dy := 0; dy < dh; dy++ {
		row := dp[dy*ds : dy*ds+dw*4]
		for dx := 0; dx < dw; dx++ {
			var sx, sy int
			switch o {
			case OrientFlipH:
				sx, sy = w-1-dx, dy
			case OrientRotate180:
				sx, sy = w-1-dx, h-1-dy
			case OrientFlipV:
				sx, sy = dx, h-1-dy
			case OrientTranspose:
				sx, sy = dy, dx
			case OrientRotate90:
				sx, sy = dy, h-1-dx
			case OrientTransverse:
				sx, sy = w-1-dy, h-1-dx
			case OrientRotate270:
				sx, sy = w-1-dy, dx
			}
			si := off + sy*ss + sx*4
			copy(row[dx*4:dx*4+4], sp[si:si+4])
		}
	}
	return dst
}
