package capture

import (
	"errors"
	"testing"
)

// A typical 高拍仪 (document camera) as `v4l2-ctl --list-formats-ext` shows it: YUYV only at small sizes,
// MJPEG up to 3264×2448, and a stepwise entry from another model.
func TestChooseFormat(t *testing.T) {
	disc := func(w, h uint32) FrameSizeRange {
		return FrameSizeRange{MinWidth: w, MaxWidth: w, MinHeight: h, MaxHeight: h}
	}
	docCam := []FormatCaps{
		{Code: FourCCYUYV, Desc: "YUYV 4:2:2", Sizes: []FrameSizeRange{disc(640, 480), disc(1280, 720), disc(1600, 1200)}},
		{Code: FourCCMJPEG, Desc: "Motion-JPEG", Sizes: []FrameSizeRange{disc(640, 480), disc(3264, 2448), disc(2592, 1944), disc(1920, 1080)}},
	}
	cases := []struct {
		name string
		in   []FormatCaps
		want FormatChoice
		err  error
	}{
		{"document camera: MJPEG at the largest size", docCam, FormatChoice{FourCCMJPEG, 3264, 2448}, nil},
		{"YUYV only", docCam[:1], FormatChoice{FourCCYUYV, 1600, 1200}, nil},
		{"JPEG when no MJPEG", []FormatCaps{{Code: FourCCJPEG, Sizes: []FrameSizeRange{disc(2048, 1536)}}, docCam[0]}, FormatChoice{FourCCJPEG, 2048, 1536}, nil},
		{"stepwise MJPEG snaps to the grid", []FormatCaps{{Code: FourCCMJPEG, Sizes: []FrameSizeRange{{MinWidth: 16, MaxWidth: 4000, StepWidth: 16, MinHeight: 16, MaxHeight: 3001, StepHeight: 8}}}}, FormatChoice{FourCCMJPEG, 4000, 3000}, nil},
		{"over 50 MP skipped", []FormatCaps{{Code: FourCCMJPEG, Sizes: []FrameSizeRange{disc(10000, 8000), disc(4208, 3120)}}}, FormatChoice{FourCCMJPEG, 4208, 3120}, nil},
		{"equal area prefers the wider", []FormatCaps{{Code: FourCCMJPEG, Sizes: []FrameSizeRange{disc(1200, 1600), disc(1600, 1200)}}}, FormatChoice{FourCCMJPEG, 1600, 1200}, nil},
		{"unknown formats only", []FormatCaps{{Code: 0x34325247, Sizes: []FrameSizeRange{disc(640, 480)}}}, FormatChoice{}, ErrNoUsableFormat},
		{"no formats", nil, FormatChoice{}, ErrNoUsableFormat},
	}
	for _, c := range cases {
		got, err := ChooseFormat(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("%s: got %v, %v; want %v, %v", c.name, got, err, c.want, c.err)
		}
	}
	if FourCC(FourCCMJPEG) != "MJPG" {
		t.Errorf("FourCC = %q", FourCC(FourCCMJPEG))
	}
}
