package capture

import (
	"errors"
	"fmt"
)

// FourCC codes of the V4L2 pixel formats the driver understands.
const (
	FourCCMJPEG = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	FourCCJPEG  = 'J' | 'P'<<8 | 'E'<<16 | 'G'<<24
	FourCCYUYV  = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
)

// FourCC returns the four-character name of a V4L2 pixel format code.
func FourCC(code uint32) string {
	return string([]byte{byte(code), byte(code >> 8), byte(code >> 16), byte(code >> 24)})
}

// FrameSizeRange is one frame size a device offers for a format: discrete (Min = Max, Step 0) or stepwise.
// It mirrors webcam.FrameSize so that the choice below is a pure function tested without a device.
type FrameSizeRange struct {
	MinWidth, MaxWidth, StepWidth    uint32
	MinHeight, MaxHeight, StepHeight uint32
}

// FormatCaps is one pixel format of a device and its frame sizes.
type FormatCaps struct {
	Code  uint32
	Desc  string
	Sizes []FrameSizeRange
}

// FormatChoice is the format and size the V4L2 driver asks the device for.
type FormatChoice struct {
	Code          uint32
	Width, Height uint32
}

func (c FormatChoice) String() string {
	return fmt.Sprintf("%s %dx%d", FourCC(c.Code), c.Width, c.Height)
}

// ErrNoUsableFormat is returned by ChooseFormat when the device offers neither MJPEG/JPEG nor YUYV.
var ErrNoUsableFormat = errors.New("no MJPEG, JPEG or YUYV format")

// ChooseFormat picks the capture format: MJPEG (or JPEG) at its largest frame size — compressed frames
// keep full resolution within USB 2 bandwidth — else YUYV at its largest size. Sizes over MaxPixels are
// skipped; for a stepwise range the largest size on the step grid is taken. Ties in area prefer the wider.
func ChooseFormat(formats []FormatCaps) (FormatChoice, error) {
	best := func(code uint32) (FormatChoice, bool) {
		var c FormatChoice
		found := false
		for _, f := range formats {
			if f.Code != code {
				continue
			}
			for _, s := range f.Sizes {
				w, h := largestOnGrid(s)
				if w == 0 || h == 0 || uint64(w)*uint64(h) > MaxPixels {
					continue
				}
				a, ba := uint64(w)*uint64(h), uint64(c.Width)*uint64(c.Height)
				if !found || a > ba || (a == ba && w > c.Width) {
					c, found = FormatChoice{Code: code, Width: w, Height: h}, true
				}
			}
		}
		return c, found
	}
	for _, code := range []uint32{FourCCMJPEG, FourCCJPEG, FourCCYUYV} {
		if c, ok := best(code); ok {
			return c, nil
		}
	}
	return FormatChoice{}, ErrNoUsableFormat
}

// largestOnGrid returns the largest width and height a frame-size range allows.
func largestOnGrid(s FrameSizeRange) (uint32, uint32) {
	w, h := s.MaxWidth, s.MaxHeight
	if s.StepWidth > 0 && w >= s.MinWidth {
		w = s.MinWidth + (w-s.MinWidth)/s.StepWidth*s.StepWidth
	}
	if s.StepHeight > 0 && h >= s.MinHeight {
		h = s.MinHeight + (h-s.MinHeight)/s.StepHeight*s.StepHeight
	}
	return w, h
}
