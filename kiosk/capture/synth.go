package capture

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"huren/resources"
)

// demoFont is the CJK font the demo pages' titles are set in: the kiosk's own Chinese font (resources), so the
// process holds one copy of its bytes. When it cannot be read, titles are drawn as glyph-like strokes like the
// body text.
var demoFont = sync.OnceValue(func() *opentype.Font {
	b, err := resources.ChineseFont()
	if err != nil {
		return nil
	}
	f, err := opentype.Parse(b)
	if err != nil {
		return nil
	}
	return f
})

// demoTitles are the documents the demo pages pretend to be.
var demoTitles = []string{"房屋租赁合同", "劳动合同书", "住宿证明", "连续就读证明", "社会保险缴纳证明", "不动产权证书", "租赁登记备案证明"}

// drawTitle sets title centred at baseline y in the demo font; false when the font is unavailable.
func drawTitle(page *image.RGBA, title string, y, size float64, ink color.RGBA) bool {
	f := demoFont()
	if f == nil {
		return false
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return false
	}
	defer face.Close()
	d := &font.Drawer{Dst: page, Src: image.NewUniform(ink), Face: face}
	w := d.MeasureString(title)
	d.Dot = fixed.Point26_6{X: (fixed.I(page.Rect.Dx()) - w) / 2, Y: fixed.Int26_6(y * 64)}
	d.DrawString(title)
	return true
}

// Scene describes one generated photograph of an A4 document page: what the demo camera delivers, and what
// the calibration tests use as "real-like photographs" (page at an angle, uneven light, noise, JPEG).
type Scene struct {
	Seed          uint64
	Width, Height int     // frame size in pixels
	Coverage      float64 // fraction of the frame's short side the page's short side fills (0.6–0.95)
	Angle         float64 // page rotation in degrees
	Perspective   float64 // corner displacement as a fraction of the page size (0 = flat on, 0.08 = strong)
	Light         float64 // exposure multiplier: 1 normal, 0.15 dark, 1.8 washed out
	LightSlope    float64 // left-to-right light gradient (0–0.4)
	Vignette      float64 // brightness loss at the frame corners (0–0.6)
	Noise         float64 // sensor noise σ in grey levels
	Blur          float64 // Gaussian σ as a fraction of the frame's long side (0.002 ≈ 5 px at 2480)
	Softness      float64 // the lens's own blur: Gaussian σ in frame pixels (0–1.4), applied to every frame
	Blank         bool    // paper without print
	Stamp         bool    // a red seal
	Desk          color.RGBA
}

// DemoScene is the demo camera's standard scene for a seed: a page held flat under the document camera.
func DemoScene(seed uint64, w, h int) Scene {
	return Scene{Seed: seed, Width: w, Height: h, Coverage: 0.9, Light: 1, LightSlope: 0.06, Vignette: 0.12,
		Noise: 2.5, Stamp: true, Desk: color.RGBA{58, 62, 70, 255}}
}

// RealLikeScene draws a random handheld-photo scene for seed: page at an angle, perspective, uneven light,
// vignetting and noise typical of phone cameras and cheap document cameras.
func RealLikeScene(seed uint64, w, h int) Scene {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	desks := []color.RGBA{{120, 85, 55, 255}, {60, 60, 64, 255}, {170, 165, 150, 255}, {30, 30, 35, 255}}
	return Scene{
		Seed: seed, Width: w, Height: h,
		Coverage:    0.7 + 0.25*r.Float64(),
		Angle:       -8 + 16*r.Float64(),
		Perspective: 0.07 * r.Float64(),
		Light:       0.6 + 0.55*r.Float64(),
		LightSlope:  0.35 * r.Float64(),
		Vignette:    0.45 * r.Float64(),
		Noise:       1 + 6*r.Float64(),
		Softness:    0.5 + 0.8*r.Float64(),
		Stamp:       r.IntN(2) == 0,
		Desk:        desks[r.IntN(len(desks))],
	}
}

// Render draws the scene.
func (s Scene) Render() *image.RGBA {
	r := rand.New(rand.NewPCG(s.Seed, 0xd0c))
	short := float64(min(s.Width, s.Height))
	cov := s.Coverage
	if cov <= 0 {
		cov = 0.9
	}
	// Page size in frame pixels (A4 is 1:√2), fitted inside the frame.
	pw := short * cov
	ph := pw * math.Sqrt2
	if s.Height < s.Width { // landscape frame: the page lies across... keep it upright but fit the height
		ph = float64(s.Height) * cov
		pw = ph / math.Sqrt2
	} else if ph > float64(s.Height)*cov {
		ph = float64(s.Height) * cov
		pw = ph / math.Sqrt2
	}
	page := renderPage(r, int(pw), int(ph), s.Blank, s.Stamp)

	// Page corners in the frame: centred, rotated, with perspective jitter.
	cx, cy := float64(s.Width)/2, float64(s.Height)/2
	a := s.Angle * math.Pi / 180
	sin, cos := math.Sin(a), math.Cos(a)
	var quad [4][2]float64
	for i, c := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
		x := c[0]*pw/2 + (r.Float64()*2-1)*s.Perspective*pw
		y := c[1]*ph/2 + (r.Float64()*2-1)*s.Perspective*ph
		quad[i] = [2]float64{cx + x*cos - y*sin, cy + x*sin + y*cos}
	}
	inv := squareToQuad(quad).inverse()

	frame := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
	light := s.Light
	if light <= 0 {
		light = 1
	}
	desk := s.Desk
	if desk.A == 0 {
		desk = color.RGBA{58, 62, 70, 255}
	}
	ppw, pph := page.Bounds().Dx(), page.Bounds().Dy()
	diag2 := cx*cx + cy*cy
	fw, fh := float64(ppw), float64(pph)
	dr, dg, db := float64(desk.R), float64(desk.G), float64(desk.B)
	for y := 0; y < s.Height; y++ {
		row := frame.Pix[y*frame.Stride:]
		fy := float64(y) + 0.5
		for x := 0; x < s.Width; x++ {
			fx := float64(x) + 0.5
			u, v, ok := inv.apply(fx, fy)
			cr, cg, cb := dr, dg, db
			if ok && u >= 0 && u < 1 && v >= 0 && v < 1 {
				cr, cg, cb = bilinear(page, u*fw-0.5, v*fh-0.5)
			}
			dx, dy := fx-cx, fy-cy
			l := light * (1 - s.Vignette*(dx*dx+dy*dy)/diag2) * (1 + s.LightSlope*(fx/float64(s.Width)-0.5))
			n := 0.0
			if s.Noise > 0 {
				n = s.Noise * gauss(r)
			}
			i := 4 * x
			row[i] = clamp8(cr*l + n)
			row[i+1] = clamp8(cg*l + n)
			row[i+2] = clamp8(cb*l + n)
			row[i+3] = 255
		}
	}
	if s.Softness > 0 {
		softBlur(frame, min(s.Softness, 1.4))
	}
	if s.Blur > 0 {
		sigma := s.Blur * float64(max(s.Width, s.Height))
		if k := int(sigma / 3); k >= 2 && s.Width/k >= 16 && s.Height/k >= 16 {
			// A wide blur is done at 1/k size (box average, blur σ/k, bilinear back up): the same look for
			// a fraction of the cost; the residual error is far below σ.
			small := boxDown(frame, k)
			gaussBlur(small, sigma/float64(k))
			bilinearRGBA(frame, small)
		} else {
			gaussBlur(frame, sigma)
		}
		if s.Noise > 0 { // the sensor adds noise after the optics blur
			for i := 0; i < len(frame.Pix); i += 4 {
				n := s.Noise * gauss(r)
				frame.Pix[i] = clamp8(float64(frame.Pix[i]) + n)
				frame.Pix[i+1] = clamp8(float64(frame.Pix[i+1]) + n)
				frame.Pix[i+2] = clamp8(float64(frame.Pix[i+2]) + n)
			}
		}
	}
	return frame
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// gauss returns an approximately standard normal value: the sum of four uniform 16-bit values from one
// random draw (Irwin–Hall), centred and scaled to unit variance.
func gauss(r *rand.Rand) float64 {
	u := r.Uint64()
	sum := float64(u&0xFFFF) + float64(u>>16&0xFFFF) + float64(u>>32&0xFFFF) + float64(u>>48)
	return (sum/65535 - 2) * 1.7320508 // σ of the sum of 4 U(0,1) is 1/√3
}

func bilinear(img *image.RGBA, x, y float64) (r, g, b float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := x-float64(x0), y-float64(y0)
	x1, y1 := x0+1, y0+1
	x0, x1 = min(max(x0, 0), w-1), min(max(x1, 0), w-1)
	y0, y1 = min(max(y0, 0), h-1), min(max(y1, 0), h-1)
	p := img.Pix
	i00, i10 := y0*img.Stride+4*x0, y0*img.Stride+4*x1
	i01, i11 := y1*img.Stride+4*x0, y1*img.Stride+4*x1
	w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	r = float64(p[i00])*w00 + float64(p[i10])*w10 + float64(p[i01])*w01 + float64(p[i11])*w11
	g = float64(p[i00+1])*w00 + float64(p[i10+1])*w10 + float64(p[i01+1])*w01 + float64(p[i11+1])*w11
	b = float64(p[i00+2])*w00 + float64(p[i10+2])*w10 + float64(p[i01+2])*w01 + float64(p[i11+2])*w11
	return r, g, b
}

// homography is a 3×3 projective map (row-major).
type homography [9]float64

func (m homography) apply(x, y float64) (float64, float64, bool) {
	w := m[6]*x + m[7]*y + m[8]
	if math.Abs(w) < 1e-12 {
		return 0, 0, false
	}
	return (m[0]*x + m[1]*y + m[2]) / w, (m[3]*x + m[4]*y + m[5]) / w, true
}

func (m homography) inverse() homography {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	A, B, C := e*i-f*h, -(d*i - f*g), d*h-e*g
	det := a*A + b*B + c*C
	return homography{A / det, -(b*i - c*h) / det, (b*f - c*e) / det,
		B / det, (a*i - c*g) / det, -(a*f - c*d) / det,
		C / det, -(a*h - b*g) / det, (a*e - b*d) / det}
}

// squareToQuad maps the unit square (0,0),(1,0),(1,1),(0,1) onto q (Heckbert's formulas).
func squareToQuad(q [4][2]float64) homography {
	x0, y0, x1, y1, x2, y2, x3, y3 := q[0][0], q[0][1], q[1][0], q[1][1], q[2][0], q[2][1], q[3][0], q[3][1]
	dx1, dx2, dx3 := x1-x2, x3-x2, x0-x1+x2-x3
	dy1, dy2, dy3 := y1-y2, y3-y2, y0-y1+y2-y3
	var g, h float64
	if dx3 != 0 || dy3 != 0 {
		den := dx1*dy2 - dx2*dy1
		g = (dx3*dy2 - dx2*dy3) / den
		h = (dx1*dy3 - dx3*dy1) / den
	}
	return homography{x1 - x0 + g*x1, x3 - x0 + h*x3, x0, y1 - y0 + g*y1, y3 - y0 + h*y3, y0, g, h, 1}
}

// renderPage draws an A4 page of w×h pixels: a title, lines of glyph-like strokes (standing in for Chinese
// characters), a signature line and, optionally, a red seal. Blank pages are paper only.
func renderPage(r *rand.Rand, w, h int, blank, stamp bool) *image.RGBA {
	page := image.NewRGBA(image.Rect(0, 0, w, h))
	paper := color.RGBA{246, 244, 238, 255}
	draw.Draw(page, page.Bounds(), image.NewUniform(paper), image.Point{}, draw.Src)
	if blank {
		return page
	}
	ink := vector.NewRasterizer(w, h)
	W := float32(w)
	margin := W * 0.1
	// Title: the document's name in the CJK font, or 6–12 large stroke glyphs, centred.
	inkCol := color.RGBA{35, 38, 48, 255}
	tcell := W * 0.045
	ty := float32(h) * 0.08
	title := demoTitles[r.IntN(len(demoTitles))]
	if !drawTitle(page, title, float64(ty+tcell*0.9), float64(tcell*1.1), inkCol) {
		tn := 6 + r.IntN(7)
		tx := (W - float32(tn)*tcell*1.15) / 2
		for i := 0; i < tn; i++ {
			glyph(ink, r, tx+float32(i)*tcell*1.15, ty, tcell, tcell*0.11)
		}
	}
	// Body text.
	cell := W * 0.022
	lineH := cell * 1.9
	y := ty + tcell*2.2
	perLine := int((W - 2*margin) / (cell * 1.08))
	lines := 18 + r.IntN(14)
	for l := 0; l < lines && y < float32(h)*0.8; l++ {
		n := perLine
		x := margin
		if l == 0 || r.IntN(6) == 0 { // paragraph start: indent two characters
			x += 2 * cell * 1.08
			n -= 2
		}
		if r.IntN(5) == 0 { // paragraph end: short line
			n = 3 + r.IntN(max(1, n-3))
		}
		for i := 0; i < n; i++ {
			if r.IntN(14) == 0 { // punctuation: a small dot
				dot(ink, x+cell*0.2, y+cell*0.8, cell*0.12)
			} else {
				glyph(ink, r, x, y, cell, cell*0.09)
			}
			x += cell * 1.08
		}
		y += lineH
	}
	// A ruled line with a signature block and date.
	sy := float32(h) * 0.86
	thickLine(ink, W*0.55, sy, W-margin, sy, cell*0.06)
	for i := 0; i < 5; i++ {
		glyph(ink, r, W*0.55+float32(i)*cell*1.08, sy-cell*1.3, cell, cell*0.09)
	}
	ink.Draw(page, page.Bounds(), image.NewUniform(inkCol), image.Point{})
	if stamp {
		st := vector.NewRasterizer(w, h)
		cxs, cys := W*0.7, float32(h)*0.83
		rad := W * 0.085
		ring(st, cxs, cys, rad, rad*0.08)
		star(st, cxs, cys, rad*0.35)
		// characters along the ring: short radial strokes
		for k := 0; k < 14; k++ {
			a := math.Pi*0.85 + float64(k)*math.Pi*1.3/13
			x0 := cxs + float32(math.Cos(a))*rad*0.62
			y0 := cys + float32(math.Sin(a))*rad*0.62
			glyph(st, r, x0-rad*0.09, y0-rad*0.09, rad*0.18, rad*0.025)
		}
		red := color.NRGBA{205, 35, 40, 215}
		st.Draw(page, page.Bounds(), image.NewUniform(red), image.Point{})
	}
	return page
}

// glyph draws 3–7 strokes inside the square cell at (x, y), like a Chinese character.
func glyph(z *vector.Rasterizer, r *rand.Rand, x, y, size, width float32) {
	n := 3 + r.IntN(5)
	p := func() float32 { return 0.1 + 0.8*r.Float32() }
	for i := 0; i < n; i++ {
		switch r.IntN(5) {
		case 0, 1: // horizontal
			a, b := p(), p()
			yy := p()
			thickLine(z, x+size*min(a, b), y+size*yy, x+size*max(a, b)+size*0.15, y+size*yy, width)
		case 2: // vertical
			a, b := p(), p()
			xx := p()
			thickLine(z, x+size*xx, y+size*min(a, b), x+size*xx, y+size*max(a, b)+size*0.15, width)
		case 3: // falling left (撇)
			thickLine(z, x+size*p(), y+size*0.1, x+size*0.1, y+size*(0.5+0.4*r.Float32()), width)
		default: // falling right (捺) or dot
			thickLine(z, x+size*p()*0.6, y+size*p()*0.6, x+size*0.9, y+size*0.9, width)
		}
	}
}

func thickLine(z *vector.Rasterizer, x0, y0, x1, y1, w float32) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	z.MoveTo(x0+nx, y0+ny)
	z.LineTo(x1+nx, y1+ny)
	z.LineTo(x1-nx, y1-ny)
	z.LineTo(x0-nx, y0-ny)
	z.ClosePath()
}

func dot(z *vector.Rasterizer, x, y, s float32) {
	z.MoveTo(x, y)
	z.LineTo(x+s, y)
	z.LineTo(x+s, y+s)
	z.LineTo(x, y+s)
	z.ClosePath()
}

func ring(z *vector.Rasterizer, cx, cy, rad, w float32) {
	const n = 72
	for k := 0; k < n; k++ {
		a0 := 2 * math.Pi * float64(k) / n
		a1 := 2 * math.Pi * float64(k+1) / n
		thickLine(z, cx+rad*float32(math.Cos(a0)), cy+rad*float32(math.Sin(a0)),
			cx+rad*float32(math.Cos(a1)), cy+rad*float32(math.Sin(a1)), w)
	}
}

func star(z *vector.Rasterizer, cx, cy, rad float32) {
	for k := 0; k < 10; k++ {
		rr := rad
		if k%2 == 1 {
			rr = rad * 0.4
		}
		a := -math.Pi/2 + float64(k)*math.Pi/5
		x, y := cx+rr*float32(math.Cos(a)), cy+rr*float32(math.Sin(a))
		if k == 0 {
			z.MoveTo(x, y)
		} else {
			z.LineTo(x, y)
		}
	}
	z.ClosePath()
}

// boxDown returns img averaged over k×k blocks (edges: partial blocks dropped).
func boxDown(img *image.RGBA, k int) *image.RGBA {
	w, h := img.Rect.Dx()/k, img.Rect.Dy()/k
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	acc := make([]uint32, 4*w)
	n := uint32(k * k)
	for y := 0; y < h; y++ {
		clear(acc)
		for dy := 0; dy < k; dy++ {
			row := img.Pix[(y*k+dy)*img.Stride:]
			for x := 0; x < w*k; x++ {
				i, j := 4*x, 4*(x/k)
				acc[j] += uint32(row[i])
				acc[j+1] += uint32(row[i+1])
				acc[j+2] += uint32(row[i+2])
			}
		}
		o := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			o[4*x], o[4*x+1], o[4*x+2], o[4*x+3] = uint8(acc[4*x]/n), uint8(acc[4*x+1]/n), uint8(acc[4*x+2]/n), 255
		}
	}
	return out
}

// softBlur blurs img in place by a small Gaussian σ (≤ 1.4 px): two passes per axis of the 3-tap kernel
// [a, 1−2a, a] with a = σ²/4 (each pass adds variance 2a).
func softBlur(img *image.RGBA, sigma float64) {
	a := sigma * sigma / 4
	wa := uint32(a*256 + 0.5)
	wc := 256 - 2*wa
	w, h := img.Rect.Dx(), img.Rect.Dy()
	line := make([]uint8, 4*max(w, h))
	for pass := 0; pass < 2; pass++ {
		for y := 0; y < h; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			copy(line, row)
			for x := 0; x < w; x++ {
				l, r := max(x-1, 0), min(x+1, w-1)
				for c := 0; c < 3; c++ {
					row[4*x+c] = uint8((uint32(line[4*l+c])*wa + uint32(line[4*x+c])*wc + uint32(line[4*r+c])*wa + 128) >> 8)
				}
			}
		}
		for x := 0; x < w; x++ {
			for y := 0; y < h; y++ {
				copy(line[4*y:4*y+4], img.Pix[y*img.Stride+4*x:])
			}
			for y := 0; y < h; y++ {
				u, d := max(y-1, 0), min(y+1, h-1)
				i := y*img.Stride + 4*x
				for c := 0; c < 3; c++ {
					img.Pix[i+c] = uint8((uint32(line[4*u+c])*wa + uint32(line[4*y+c])*wc + uint32(line[4*d+c])*wa + 128) >> 8)
				}
			}
		}
	}
}

// gaussBlur blurs img in place with three box-blur passes per axis (≈ Gaussian of σ).
func gaussBlur(img *image.RGBA, sigma float64) {
	if sigma < 0.5 {
		return
	}
	// Box width for three passes: w = sqrt(12σ²/3 + 1).
	bw := int(math.Sqrt(4*sigma*sigma+1) + 0.5)
	rad := max(1, bw/2)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	tmp := make([]uint8, max(w, h)*4)
	for pass := 0; pass < 3; pass++ {
		for y := 0; y < h; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			boxLine(row, tmp[:4*w], w, 4, rad)
		}
		col := make([]uint8, 4*h)
		for x := 0; x < w; x++ {
			for y := 0; y < h; y++ {
				copy(col[4*y:4*y+4], img.Pix[y*img.Stride+4*x:])
			}
			boxLine(col, tmp[:4*h], h, 4, rad)
			for y := 0; y < h; y++ {
				copy(img.Pix[y*img.Stride+4*x:y*img.Stride+4*x+4], col[4*y:])
			}
		}
	}
}

// boxLine box-blurs n RGBA pixels in line (stride 4) with radius rad, edges clamped, using tmp.
func boxLine(line, tmp []uint8, n, _ int, rad int) {
	copy(tmp, line[:4*n])
	div := 2*rad + 1
	for c := 0; c < 3; c++ {
		sum := 0
		for k := -rad; k <= rad; k++ {
			sum += int(tmp[4*min(max(k, 0), n-1)+c])
		}
		for i := 0; i < n; i++ {
			line[4*i+c] = uint8(sum / div)
			out := min(max(i-rad, 0), n-1)
			in := min(max(i+rad+1, 0), n-1)
			sum += int(tmp[4*in+c]) - int(tmp[4*out+c])
		}
	}
}
