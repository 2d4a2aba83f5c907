package resources

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gotext "github.com/go-text/typesetting/font"
	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

func requireDefaultFont(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(DefaultFontPath); err != nil {
		t.Fatalf("%s is missing: install the Debian package %s (make deps): %v", DefaultFontPath, FontPackage, err)
	}
}

// verify checks the structure of a standalone sfnt file independently of ExtractFace.
func verify(t *testing.T, b []byte) {
	t.Helper()
	be := binary.BigEndian
	if v := be.Uint32(b); v != 0x00010000 {
		t.Fatalf("sfnt version %#x", v)
	}
	n := int(be.Uint16(b[4:]))
	var prev uint32
	end := 12 + 16*n
	for i := 0; i < n; i++ {
		rec := b[12+16*i:]
		tag, sum, off, length := be.Uint32(rec), be.Uint32(rec[4:]), be.Uint32(rec[8:]), be.Uint32(rec[12:])
		if tag <= prev {
			t.Errorf("table %q not sorted", tagString(tag))
		}
		prev = tag
		if off%4 != 0 {
			t.Errorf("table %q at %d not 4-byte aligned", tagString(tag), off)
		}
		if int(off) != end {
			t.Errorf("table %q at %d, want %d (packed)", tagString(tag), off, end)
		}
		end = int(off) + pad4(int(length))
		data := append([]byte(nil), b[off:int(off)+pad4(int(length))]...)
		if tagString(tag) == "head" {
			be.PutUint32(data[8:], 0)
		}
		if got := checksum(data); got != sum {
			t.Errorf("table %q checksum %#x, directory says %#x", tagString(tag), got, sum)
		}
	}
	if end != len(b) {
		t.Errorf("file is %d bytes, tables end at %d", len(b), end)
	}
	if got := checksum(b); got != 0xB1B0AFBA {
		t.Errorf("whole-file checksum %#x, want 0xB1B0AFBA", got)
	}
}

func TestChineseFontIsStandaloneTrueType(t *testing.T) {
	requireDefaultFont(t)
	SetFontPath("")
	b, err := ChineseFont()
	if err != nil {
		t.Fatal(err)
	}
	verify(t, b)
	b2, err := ChineseFont()
	if err != nil {
		t.Fatal(err)
	}
	if &b[0] != &b2[0] {
		t.Error("second call did not return the cached font")
	}

	// golang.org/x/image: parse, find glyphs for Chinese text, make a face.
	f, err := opentype.Parse(b)
	if err != nil {
		t.Fatalf("opentype.Parse: %v", err)
	}
	var buf sfnt.Buffer
	name, err := f.Name(&buf, sfnt.NameIDFamily)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(name, "Micro Hei") {
		t.Errorf("family %q, want WenQuanYi Micro Hei (face 0)", name)
	}
	if strings.Contains(name, "Mono") {
		t.Errorf("family %q: got the Mono face, want face 0", name)
	}
	for _, r := range "居住证互认转换受理回执补打" {
		if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
			t.Errorf("no glyph for %q: %v", r, err)
		}
	}
	if _, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 72}); err != nil {
		t.Fatal(err)
	}

	// Fyne's text stack (go-text/typesetting) as the GUI theme loads it.
	face, err := gotext.ParseTTF(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("go-text ParseTTF: %v", err)
	}
	if gid, ok := face.NominalGlyph('居'); !ok || gid == 0 {
		t.Error("go-text: no glyph for 居")
	}

	// gofpdf: embed, write Chinese text, output; pdftotext reads it back.
	pdf := gofpdf.New("P", "mm", "A6", "")
	pdf.AddUTF8FontFromBytes("wqy", "", b)
	pdf.AddPage()
	pdf.SetFont("wqy", "", 14)
	pdf.Cell(80, 10, "居住证互认转换受理回执")
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		t.Fatalf("gofpdf: %v", err)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext missing: install poppler-utils (make deps)")
	}
	p := filepath.Join(t.TempDir(), "f.pdf")
	if err := os.WriteFile(p, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	txt, err := exec.Command(pdftotext, "-enc", "UTF-8", p, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, txt)
	}
	if !strings.Contains(string(txt), "居住证互认转换受理回执") {
		t.Errorf("pdftotext: %q", txt)
	}
}

func TestPlainTTFAccepted(t *testing.T) {
	requireDefaultFont(t)
	SetFontPath("")
	b, err := ChineseFont()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "face0.ttf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	SetFontPath(p)
	defer SetFontPath("")
	if FontPath() != p {
		t.Fatalf("FontPath %q", FontPath())
	}
	b2, err := ChineseFont()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Error("rebuilding a standalone TTF changed it")
	}
}

func TestMissingFontNamesPackage(t *testing.T) {
	SetFontPath(filepath.Join(t.TempDir(), "nope.ttc"))
	defer SetFontPath("")
	_, err := ChineseFont()
	if !errors.Is(err, ErrFontMissing) {
		t.Fatalf("err = %v, want ErrFontMissing", err)
	}
	if !strings.Contains(err.Error(), "fonts-wqy-microhei") {
		t.Errorf("error %q does not name the Debian package", err)
	}
}

func TestBadFontFiles(t *testing.T) {
	cases := map[string][]byte{
		"short":     []byte("ttcf"),
		"garbage":   bytes.Repeat([]byte{0x42}, 64),
		"ttc range": {'t', 't', 'c', 'f', 0, 1, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xf0},
	}
	for name, b := range cases {
		if _, err := ExtractFace(b, 0); !errors.Is(err, ErrFontFormat) {
			t.Errorf("%s: err = %v, want ErrFontFormat", name, err)
		}
	}
	p := filepath.Join(t.TempDir(), "bad.ttf")
	if err := os.WriteFile(p, []byte("not a font at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	SetFontPath(p)
	defer SetFontPath("")
	if _, err := ChineseFont(); !errors.Is(err, ErrFontFormat) {
		t.Errorf("err = %v, want ErrFontFormat", err)
	}
}

func FuzzExtractFace(f *testing.F) {
	f.Add([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10\x00\x01\x00\x00\x00\x01\x00\x10\x00\x00\x00\x00head\x00\x00\x00\x00\x00\x00\x00\x2c\x00\x00\x00\x10"), 0)
	f.Add([]byte("\x00\x01\x00\x00\x00\x01\x00\x10\x00\x00\x00\x00head\x00\x00\x00\x00\x00\x00\x00\x1c\x00\x00\x00\x10abcdefghijklmnop"), 0)
	f.Fuzz(func(t *testing.T, b []byte, idx int) {
		out, err := ExtractFace(b, idx%4)
		if err != nil {
			if !errors.Is(err, ErrFontFormat) {
				t.Fatalf("error not ErrFontFormat: %v", err)
			}
			return
		}
		if checksum(out) != 0xB1B0AFBA {
			t.Fatal("whole-file checksum wrong")
		}
		again, err := ExtractFace(out, 0)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v", err)
		}
	})
}
