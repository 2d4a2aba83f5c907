package capture

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/resources"
)

func TestDemoCamera(t *testing.T) {
	ctx := context.Background()
	d := NewDemoCamera()
	d.SetSize(900, 1200)
	prev, err := d.Preview(ctx)
	if err != nil || prev.Bounds().Dx() != 480 || prev.Bounds().Dy() != 640 {
		t.Fatalf("preview %v %v", prev.Bounds(), err)
	}
	if again, _ := d.Preview(ctx); again != prev {
		t.Error("preview re-rendered without a change")
	}
	raw1, err := d.Capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw2, err := d.Capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(raw1.Data, raw2.Data) {
		t.Error("two captures gave the same page")
	}
	if next, _ := d.Preview(ctx); next == prev {
		t.Error("preview did not move on to the next page")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw1.Data))
	if err != nil || cfg.Width != 900 || cfg.Height != 1200 {
		t.Fatalf("capture %dx%d %v", cfg.Width, cfg.Height, err)
	}
	// Reproducible from the seed.
	d.SetSeed(7)
	a, _ := d.Capture(ctx)
	d.SetSeed(7)
	b, _ := d.Capture(ctx)
	if !bytes.Equal(a.Data, b.Data) {
		t.Error("same seed, different page")
	}
	// The page has a red seal.
	img, _ := decodeJPEGGo(a.Data, 0)
	red := 0
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y += 2 {
		for x := bb.Min.X; x < bb.Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 150 && g>>8 < 110 && b>>8 < 110 {
				red++
			}
		}
	}
	if red < 100 {
		t.Errorf("no red seal found (%d red pixels)", red)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Capture(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled capture: %v", err)
	}
	if _, err := d.Preview(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled preview: %v", err)
	}
	if h := d.Health(); !h.OK || h.Device != "camera" {
		t.Errorf("health %+v", h)
	}
}

// TestDemoCameraFaultsThroughPipeline: what the GUI sees — each fault gives its warning.
func TestDemoCameraFaultsThroughPipeline(t *testing.T) {
	ctx := context.Background()
	d := NewDemoCamera()
	d.SetSize(1224, 1632)
	for _, f := range []Fault{FaultNone, FaultBlur, FaultDark, FaultBlank, FaultBright} {
		d.SetFault(f)
		raw, err := d.Capture(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Normalize(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		want := f.String()
		if f == FaultNone {
			want = ""
		}
		if got := strings.Join(p.WarningCodes(), ","); got != want {
			t.Errorf("fault %v: warnings %q, metrics %+v", f, got, p.Metrics)
		}
		for _, w := range p.Warnings {
			if w.Zh == "" || w.En == "" {
				t.Errorf("warning %q without text", w.Code)
			}
		}
	}
}

func TestSmallWarning(t *testing.T) {
	s := DemoScene(3, 600, 800)
	data, _ := encodeJPEG(s.Render(), 90)
	p, err := normalize(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(p.WarningCodes(), ","), "small") {
		t.Errorf("600×800 page: warnings %v", p.WarningCodes())
	}
}

func TestPages(t *testing.T) {
	p := NewPages(kiosk.MaterialLease)
	mk := func(s string, warn ...Warning) Page {
		return Page{Data: []byte(s), ContentType: TypeJPEG, Warnings: warn}
	}
	for _, s := range []string{"a", "b", "c"} {
		if _, err := p.Add(mk(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Move(2, 0); err != nil { // c a b
		t.Fatal(err)
	}
	if err := p.Delete(1); err != nil { // c b
		t.Fatal(err)
	}
	if err := p.Replace(1, mk("B", WarnBlur)); err != nil { // c B(blur)
		t.Fatal(err)
	}
	if err := p.Move(5, 0); !errors.Is(err, ErrPageIndex) {
		t.Errorf("bad move: %v", err)
	}
	ms := p.Materials()
	if len(ms) != 2 || string(ms[0].Data) != "c" || string(ms[1].Data) != "B" {
		t.Fatalf("materials %+v", ms)
	}
	sum := sha256.Sum256([]byte("B"))
	m := ms[1]
	if m.Kind != kiosk.MaterialLease || m.Page != 2 || m.Size != 1 || m.SHA256 != fmt.Sprintf("%x", sum) ||
		len(m.Warnings) != 1 || m.Warnings[0] != "blur" || m.ContentType != TypeJPEG {
		t.Errorf("material %+v", m)
	}
	for i := p.Len(); i < MaxPagesPerMaterial; i++ {
		if _, err := p.Add(mk("x")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Add(mk("y")); err == nil {
		t.Error("page limit not enforced")
	}
	data := ms[0].Data
	p.Wipe()
	if p.Len() != 0 || data[0] != 0 {
		t.Error("wipe left data")
	}
}

func TestFixMJPEG(t *testing.T) {
	full := encodeJPEGStd(t, quadrants(64, 48), 90)
	// Strip the DHT segment(s), as UVC cameras send MJPEG frames.
	var stripped []byte
	stripped = append(stripped, full[:2]...)
	for i := 2; i < len(full); {
		m := full[i+1]
		if m == 0xDA {
			stripped = append(stripped, full[i:]...)
			break
		}
		n := int(full[i+2])<<8 | int(full[i+3])
		if m != 0xC4 {
			stripped = append(stripped, full[i:i+2+n]...)
		}
		i += 2 + n
	}
	if _, err := decodeJPEGGo(stripped, 0); err == nil {
		t.Fatal("stripped frame decodes: test is wrong")
	}
	fixed := FixMJPEG(stripped)
	img, err := decodeJPEGGo(fixed, 0)
	if err != nil {
		t.Fatalf("fixed frame: %v", err)
	}
	if got := quadrantColours(img); !near(got[0], color.RGBA{255, 0, 0, 255}) {
		t.Errorf("colours %v", got)
	}
	if !bytes.Equal(FixMJPEG(full), full) {
		t.Error("a frame with tables was changed")
	}
}

func TestYUYV(t *testing.T) {
	// Y=235 U=V=128 is white; Y=16 black; (81, 90, 240) is red in BT.601.
	frame := []byte{235, 128, 235, 128, 16, 128, 16, 128, 81, 90, 81, 240}
	img := yuyvToRGBA(frame, 6, 1)
	if c := img.RGBAAt(0, 0); c.R < 250 || c.G < 250 || c.B < 250 {
		t.Errorf("white %v", c)
	}
	if c := img.RGBAAt(2, 0); c.R > 5 || c.G > 5 || c.B > 5 {
		t.Errorf("black %v", c)
	}
	if c := img.RGBAAt(4, 0); c.R < 200 || c.G > 60 || c.B > 60 {
		t.Errorf("red %v", c)
	}
}

func TestOpenV4L2Fails(t *testing.T) {
	for _, dev := range []string{filepath.Join(t.TempDir(), "video9"), "/dev/null"} {
		_, err := OpenV4L2(context.Background(), dev)
		var ue *kiosk.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Zh, "高拍仪") {
			t.Errorf("%s: %v", dev, err)
		}
	}
}

// TestHotFolderConcurrentWriters: several writers drop files in chunks (some write-then-rename, some in
// place, some leave temporary files about); every file is imported exactly once, complete, and removed.
func TestHotFolderConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	h, err := NewHotFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	h.Poll = 2 * time.Millisecond
	h.GiveUpPolls = 0 // a stalled writer must never be imported half-written, however slow the machine
	const writers, perWriter = 4, 5
	jpg := encodeJPEGStd(t, quadrants(320, 240), 90)
	png := encodePNG(t, quadrants(200, 100))
	pdf := makePDF(2, 0)
	want := map[[32]byte]string{}
	var files [][]byte
	for w := 0; w < writers; w++ {
		for i := 0; i < perWriter; i++ {
			var data []byte
			switch (w + i) % 3 {
			case 0: // a COM segment makes each JPEG different
				com := fmt.Sprintf("w%d-%d", w, i)
				data = append([]byte{0xFF, 0xD8, 0xFF, 0xFE, 0, byte(len(com) + 2)}, com...)
				data = append(data, jpg[2:]...)
			case 1:
				data = png // identical PNGs: counted by hash below
			default:
				data = append(append([]byte{}, pdf[:len(pdf)-6]...), []byte(fmt.Sprintf("%% %d %d\n%%%%EOF\n", w, i))...)
			}
			files = append(files, data)
		}
	}
	// Identical PNGs would be indistinguishable: count by hash.
	count := map[[32]byte]int{}
	for _, f := range files {
		count[sha256.Sum256(f)]++
		want[sha256.Sum256(f)] = ""
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < perWriter; i++ {
				data := files[w*perWriter+i]
				ext := []string{".jpg", ".png", ".pdf"}[(w+i)%3]
				name := filepath.Join(dir, fmt.Sprintf("w%d-%d%s", w, i, ext))
				rename := r.IntN(2) == 0
				path := name
				if rename {
					path = filepath.Join(dir, fmt.Sprintf(".w%d-%d%s.part", w, i, ext))
				}
				f, err := os.Create(path)
				if err != nil {
					t.Error(err)
					return
				}
				for off := 0; off < len(data); {
					n := min(len(data)-off, 1+r.IntN(700))
					if _, err := f.Write(data[off : off+n]); err != nil {
						t.Error(err)
					}
					off += n
					if r.IntN(3) == 0 {
						time.Sleep(time.Duration(r.IntN(3)) * time.Millisecond)
					}
				}
				f.Close()
				if rename {
					if err := os.Rename(path, name); err != nil {
						t.Error(err)
					}
				}
			}
		}(w)
	}
	// A stray file the folder must ignore.
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignore me"), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got := map[[32]byte]int{}
	for k := 0; k < writers*perWriter; k++ {
		raw, err := h.Capture(ctx)
		if err != nil {
			t.Fatalf("capture %d: %v", k, err)
		}
		sum := sha256.Sum256(raw.Data)
		if _, ok := want[sum]; !ok {
			t.Fatalf("capture %d (%s): %d bytes that no writer wrote in full", k, raw.Source, len(raw.Data))
		}
		got[sum]++
		if _, err := Normalize(ctx, raw); err != nil {
			t.Errorf("%s: %v", raw.Source, err)
		}
	}
	wg.Wait()
	for sum, n := range count {
		if got[sum] != n {
			t.Errorf("file imported %d times, want %d", got[sum], n)
		}
	}
	if hl := h.Health(); !hl.OK {
		t.Errorf("health %+v", hl)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 || left[0].Name() != "notes.txt" {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("left in the folder: %v", names)
	}
	// Nothing more: Capture waits until ctx ends.
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := h.Capture(short); !errors.Is(err, context.Canceled) {
		t.Errorf("empty folder: %v", err)
	}
}

// TestHotFolderGivesUpOnBrokenFile: a stable file that never becomes well formed is imported after
// GiveUpPolls polls, and the pipeline then refuses it with a clear message.
func TestHotFolderGivesUpOnBrokenFile(t *testing.T) {
	dir := t.TempDir()
	h, err := NewHotFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	h.Poll = time.Millisecond
	h.GiveUpPolls = 3
	jpg := encodeJPEGStd(t, quadrants(64, 64), 90)
	os.WriteFile(filepath.Join(dir, "broken.JPG"), jpg[:len(jpg)/2], 0o600)
	raw, err := h.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Normalize(context.Background(), raw); !errors.Is(err, ErrCorrupt) {
		t.Errorf("broken file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "broken.JPG")); !os.IsNotExist(err) {
		t.Error("broken file not removed")
	}
}

func TestDiagDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "page.jpg")
	var so, se bytes.Buffer
	code := Diag(context.Background(), []string{"camera", "--demo", "--fault", "blur", "--size", "1224x1632", "--out", out}, &so, &se)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, so.String(), se.String())
	}
	if !strings.Contains(so.String(), "warning: blur") || !strings.Contains(so.String(), "✗ 清晰度") {
		t.Errorf("output:\n%s", so.String())
	}
	data, err := os.ReadFile(out)
	if err != nil || Sniff(data) != TypeJPEG || len(data) > MaxBytes {
		t.Errorf("written file: %v", err)
	}
	if code := Diag(context.Background(), []string{"camera", "--demo"}, &so, &se); code != 2 {
		t.Errorf("missing --out: exit %d", code)
	}
	if code := Diag(context.Background(), []string{"--device", filepath.Join(t.TempDir(), "nope"), "--out", out}, &so, &se); code != 1 {
		t.Errorf("missing device: exit %d", code)
	}
}

// TestDemoFont: the demo pages' titles are set in the CJK font from Debian's fonts-wqy-microhei.
func TestDemoFont(t *testing.T) {
	if demoFont() == nil {
		t.Fatalf("cannot load %s: install the Debian package fonts-wqy-microhei (make deps)", resources.FontPath())
	}
	page := image.NewRGBA(image.Rect(0, 0, 400, 100))
	if !drawTitle(page, "房屋租赁合同", 70, 48, color.RGBA{0, 0, 0, 255}) {
		t.Fatal("title not drawn")
	}
	inked := 0
	for i := 3; i < len(page.Pix); i += 4 {
		if page.Pix[i] > 128 {
			inked++
		}
	}
	if inked < 500 {
		t.Errorf("only %d inked pixels", inked)
	}
}
