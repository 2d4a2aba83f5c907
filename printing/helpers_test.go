package printing

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// tool returns the path of an external program the tests need; missing → the test fails (make deps installs it).
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is missing: install the Debian package %s (make deps)", name, pkg)
	}
	return p
}

// outDir returns <module root>/out/printing, made if needed.
func outDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			out := filepath.Join(d, "out", "printing")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			return out
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// pdfText runs pdftotext on a PDF.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	bin := tool(t, "pdftotext", "poppler-utils")
	p := writeTemp(t, "doc.pdf", pdf)
	out, err := exec.Command(bin, "-enc", "UTF-8", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// squash removes all white space (pdftotext breaks lines where the layout wrapped).
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\f' {
			return -1
		}
		return r
	}, s)
}

// renderPNG rasterises page 1 (or every page) of a PDF at dpi with pdftoppm and returns the PNG paths.
func renderPNG(t testing.TB, pdf []byte, dpi string) []string {
	t.Helper()
	bin := tool(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	p := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-r", dpi, "-png", p, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) == 0 {
		t.Fatal("pdftoppm wrote no page")
	}
	return pages
}

// decodeQR runs zbarimg on a PNG and returns the decoded QR payloads.
func decodeQR(t testing.TB, png string) []string {
	t.Helper()
	bin := tool(t, "zbarimg", "zbar-tools")
	cmd := exec.Command(bin, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", png)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("zbarimg %s: %v: %s", png, err, stderr.String())
	}
	var res []string
	for _, l := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
		if l != "" {
			res = append(res, l)
		}
	}
	return res
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rasterPNG writes GS v 0 raster bits (bw bytes a row, 1 = black) as a PNG for zbarimg.
func rasterPNG(t testing.TB, bits []byte, bw, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, bw*8, h))
	for y := 0; y < h; y++ {
		for x := 0; x < bw*8; x++ {
			v := uint8(255)
			if bits[y*bw+x/8]&(0x80>>(x%8)) != 0 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "raster.png", buf.Bytes())
}

var streamRE = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfPlainBytes returns the raw PDF followed by every stream inflated (where it is zlib-compressed).
func pdfPlainBytes(t testing.TB, pdf []byte) []byte {
	t.Helper()
	all := append([]byte(nil), pdf...)
	for _, m := range streamRE.FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not compressed
		}
		b, _ := io.ReadAll(zr)
		all = append(all, b...)
	}
	return all
}

// assertAbsent fails when s occurs in b as ASCII/UTF-8 or as UTF-16BE (how gofpdf writes UTF-8 text).
func assertAbsent(t testing.TB, b []byte, s, what string) {
	t.Helper()
	if bytes.Contains(b, []byte(s)) {
		t.Errorf("%s found (UTF-8) in %s", s, what)
	}
	var u16 []byte
	for _, c := range utf16.Encode([]rune(s)) {
		u16 = append(u16, byte(c>>8), byte(c))
	}
	if bytes.Contains(b, u16) {
		t.Errorf("%s found (UTF-16BE) in %s", s, what)
	}
}
