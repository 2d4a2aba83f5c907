//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"github.com/blackjack/webcam"

	"huren/kiosk"
)

// V4L2Camera drives a UVC document camera through V4L2 (github.com/blackjack/webcam). It streams MJPEG at
// the largest frame size the camera offers (see ChooseFormat), discards WarmupFrames after each start while
// exposure and white balance settle, and releases the device after IdleRelease without use, so the camera
// (and its lamp) is off between applicants. Safe for concurrent use; calls are serialised.
type V4L2Camera struct {
	device string
	// WarmupFrames are discarded after the stream starts (default 8).
	WarmupFrames int
	// IdleRelease closes the device after this long without a Preview or Capture (default 20 s).
	IdleRelease time.Duration
	// FrameTimeout bounds the wait for one frame (default 3 s).
	FrameTimeout time.Duration

	mu     sync.Mutex
	cam    *webcam.Webcam
	choice FormatChoice
	warm   bool
	idle   *time.Timer
	health kiosk.Health
	closed bool
}

var _ kiosk.Camera = (*V4L2Camera)(nil)

var errCameraClosed = errors.New("camera closed")

func cameraErr(err error) error {
	return kiosk.NewUserError("高拍仪无法使用，请联系工作人员", "The document camera is not working; please ask staff", err)
}

// OpenV4L2 opens device (e.g. /dev/video0), checks that it offers a usable format, and releases it again
// until the first Preview or Capture. Errors are *kiosk.UserError wrapping the cause (missing device, no
// permission, ErrNoUsableFormat).
func OpenV4L2(ctx context.Context, device string) (*V4L2Camera, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &V4L2Camera{device: device, WarmupFrames: 8, IdleRelease: 20 * time.Second, FrameTimeout: 3 * time.Second}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.openLocked(); err != nil {
		return nil, err
	}
	c.releaseLocked()
	return c, nil
}

// Choice returns the format and size in use.
func (c *V4L2Camera) Choice() FormatChoice {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.choice
}

// Health reports the last state of the device for admin mode.
func (c *V4L2Camera) Health() kiosk.Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}

func (c *V4L2Camera) setHealth(err error) {
	h := kiosk.Health{Device: "camera", OK: err == nil, Checked: time.Now()}
	if err != nil {
		h.Detail = "高拍仪故障: " + err.Error()
	} else {
		h.Detail = "高拍仪正常 " + c.device + " " + c.choice.String()
	}
	c.health = h
}

// openLocked opens the device and selects the format; the caller holds c.mu.
func (c *V4L2Camera) openLocked() error {
	if c.closed {
		return cameraErr(errCameraClosed)
	}
	if c.cam != nil {
		return nil
	}
	cam, err := webcam.Open(c.device)
	if err != nil {
		err = fmt.Errorf("open %s: %w", c.device, err)
		c.setHealth(err)
		return cameraErr(err)
	}
	var caps []FormatCaps
	for code, desc := range cam.GetSupportedFormats() {
		fc := FormatCaps{Code: uint32(code), Desc: desc}
		for _, s := range cam.GetSupportedFrameSizes(code) {
			fc.Sizes = append(fc.Sizes, FrameSizeRange(s))
		}
		caps = append(caps, fc)
	}
	choice, err := ChooseFormat(caps)
	if err != nil {
		cam.Close()
		err = fmt.Errorf("%s: %w", c.device, err)
		c.setHealth(err)
		return cameraErr(err)
	}
	code, w, h, err := cam.SetImageFormat(webcam.PixelFormat(choice.Code), choice.Width, choice.Height)
	if err != nil {
		cam.Close()
		err = fmt.Errorf("set format %v: %w", choice, err)
		c.setHealth(err)
		return cameraErr(err)
	}
	c.choice = FormatChoice{Code: uint32(code), Width: w, Height: h}
	c.cam = cam
	c.warm = false
	c.setHealth(nil)
	slog.Info("camera opened", "device", c.device, "format", c.choice.String())
	return nil
}

// releaseLocked stops streaming and closes the device; the caller holds c.mu.
func (c *V4L2Camera) releaseLocked() {
	if c.idle != nil {
		c.idle.Stop()
		c.idle = nil
	}
	if c.cam != nil {
		if err := c.cam.Close(); err != nil {
			slog.Warn("camera close", "device", c.device, "err", err)
		}
		c.cam = nil
		c.warm = false
	}
}

// touchLocked (re)arms the idle release; the caller holds c.mu.
func (c *V4L2Camera) touchLocked() {
	d := c.IdleRelease
	if d <= 0 {
		d = 20 * time.Second
	}
	if c.idle != nil {
		c.idle.Stop()
	}
	c.idle = time.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.releaseLocked()
	})
}

// frame returns one frame (a copy), starting the stream and discarding warm-up frames when needed.
func (c *V4L2Camera) frame(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.openLocked(); err != nil {
		return nil, err
	}
	c.touchLocked()
	if !c.warm {
		if err := c.cam.StartStreaming(); err != nil {
			c.releaseLocked()
			err = fmt.Errorf("start streaming: %w", err)
			c.setHealth(err)
			return nil, cameraErr(err)
		}
		c.warm = true
		for i := 0; i < c.WarmupFrames; i++ {
			if _, err := c.readLocked(ctx); err != nil {
				return nil, err
			}
		}
	}
	return c.readLocked(ctx)
}

func (c *V4L2Camera) readLocked(ctx context.Context) ([]byte, error) {
	deadline := time.Now().Add(max(c.FrameTimeout, time.Second))
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := c.cam.WaitForFrame(1)
		var te *webcam.Timeout
		if errors.As(err, &te) {
			if time.Now().After(deadline) {
				c.releaseLocked()
				err := errors.New("no frame from camera")
				c.setHealth(err)
				return nil, cameraErr(err)
			}
			continue
		}
		if err != nil {
			c.releaseLocked()
			err = fmt.Errorf("wait for frame: %w", err)
			c.setHealth(err)
			return nil, cameraErr(err)
		}
		buf, idx, err := c.cam.GetFrame()
		if err != nil {
			c.releaseLocked()
			err = fmt.Errorf("read frame: %w", err)
			c.setHealth(err)
			return nil, cameraErr(err)
		}
		out := append([]byte(nil), buf...) // the mmap buffer goes back to the driver below
		if err := c.cam.ReleaseFrame(idx); err != nil {
			c.releaseLocked()
			return nil, cameraErr(fmt.Errorf("release frame: %w", err))
		}
		if len(out) == 0 {
			continue
		}
		return out, nil
	}
}

// toJPEG turns a frame in the chosen format into a JPEG.
func (c *V4L2Camera) toJPEG(f []byte) ([]byte, error) {
	if c.choice.Code == FourCCYUYV {
		img := yuyvToRGBA(f, int(c.choice.Width), int(c.choice.Height))
		return encodeJPEG(img, 92)
	}
	return FixMJPEG(f), nil
}

// Preview returns the latest frame at about 640 px on the long side.
func (c *V4L2Camera) Preview(ctx context.Context) (image.Image, error) {
	f, err := c.frame(ctx)
	if err != nil {
		return nil, err
	}
	var img image.Image
	if c.Choice().Code == FourCCYUYV {
		img = yuyvToRGBA(f, int(c.choice.Width), int(c.choice.Height))
	} else if img, err = decodeJPEG(FixMJPEG(f), 640); err != nil {
		return nil, cameraErr(fmt.Errorf("preview frame: %w", err))
	}
	return scaleToRGBA(img, 640), nil
}

// Capture returns one full-resolution frame as a JPEG page.
func (c *V4L2Camera) Capture(ctx context.Context) (kiosk.RawPage, error) {
	f, err := c.frame(ctx)
	if err != nil {
		return kiosk.RawPage{}, err
	}
	data, err := c.toJPEG(f)
	if err != nil {
		return kiosk.RawPage{}, cameraErr(fmt.Errorf("convert frame: %w", err))
	}
	return kiosk.RawPage{Data: data, ContentType: TypeJPEG, Source: c.device}, nil
}

// Close releases the device; later calls fail.
func (c *V4L2Camera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.releaseLocked()
	c.closed = true
	return nil
}
