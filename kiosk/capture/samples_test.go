package capture

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"huren/kiosk"
)

// TestWriteDemoPages writes one demo page per fault, normalised, to out/capture/ (CAPTURE_SAMPLES=1) and
// prints timings and metrics.
func TestWriteDemoPages(t *testing.T) {
	if os.Getenv("CAPTURE_SAMPLES") == "" {
		t.Skip("set CAPTURE_SAMPLES=1 to write sample pages to out/capture/")
	}
	if err := os.MkdirAll("../../out/capture", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Fault{FaultNone, FaultBlur, FaultDark, FaultBlank, FaultBright} {
		for seed := uint64(1); seed <= 3; seed++ {
			t0 := time.Now()
			s := FaultScene(seed, 2448, 3264, f)
			img := s.Render()
			t1 := time.Now()
			data, _ := encodeJPEG(img, 92)
			t2 := time.Now()
			p, err := Normalize(context.Background(), kiosk.RawPage{Data: data})
			t3 := time.Now()
			if err != nil {
				t.Fatal(err)
			}
			if seed == 1 {
				os.WriteFile(fmt.Sprintf("../../out/capture/demo_%s.jpg", f), p.Data, 0o644)
			}
			fmt.Printf("%-6s %d render=%v enc=%v norm=%v size=%d %+v %v\n", f, seed, t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), t3.Sub(t2).Round(time.Millisecond), len(p.Data), p.Metrics, p.WarningCodes())
		}
	}
}
