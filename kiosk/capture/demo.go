package capture

import (
	"context"
	"fmt"
	"image"
	"sync"
	"time"

	"huren/kiosk"
)

// Fault is what the demo camera is told to get wrong.
type Fault int

// Faults of the demo camera.
const (
	FaultNone   Fault = iota
	FaultBlur         // out of focus / moved
	FaultDark         // light off
	FaultBlank        // blank sheet (or the page face down)
	FaultBright       // washed out by glare
)

// String names the fault (diag output).
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultBlur:
		return "blur"
	case FaultDark:
		return "dark"
	case FaultBlank:
		return "blank"
	case FaultBright:
		return "bright"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Scene parameters of the faults (fractions of the frame's long side for blur).
const (
	demoBlur   = 0.0035 // ≈ 11 px σ on a 3264 px frame: text unreadable
	demoDark   = 0.16
	demoBright = 2.6
)

// DemoCamera renders A4 document pages (title, lines of glyph-like text, a red seal) as an 8-megapixel
// document camera would deliver them, and produces faults on demand. Each Capture delivers a new page
// (the seed advances); Preview shows the page that the next Capture will deliver, at preview size.
// It is safe for concurrent use.
type DemoCamera struct {
	mu      sync.Mutex
	fault   Fault
	seed    uint64
	w, h    int
	pw, ph  int
	prevKey [2]uint64
	prev    *image.RGBA
}

var _ kiosk.Camera = (*DemoCamera)(nil)

// NewDemoCamera returns a demo camera delivering 2448×3264 (8 MP, portrait) JPEG pages.
func NewDemoCamera() *DemoCamera {
	return &DemoCamera{seed: 1, w: 2448, h: 3264, pw: 480, ph: 640}
}

// SetFault makes the following previews and captures blurred, dark, blank or washed out (FaultNone: good).
func (d *DemoCamera) SetFault(f Fault) {
	d.mu.Lock()
	d.fault = f
	d.mu.Unlock()
}

// SetSeed chooses the next page (pages are reproducible from their seed).
func (d *DemoCamera) SetSeed(seed uint64) {
	d.mu.Lock()
	d.seed = seed
	d.mu.Unlock()
}

// SetSize sets the frame size of captures (tests use smaller frames to stay fast).
func (d *DemoCamera) SetSize(w, h int) {
	d.mu.Lock()
	d.w, d.h = w, h
	d.mu.Unlock()
}

// FaultScene returns the scene the demo camera renders for seed and fault at the given size.
func FaultScene(seed uint64, w, h int, f Fault) Scene {
	s := DemoScene(seed, w, h)
	switch f {
	case FaultBlur:
		s.Blur = demoBlur
	case FaultDark:
		s.Light = demoDark
	case FaultBlank:
		s.Blank = true
		s.Stamp = false
	case FaultBright:
		s.Light = demoBright
	}
	return s
}

// Preview returns the current page at preview size (480×640), re-rendered only when the page or the fault
// changes. It returns ctx.Err() when ctx has ended.
func (d *DemoCamera) Preview(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	key := [2]uint64{d.seed, uint64(d.fault)}
	if d.prev == nil || d.prevKey != key {
		d.prev = FaultScene(d.seed, d.pw, d.ph, d.fault).Render()
		d.prevKey = key
	}
	return d.prev, nil
}

// Capture renders the current page at full size as a JPEG (quality 92) and moves on to the next page.
// It returns ctx.Err() when ctx has ended.
func (d *DemoCamera) Capture(ctx context.Context) (kiosk.RawPage, error) {
	if err := ctx.Err(); err != nil {
		return kiosk.RawPage{}, err
	}
	d.mu.Lock()
	s := FaultScene(d.seed, d.w, d.h, d.fault)
	d.seed++
	d.mu.Unlock()
	img := s.Render()
	if err := ctx.Err(); err != nil {
		return kiosk.RawPage{}, err
	}
	data, err := encodeJPEG(img, 92)
	if err != nil {
		return kiosk.RawPage{}, kiosk.NewUserError("拍摄失败，请重试", "Capture failed; please try again", fmt.Errorf("demo camera: encode: %w", err))
	}
	return kiosk.RawPage{Data: data, ContentType: TypeJPEG, Source: fmt.Sprintf("demo:%d:%s", s.Seed, d.faultName(s))}, nil
}

func (d *DemoCamera) faultName(s Scene) string {
	switch {
	case s.Blank:
		return FaultBlank.String()
	case s.Blur > 0:
		return FaultBlur.String()
	case s.Light < 0.5:
		return FaultDark.String()
	case s.Light > 1.5:
		return FaultBright.String()
	}
	return FaultNone.String()
}

// Health reports the demo camera as working (admin mode shows it as the simulated camera).
func (d *DemoCamera) Health() kiosk.Health {
	d.mu.Lock()
	defer d.mu.Unlock()
	detail := "演示高拍仪（模拟） demo camera"
	if d.fault != FaultNone {
		detail += "，故障模拟 fault: " + d.fault.String()
	}
	return kiosk.Health{Device: "camera", OK: true, Detail: detail, Checked: time.Now()}
}
