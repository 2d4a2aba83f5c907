package capture

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"

	"huren/kiosk"
)

// sample is one generated photograph with the class it belongs to.
type sample struct {
	class string // good, blur, dark, bright, blank
	scene Scene
	q     int // JPEG quality of the "camera"
}

// calibrationSet generates n scenes per class: demo-camera pages and real-like handheld photos, each good
// and with every fault, at size w×h.
func calibrationSet(n, w, h int) []sample {
	var out []sample
	for i := 0; i < n; i++ {
		seed := uint64(1000 + i)
		r := rand.New(rand.NewPCG(seed, 7))
		q := 55 + r.IntN(40)
		for _, f := range []Fault{FaultNone, FaultBlur, FaultDark, FaultBlank, FaultBright} {
			out = append(out, sample{faultClass(f), FaultScene(seed, w, h, f), 92})
		}
		base := RealLikeScene(seed, w, h)
		out = append(out, sample{"good", base, q})
		b := base
		b.Blur = 0.0015 + 0.0015*r.Float64() // σ ≈ 3.7–7.4 px at 2480
		out = append(out, sample{"blur", b, q})
		d := base
		d.Light = 0.08 + 0.14*r.Float64()
		out = append(out, sample{"dark", d, q})
		k := base
		k.Blank, k.Stamp = true, false
		out = append(out, sample{"blank", k, q})
		br := base
		br.Light = 2.4 + 0.8*r.Float64()
		br.Vignette = 0.1 * r.Float64()
		out = append(out, sample{"bright", br, q})
	}
	return out
}

func faultClass(f Fault) string {
	if f == FaultNone {
		return "good"
	}
	return f.String()
}

// measureSample renders, JPEG-encodes at the sample's quality and normalises, returning the page.
func measureSample(t testing.TB, s sample) Page {
	t.Helper()
	data, err := encodeJPEG(s.scene.Render(), s.q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Normalize(context.Background(), kiosk.RawPage{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGateSeparates: every good page (demo and real-like, many seeds) passes without a warning, and every
// bad one gets exactly its own warning.
func TestGateSeparates(t *testing.T) {
	n := 6
	if raceEnabled {
		n = 3 // the race detector slows pixel loops ~10×; the calibration table (CALIBRATE=1) uses many more
	}
	for _, s := range calibrationSet(n, 1224, 1632) {
		p := measureSample(t, s)
		got := strings.Join(p.WarningCodes(), ",")
		want := s.class
		if want == "good" {
			want = ""
		}
		if got != want {
			t.Errorf("%s seed %d (real-like=%v): warnings %q, want %q; metrics %+v", s.class, s.scene.Seed, s.scene.Angle != 0, got, want, p.Metrics)
		}
	}
}

// TestCalibrate prints, per class, the range of each metric over many generated photographs (CALIBRATE=1,
// optionally CALIBRATE_N and CALIBRATE_SIZE=WxH). docs/CAPTURE.md records its output.
func TestCalibrate(t *testing.T) {
	if os.Getenv("CALIBRATE") == "" {
		t.Skip("set CALIBRATE=1 to print the calibration table")
	}
	n, w, h := 40, 1836, 2448
	fmt.Sscan(os.Getenv("CALIBRATE_N"), &n)
	if s := os.Getenv("CALIBRATE_SIZE"); s != "" {
		fmt.Sscanf(s, "%dx%d", &w, &h)
	}
	type agg struct{ sharp, ink, p98, inkp2, p50 []float64 }
	res := map[string]*agg{}
	wrong := 0
	for _, s := range calibrationSet(n, w, h) {
		p := measureSample(t, s)
		a := res[s.class]
		if a == nil {
			a = &agg{}
			res[s.class] = a
		}
		m := p.Metrics
		a.sharp = append(a.sharp, m.Sharpness)
		a.ink = append(a.ink, m.ContentDensity)
		a.p98 = append(a.p98, float64(m.P98))
		a.inkp2 = append(a.inkp2, float64(m.InkP2))
		a.p50 = append(a.p50, float64(m.P50))
		got := strings.Join(p.WarningCodes(), ",")
		if (s.class == "good" && got != "") || (s.class != "good" && got != s.class) {
			wrong++
			fmt.Printf("MISCLASSIFIED %s seed %d: %q %+v\n", s.class, s.scene.Seed, got, m)
		}
	}
	rng := func(v []float64) string {
		sort.Float64s(v)
		return fmt.Sprintf("%8.3f … %8.3f", v[0], v[len(v)-1])
	}
	fmt.Printf("%d samples per class at %dx%d; misclassified %d\n", 2*n, w, h, wrong)
	fmt.Printf("%-7s %-21s %-21s %-21s %-21s %-21s\n", "class", "Sharpness", "ContentDens", "P98", "InkP2", "P50")
	for _, c := range []string{"good", "blur", "dark", "bright", "blank"} {
		a := res[c]
		fmt.Printf("%-7s %s %s %s %s %s\n", c, rng(a.sharp), rng(a.ink), rng(a.p98), rng(a.inkp2), rng(a.p50))
	}
}

// TestBlurCurve prints Sharpness against the blur σ (CALIBRATE=1), to place BlurMaxSharpness.
func TestBlurCurve(t *testing.T) {
	if os.Getenv("CALIBRATE") == "" {
		t.Skip("set CALIBRATE=1 to print the blur curve")
	}
	for _, b := range []float64{0, 0.0004, 0.0008, 0.0012, 0.0016, 0.002, 0.0025, 0.003, 0.004} {
		var lo, hi float64 = 1e9, 0
		for seed := uint64(1); seed <= 4; seed++ {
			s := RealLikeScene(seed, 1836, 2448)
			s.Blur = b
			p := measureSample(t, sample{"", s, 80})
			lo, hi = min(lo, p.Metrics.Sharpness), max(hi, p.Metrics.Sharpness)
		}
		fmt.Printf("blur σ=%.4f×long (%4.1f px at 2480): sharpness %.3f … %.3f\n", b, b*2480, lo, hi)
	}
}
