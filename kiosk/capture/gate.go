package capture

import (
	"image"
	"math"
)

// Quality-gate thresholds. They are measured on a greyscale copy whose long side is GateSize pixels
// (box-averaged from the normalised page), and only on the sheet of paper (pageMask drops the desk around it
// and the sheet's border), so they depend neither on the camera's resolution nor on how much desk shows.
//
// Calibration (TestCalibrate in calibrate_test.go prints the table with CALIBRATE=1; docs/CAPTURE.md has the
// figures). Two populations were generated with Scene: the demo camera's pages, and "real-like photographs"
// (RealLikeScene: the page at ±8°, perspective up to 7 %, light 0.6–1.15 with a side gradient, vignetting up
// to 45 %, sensor noise σ 1–7, lens softness σ 0.5–1.3 px, camera JPEG quality 55–94). Each good page was
// also rendered blurred (Gaussian σ 3.7–7.4 px at 2480), dark (light ×0.08–0.22), washed out (×2.4–3.2)
// and blank (same scene, paper only). At 1836×2448 (40 pages per class) and 1224×1632 (24 per class) every
// page was classified correctly; the ranges were:
//
//	         Sharpness                 ContentDensity   P98 (frame)   InkP2 (sheet)
//	good     2.2 (2 MP), 3.7 (4.5 MP) … 6.2   0.43 … 0.59      154 … 255     51 … 121
//	blur     0 … 1.15                  0.35 … 0.52      151 … 255     98 … 184
//	dark     (not judged)              0.02 … 0.15       23 … 57       2 … 25
//	bright   2.6 … 7.9                 0.12 … 0.47      255          160 … 229
//	blank    (not judged)              0.000 … 0.002    155 … 255    125 … 255
//
// Each threshold sits between the worst good page and the best bad one; where the gap allowed, nearer the
// bad side, because a false alarm costs every applicant a retake while a missed warning is still caught by
// the reviewer. Frames under 2 MP from soft lenses come close to the blur threshold (the gate's copy is
// then nearly full size, so the lens's own blur shows): such cameras also fail the 高拍仪 specification.
const (
	GateSize = 800 // long side of the greyscale copy

	// Blur: Sharpness = (var(Laplacian) − 20σ²) / (mean |∇|² − σ²) on the sheet, σ being the estimated noise.
	// For an edge blurred with s pixels it falls like 1/s², independent of how much text the page has and of
	// its contrast (both cancel), and the noise terms are removed (noise would otherwise make a blurred page
	// look sharp). Plain var(Laplacian) is reported as LapVar but depends on the amount of text. On 4.5 MP
	// real-like photos (TestBlurCurve) an added blur of σ = 1 px at 2480 scores 2.1–2.9 and σ = 2 px 0.9–1.3,
	// so 1.5 warns from σ ≈ 1.7 px: well below the blur class (σ ≥ 3.7 px), to keep false alarms away.
	BlurMaxSharpness = 1.5
	// Dark: the bright end of the frame (98th percentile, the paper) is below this grey level.
	DarkMaxP98 = 90
	// Bright: the paper is clipped (median ≥ BrightMinP50) and even the darkest 2 % of the sheet (the ink) is
	// lighter than BrightMinInkP2: washed out.
	BrightMinInkP2 = 135
	BrightMinP50   = 245
	// InkDensity (diagnostics only) counts sheet pixels with |∇| ≥ BlankMinGrad grey levels per pixel, or
	// BlankNoiseFactor × the estimated noise σ on noisy photographs (Gaussian noise exceeds 3.2σ with
	// probability e^-10). Edge counts fall with blur, so they do not decide "blank"; ContentDensity does.
	BlankMinGrad     = 8.0
	BlankNoiseFactor = 3.2
	// Blank, as decided: fewer than BlankMaxContent of the sheet's pixels differ from their 17×17
	// neighbourhood mean by ContentMinDiff grey levels or ContentNoiseFactor × the noise σ of a 3×3 mean
	// (σ/3), whichever is larger. Unlike edge counts this survives blur, so a blurred page is "blur", not blank.
	BlankMaxContent    = 0.02
	ContentMinDiff     = 6.0
	ContentNoiseFactor = 4.0
	// EdgeMinGrad is the stronger edge level reported as EdgeDensity (diagnostics only).
	EdgeMinGrad = 20
	// Small: the normalised page's long side is below this (≈ 150 dpi on A4).
	MinLongSide = 1200
)

// Warnings the gate gives (Chinese first, English second).
var (
	WarnBlur   = Warning{"blur", "图片模糊，请将材料放平、保持不动后重拍", "The image is blurred: lay the page flat, keep still and retake"}
	WarnDark   = Warning{"dark", "图片太暗，请打开补光灯或移到明亮处后重拍", "The image is too dark: switch on the light and retake"}
	WarnBright = Warning{"bright", "图片过亮或反光，字迹不清，请调整角度后重拍", "The image is too bright or has glare: change the angle and retake"}
	WarnBlank  = Warning{"blank", "未检测到文字，请确认材料正面朝上后重拍", "No text found: check the printed side faces up and retake"}
	WarnSmall  = Warning{"small", "图片分辨率太低，材料可能无法辨认", "The resolution is too low; the page may be illegible"}
)

// Metrics are what the gate measured.
type Metrics struct {
	Width, Height  int     // of the page checked
	Sharpness      float64 // noise-compensated var(Laplacian)/mean(|∇|²); see BlurMaxSharpness
	LapVar         float64 // var(Laplacian)
	EdgeDensity    float64 // fraction of on-page pixels with |∇| ≥ EdgeMinGrad
	InkDensity     float64 // fraction of on-page pixels with |∇| ≥ max(BlankMinGrad, BlankNoiseFactor·Noise)
	ContentDensity float64 // fraction of on-page pixels that stand out from their surroundings (blank test)
	P2, P50, P98   int     // luminance percentiles of the whole frame (0–255)
	InkP2          int     // 2nd percentile on the sheet only (how dark the ink is)
	PageP50        int     // median on the sheet only (the paper)
	Noise          float64 // estimated noise σ on the grey copy
	PageFraction   float64 // share of the frame taken as the sheet (see pageMask)
}

// Check runs the quality gate on img and returns its warnings (nil when the page looks fine) and the
// measurements. At most one of dark, blank, blur, bright is given, in that order: a dark or blank page cannot
// be judged for what follows, and blur makes the ink look washed out (the applicant fixes one thing at a
// time); small can come on top.
func Check(img image.Image) ([]Warning, Metrics) {
	g := greyCopy(img, GateSize)
	m := measure(g)
	b := img.Bounds()
	m.Width, m.Height = b.Dx(), b.Dy()
	var ws []Warning
	switch {
	case m.P98 < DarkMaxP98:
		// Too dark to judge anything else: fix the light first.
		ws = append(ws, WarnDark)
	case m.ContentDensity < BlankMaxContent:
		ws = append(ws, WarnBlank)
	case m.Sharpness < BlurMaxSharpness:
		ws = append(ws, WarnBlur)
	case m.InkP2 >= BrightMinInkP2 && m.PageP50 >= BrightMinP50:
		ws = append(ws, WarnBright)
	}
	if max(m.Width, m.Height) < MinLongSide {
		ws = append(ws, WarnSmall)
	}
	return ws, m
}

// grey is an 8-bit greyscale image without the image.Image overhead.
type grey struct {
	w, h int
	pix  []uint8
}

// greyCopy box-averages img to a greyscale copy whose long side is at most long (luma BT.601, integer).
func greyCopy(img image.Image, long int) grey {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	w, h := sw, sh
	if l := max(sw, sh); l > long {
		w = max(1, sw*long/l)
		h = max(1, sh*long/l)
	}
	sum := make([]uint32, w*h)
	cnt := make([]uint32, w*h)
	// Column → destination column table.
	xmap := make([]int, sw)
	for x := range xmap {
		xmap[x] = x * w / sw
	}
	rgba, _ := img.(*image.RGBA)
	for y := 0; y < sh; y++ {
		dy := y * h / sh
		srow := sum[dy*w : dy*w+w]
		crow := cnt[dy*w : dy*w+w]
		if rgba != nil {
			p := rgba.Pix[rgba.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < sw; x++ {
				i := 4 * x
				yv := (19595*uint32(p[i]) + 38470*uint32(p[i+1]) + 7471*uint32(p[i+2]) + 1<<15) >> 16
				srow[xmap[x]] += yv
				crow[xmap[x]]++
			}
			continue
		}
		for x := 0; x < sw; x++ {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yv := (19595*(r>>8) + 38470*(gg>>8) + 7471*(bb>>8) + 1<<15) >> 16
			srow[xmap[x]] += yv
			crow[xmap[x]]++
		}
	}
	g := grey{w: w, h: h, pix: make([]uint8, w*h)}
	for i := range sum {
		if cnt[i] > 0 {
			g.pix[i] = uint8((sum[i] + cnt[i]/2) / cnt[i])
		}
	}
	return g
}

func measure(g grey) Metrics {
	var m Metrics
	var hist [256]int
	for _, v := range g.pix {
		hist[v]++
	}
	n := len(g.pix)
	m.P2, m.P50, m.P98 = percentile(&hist, n, 0.02), percentile(&hist, n, 0.50), percentile(&hist, n, 0.98)
	if g.w < 8 || g.h < 8 {
		m.PageFraction = 1
		m.InkP2, m.PageP50 = m.P2, m.P50
		m.Sharpness = math.Inf(1)
		return m
	}
	inside := pageMask(g)
	// Pass 1: the sheet's histogram: ink and paper levels.
	var page [256]int
	cnt := 0
	for y := 1; y < g.h-1; y++ {
		row, in := g.pix[y*g.w:], inside[y*g.w:]
		for x := 1; x < g.w-1; x++ {
			if in[x] {
				page[row[x]]++
				cnt++
			}
		}
	}
	m.PageFraction = float64(cnt) / float64(n)
	if cnt == 0 {
		m.InkP2, m.PageP50 = m.P2, m.P50
		m.Sharpness = math.Inf(1)
		return m
	}
	m.InkP2, m.PageP50 = percentile(&page, cnt, 0.02), percentile(&page, cnt, 0.50)
	// Noise σ from the lower quartile of |Laplacian| over plain paper (after Immerkær): for Gaussian noise the
	// quartile is 0.3186·√20·σ. Only pixels near the paper level count (not ink), and not clipped ones (no
	// noise left there); the quartile rather than the median keeps anti-aliased text edges out.
	var lapH [256]int
	lapN := 0
	for y := 1; y < g.h-1; y++ {
		row, up, dn, in := g.pix[y*g.w:], g.pix[(y-1)*g.w:], g.pix[(y+1)*g.w:], inside[y*g.w:]
		for x := 1; x < g.w-1; x++ {
			c := int(row[x])
			if !in[x] || c < 6 || c > 249 || abs(c-m.PageP50) > 40 {
				continue
			}
			lap := int(up[x]) + int(dn[x]) + int(row[x-1]) + int(row[x+1]) - 4*c
			lapH[min(abs(lap), 255)]++
			lapN++
		}
	}
	clipped := 0
	for v := 250; v < 256; v++ {
		clipped += page[v]
	}
	// A sheet mostly clipped to white has no noise left to estimate (what is unclipped is ink edges).
	if lapN > cnt/20 && clipped < cnt*3/10 {
		m.Noise = (float64(percentile(&lapH, lapN, 0.25)) + 0.5) / (0.3186 * math.Sqrt(20))
	}
	// Pass 2: Laplacian variance, gradient energy and edge densities on the page.
	var lapSum, lapSq, gradSq float64
	strong, weak := 0, 0
	const strongSq = 4 * EdgeMinGrad * EdgeMinGrad
	wt := max(BlankMinGrad, BlankNoiseFactor*m.Noise)
	weakSq := int(4 * wt * wt)
	for y := 1; y < g.h-1; y++ {
		row, up, dn, in := g.pix[y*g.w:], g.pix[(y-1)*g.w:], g.pix[(y+1)*g.w:], inside[y*g.w:]
		for x := 1; x < g.w-1; x++ {
			if !in[x] {
				continue
			}
			c := int(row[x])
			lap := int(up[x]) + int(dn[x]) + int(row[x-1]) + int(row[x+1]) - 4*c
			gx := int(row[x+1]) - int(row[x-1]) // 2× the central difference
			gy := int(dn[x]) - int(up[x])
			g2 := gx*gx + gy*gy
			lapSum += float64(lap)
			lapSq += float64(lap * lap)
			gradSq += float64(g2) / 4
			if g2 >= strongSq {
				strong++
			}
			if g2 >= weakSq {
				weak++
			}
		}
	}
	fc := float64(cnt)
	mean := lapSum / fc
	m.LapVar = lapSq/fc - mean*mean
	// Noise-compensated ratio: white noise of σ adds 20σ² to var(L) and σ² to mean |∇|² (central differences).
	s2 := m.Noise * m.Noise
	num, den := m.LapVar-20*s2, gradSq/fc-s2
	switch {
	case den <= 1:
		m.Sharpness = math.Inf(1) // no structure at all: blank, not blurred
	default:
		m.Sharpness = max(num, 0) / den
	}
	m.EdgeDensity = float64(strong) / fc
	m.InkDensity = float64(weak) / fc
	// Content: band-pass |mean3×3 − mean17×17| — survives blur (a blurred line still stands out from its
	// surroundings) and ignores noise (averaged by the 3×3 mean) and uneven light (removed by the 17×17 mean).
	fine, coarse := boxMean(g.pix, g.w, g.h, 1), boxMean(g.pix, g.w, g.h, 8)
	ct := max(ContentMinDiff, ContentNoiseFactor*m.Noise/3)
	content := 0
	for i, in := range inside {
		if in && math.Abs(float64(fine[i])-float64(coarse[i])) >= ct {
			content++
		}
	}
	m.ContentDensity = float64(content) / fc
	return m
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// pageMask finds the sheet of paper in the frame, so that the desk around it and the sheet's own border
// do not count as content: it smooths the grey copy (box radius ≈ 1/50 of the long side, which dissolves
// text into the paper), splits paper from background with Otsu's threshold, and erodes the result by the
// same radius. When no plausible sheet is found (a flatbed scan fills the frame, or the frame is dark), the
// whole frame except a thin rim counts.
func pageMask(g grey) []bool {
	w, h := g.w, g.h
	rad := max(2, max(w, h)/50)
	sm := boxMean(g.pix, w, h, rad)
	var hist [256]int
	for _, v := range sm {
		hist[v]++
	}
	t := otsu(&hist, len(sm))
	bin := make([]uint8, len(sm))
	paper := 0
	for i, v := range sm {
		if int(v) > t {
			bin[i] = 255
			paper++
		}
	}
	mask := make([]bool, len(sm))
	frac := float64(paper) / float64(len(sm))
	// Otsu always splits; a split where the "background" is light too, or the sheet is tiny or the whole
	// frame, means there is no sheet-on-desk to separate.
	bgLevel, pLevel := classMeans(&hist, t)
	if frac < 0.25 || frac > 0.97 || pLevel-bgLevel < 40 {
		edge := max(1, rad/2)
		for y := edge; y < h-edge; y++ {
			for x := edge; x < w-edge; x++ {
				mask[y*w+x] = true
			}
		}
		return mask
	}
	er := boxMean(bin, w, h, rad)
	for i, v := range er {
		mask[i] = v == 255
	}
	return mask
}

func classMeans(h *[256]int, t int) (lo, hi int) {
	var s0, n0, s1, n1 int
	for v := 0; v < 256; v++ {
		if v <= t {
			s0 += v * h[v]
			n0 += h[v]
		} else {
			s1 += v * h[v]
			n1 += h[v]
		}
	}
	if n0 > 0 {
		lo = s0 / n0
	}
	if n1 > 0 {
		hi = s1 / n1
	}
	return lo, hi
}

// otsu returns the threshold maximising the between-class variance.
func otsu(h *[256]int, n int) int {
	var total float64
	for v := 0; v < 256; v++ {
		total += float64(v * h[v])
	}
	var sumB, wB float64
	best, bestT := -1.0, 127
	for t := 0; t < 255; t++ {
		wB += float64(h[t])
		if wB == 0 {
			continue
		}
		wF := float64(n) - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * h[t])
		mB, mF := sumB/wB, (total-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, bestT = v, t
		}
	}
	return bestT
}

// boxMean returns the mean of each pixel's (2r+1)² neighbourhood (clamped at the edges) via an integral image.
func boxMean(p []uint8, w, h, r int) []uint8 {
	ii := make([]uint32, (w+1)*(h+1))
	for y := 0; y < h; y++ {
		var row uint32
		for x := 0; x < w; x++ {
			row += uint32(p[y*w+x])
			ii[(y+1)*(w+1)+x+1] = ii[y*(w+1)+x+1] + row
		}
	}
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			s := ii[y1*(w+1)+x1] - ii[y0*(w+1)+x1] - ii[y1*(w+1)+x0] + ii[y0*(w+1)+x0]
			a := uint32((y1 - y0) * (x1 - x0))
			out[y*w+x] = uint8(s / a)
		}
	}
	return out
}

func percentile(h *[256]int, n int, p float64) int {
	target := int(math.Ceil(p * float64(n)))
	acc := 0
	for v := 0; v < 256; v++ {
		acc += h[v]
		if acc >= target && acc > 0 {
			return v
		}
	}
	return 255
}
