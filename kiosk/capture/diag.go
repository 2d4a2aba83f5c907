package capture

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"huren/kiosk"
)

// Diag implements `huren diag camera [--device /dev/videoN | --demo | --hot-folder DIR] --out FILE`: it
// captures one page from the chosen source, runs it through the pipeline, writes the normalised page to
// FILE and prints each check. args are the arguments after "diag" (a leading "camera" is skipped).
// Exit status: 0 page captured and written (quality warnings are printed, not failures), 1 capture or
// pipeline failed, 2 usage error.
func Diag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "camera" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("huren diag camera", flag.ContinueOnError)
	fs.SetOutput(stderr)
	device := fs.String("device", "", "V4L2 device, e.g. /dev/video0")
	demo := fs.Bool("demo", false, "use the demo camera")
	fault := fs.String("fault", "none", "demo camera fault: none, blur, dark, blank, bright")
	hot := fs.String("hot-folder", "", "import one file from this scanner hot folder")
	out := fs.String("out", "", "write the normalised page to this file (required)")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	size := fs.String("size", "", "demo camera frame size WxH (default 2448x3264)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: huren diag camera [--device /dev/videoN | --demo [--fault F] | --hot-folder DIR] --out FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	n := 0
	for _, set := range []bool{*device != "", *demo, *hot != ""} {
		if set {
			n++
		}
	}
	if n > 1 || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if n == 0 {
		*device = "/dev/video0"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var cam kiosk.Camera
	var src string
	switch {
	case *demo:
		d := NewDemoCamera()
		f, ok := map[string]Fault{"none": FaultNone, "blur": FaultBlur, "dark": FaultDark, "blank": FaultBlank, "bright": FaultBright}[*fault]
		if !ok {
			fmt.Fprintf(stderr, "unknown fault %q\n", *fault)
			return 2
		}
		d.SetFault(f)
		if *size != "" {
			var w, h int
			if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 16 || h < 16 || w*h > MaxPixels {
				fmt.Fprintf(stderr, "bad --size %q\n", *size)
				return 2
			}
			d.SetSize(w, h)
		}
		cam, src = d, "demo camera (fault "+f.String()+")"
	case *hot != "":
		h, err := NewHotFolder(*hot)
		if err != nil {
			fmt.Fprintf(stderr, "✗ 扫描文件夹 hot folder: %v\n", err)
			return 1
		}
		cam, src = h, "hot folder "+h.Dir()
		fmt.Fprintf(stdout, "waiting for a file in %s …\n", h.Dir())
	default:
		c, err := OpenV4L2(ctx, *device)
		if err != nil {
			fmt.Fprintf(stderr, "✗ 打开高拍仪 open camera %s: %v\n", *device, err)
			return 1
		}
		defer c.Close()
		cam, src = c, fmt.Sprintf("V4L2 %s (%v)", *device, c.Choice())
	}
	fmt.Fprintf(stdout, "source:  %s\ncodec:   %s\n", src, Codec())

	t0 := time.Now()
	raw, err := cam.Capture(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "✗ 拍摄 capture: %v\n", err)
		return 1
	}
	t1 := time.Now()
	fmt.Fprintf(stdout, "✓ 拍摄 capture: %d bytes, %s, %v\n", len(raw.Data), Sniff(raw.Data), t1.Sub(t0).Round(time.Millisecond))
	page, err := Normalize(ctx, raw)
	if err != nil {
		fmt.Fprintf(stderr, "✗ 处理 normalise: %s / %s (%v)\n", kiosk.Message(err, false), kiosk.Message(err, true), errors.Unwrap(err))
		return 1
	}
	fmt.Fprintf(stdout, "✓ 处理 normalise: %s %dx%d, %d bytes (≤ %d), %v\n", page.ContentType, page.Width, page.Height,
		len(page.Data), MaxBytes, time.Since(t1).Round(time.Millisecond))
	if page.ContentType == TypeJPEG {
		m := page.Metrics
		check := func(ok bool, zh, en, detail string) {
			mark := "✓"
			if !ok {
				mark = "✗"
			}
			fmt.Fprintf(stdout, "%s %s %s: %s\n", mark, zh, en, detail)
		}
		check(m.P98 >= DarkMaxP98, "亮度", "exposure (dark)", fmt.Sprintf("P98 %d (≥ %d)", m.P98, DarkMaxP98))
		check(m.ContentDensity >= BlankMaxContent, "内容", "content (blank)", fmt.Sprintf("%.3f (≥ %.3f)", m.ContentDensity, BlankMaxContent))
		check(m.Sharpness >= BlurMaxSharpness, "清晰度", "sharpness (blur)", fmt.Sprintf("%.2f (≥ %.1f), var(Laplacian) %.0f, noise σ %.1f", m.Sharpness, BlurMaxSharpness, m.LapVar, m.Noise))
		check(!(m.InkP2 >= BrightMinInkP2 && m.PageP50 >= BrightMinP50), "过曝", "exposure (bright)", fmt.Sprintf("ink P2 %d, paper P50 %d", m.InkP2, m.PageP50))
		check(max(m.Width, m.Height) >= MinLongSide, "分辨率", "resolution", fmt.Sprintf("%dx%d (long side ≥ %d)", m.Width, m.Height, MinLongSide))
		fmt.Fprintf(stdout, "  sheet: %.0f%% of the frame\n", 100*m.PageFraction)
	}
	if len(page.Warnings) == 0 {
		fmt.Fprintln(stdout, "result:  OK 合格")
	}
	for _, w := range page.Warnings {
		fmt.Fprintf(stdout, "warning: %s — %s / %s\n", w.Code, w.Zh, w.En)
	}
	if err := os.WriteFile(*out, page.Data, 0o600); err != nil {
		fmt.Fprintf(stderr, "✗ write %s: %v\n", *out, err)
		return 1
	}
	fmt.Fprintf(stdout, "written: %s\n", *out)
	return 0
}
