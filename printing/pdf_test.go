package printing

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

const fullID = "11010519491231002X" // the GB 11643 standard's sample number

var testNow = time.Date(2026, 12, 4, 2, 30, 0, 0, time.UTC) // 10:30 in Shanghai

func testReceipt() kiosk.ReceiptDoc {
	d := SampleReceipt(testNow)
	d.MaskedName = idcard.MaskName("张三丰")
	d.MaskedNumber = idcard.MaskNumber(fullID)
	return d
}

func containsUTF16(b []byte, s string) bool {
	var u16 []byte
	for _, c := range utf16.Encode([]rune(s)) {
		u16 = append(u16, byte(c>>8), byte(c))
	}
	return bytes.Contains(b, u16)
}

func TestReceiptPDF(t *testing.T) {
	out := outDir(t)
	for _, size := range []Size{Roll80, A6} {
		t.Run(size.String(), func(t *testing.T) {
			doc := testReceipt()
			pdf, info, err := renderPDF(receiptBlocks(doc), size, "t")
			if err != nil {
				t.Fatal(err)
			}
			if len(pdf) > 60*1024 {
				t.Errorf("receipt PDF is %d bytes, budget 60 KB", len(pdf))
			}
			if info.Pages != 1 {
				t.Errorf("receipt on %d pages, want 1", info.Pages)
			}
			if size == Roll80 && (info.PageW != 80 || info.PageH < 100 || info.PageH > 297) {
				t.Errorf("roll page %.1f × %.1f mm", info.PageW, info.PageH)
			}

			txt := pdfText(t, pdf)
			flat := squash(txt)
			for _, want := range []string{
				"居住证互认转换受理回执", doc.Receipt.String(), "110***********002X", "张*",
				"2026-12-08 23:59", // due date (sample: accepted + 2 days)
				"2026-12-04 10:30", // accepted at, Shanghai time
				"持有浙江省居住证", "合法稳定就业", "Legal stable employment", "劳动合同2页",
				SampleHotline, "电话查询", "扫码查询办理进度",
			} {
				if !strings.Contains(flat, squash(want)) {
					t.Errorf("pdftotext lacks %q:\n%s", want, txt)
				}
			}
			if strings.Contains(flat, "补打") {
				t.Error("first print marked 补打")
			}
			for _, bad := range []string{fullID, fullID[:17], "张三丰"} {
				if strings.Contains(flat, bad) {
					t.Errorf("pdftotext shows %q", bad)
				}
			}
			plain := pdfPlainBytes(t, pdf)
			// positive control: the check below can see text in the PDF's own encoding
			if !containsUTF16(plain, doc.Receipt.String()) {
				t.Fatal("receipt number not found in the decompressed PDF: the raw-bytes check would be blind")
			}
			assertAbsent(t, plain, fullID, "raw and decompressed PDF bytes")
			assertAbsent(t, plain, fullID[6:14], "raw and decompressed PDF bytes") // birth date
			assertAbsent(t, plain, "张三丰", "raw and decompressed PDF bytes")

			if len(info.QR) != 1 {
				t.Fatalf("%d QR codes", len(info.QR))
			}
			q := info.QR[0]
			if q.Modules%4 != 1 || q.Modules < 21 {
				t.Errorf("QR has %d modules a side: quiet zone not 4 modules?", q.Modules)
			}
			if w := q.InnerMod * float64(q.Modules); w < 30 {
				t.Errorf("QR symbol %.1f mm wide, want ≥ 30", w)
			}

			pages := renderPNG(t, pdf, "200")
			got := decodeQR(t, pages[0])
			if len(got) != 1 || got[0] != doc.StatusURL {
				t.Errorf("QR decodes to %q, want exactly %q", got, doc.StatusURL)
			}
			checkQRPixels(t, pages[0], q, 200)
			copyFile(t, pages[0], filepath.Join(out, "receipt-"+size.String()+".png"))
		})
	}
}

// checkQRPixels checks the rendered code: a white quiet zone around it and at least 30 mm of dark symbol.
func checkQRPixels(t *testing.T, png string, q qrBox, dpi float64) {
	t.Helper()
	f, err := os.Open(png)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	px := func(mm float64) int { return int(mm * dpi / 25.4) }
	dark := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return r+g+b < 3*0x8000
	}
	x0, y0, x1, y1 := px(q.X), px(q.Y), px(q.X+q.Side), px(q.Y+q.Side)
	minX, minY, maxX, maxY := x1, y1, x0, y0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if dark(x, y) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	quiet := px(q.InnerMod*4) - 2
	if minX-x0 < quiet || minY-y0 < quiet || x1-maxX < quiet || y1-maxY < quiet {
		t.Errorf("quiet zone too small: dark pixels at (%d,%d)-(%d,%d) in box (%d,%d)-(%d,%d)", minX, minY, maxX, maxY, x0, y0, x1, y1)
	}
	if w := float64(maxX-minX+1) * 25.4 / dpi; w < 29.5 {
		t.Errorf("rendered QR %.1f mm wide, want ≥ 30", w)
	}
}

func TestReceiptNeverPrintsFullNumber(t *testing.T) {
	// A caller passing the full number by mistake still gets it masked.
	doc := testReceipt()
	doc.MaskedNumber = fullID
	doc.MaskedName = "张三丰"
	pdf, err := ReceiptPDF(doc, Roll80)
	if err != nil {
		t.Fatal(err)
	}
	flat := squash(pdfText(t, pdf))
	if strings.Contains(flat, fullID) || strings.Contains(flat, "张三丰") {
		t.Error("full number or name printed")
	}
	if !strings.Contains(flat, "110***********002X") || !strings.Contains(flat, "张**") {
		t.Errorf("masked values missing: %s", flat)
	}
	assertAbsent(t, pdfPlainBytes(t, pdf), fullID, "PDF bytes")
}

func TestReprintMarked(t *testing.T) {
	doc := testReceipt()
	doc.Reprint = time.Date(2026, 12, 5, 1, 15, 0, 0, time.UTC)
	pdf, err := ReceiptPDF(doc, Roll80)
	if err != nil {
		t.Fatal(err)
	}
	flat := squash(pdfText(t, pdf))
	if !strings.Contains(flat, "补打") || !strings.Contains(flat, "2026-12-0509:15") {
		t.Errorf("reprint mark with time missing: %s", flat)
	}
	pages := renderPNG(t, pdf, "200")
	if got := decodeQR(t, pages[0]); len(got) != 1 || got[0] != doc.StatusURL {
		t.Errorf("QR %q", got)
	}
	copyFile(t, pages[0], filepath.Join(outDir(t), "receipt-reprint-roll80.png"))
}

func TestRefusalPDF(t *testing.T) {
	out := outDir(t)
	doc := SampleRefusal(testNow)
	doc.MaskedNumber = idcard.MaskNumber(fullID)
	// many reasons: A6 must continue on further pages and still list every one
	long := doc
	for i := 0; i < 9; i++ {
		long.Reasons = append(long.Reasons, kiosk.Reason{
			Code: fmt.Sprintf("extra_%d", i), Message: fmt.Sprintf("第%d项补充原因：材料页面模糊无法辨认", i+4),
			Remedy: fmt.Sprintf("请重新拍摄第%d份材料，保证文字清晰、四角完整。", i+4),
		})
	}
	for _, c := range []struct {
		name string
		doc  kiosk.RefusalDoc
		size Size
	}{{"roll80", doc, Roll80}, {"a6", doc, A6}, {"a6-long", long, A6}, {"roll80-long", long, Roll80}} {
		t.Run(c.name, func(t *testing.T) {
			pdf, info, err := renderPDF(refusalBlocks(c.doc), c.size, "t")
			if err != nil {
				t.Fatal(err)
			}
			flat := squash(pdfText(t, pdf))
			for _, want := range []string{"不予受理告知书", "110***********002X", SampleHotline,
				fmt.Sprintf("共%d项", len(c.doc.Reasons))} {
				if !strings.Contains(flat, squash(want)) {
					t.Errorf("missing %q", want)
				}
			}
			for i, r := range c.doc.Reasons {
				if !strings.Contains(flat, squash(fmt.Sprintf("%d. %s", i+1, r.Message))) {
					t.Errorf("reason %d %q missing", i+1, r.Message)
				}
				if !strings.Contains(flat, squash(r.Remedy)) {
					t.Errorf("remedy %d %q missing", i+1, r.Remedy)
				}
			}
			if c.name == "a6-long" && info.Pages < 2 {
				t.Errorf("long notice on A6 fits %d page?", info.Pages)
			}
			assertAbsent(t, pdfPlainBytes(t, pdf), fullID, "PDF bytes")
			if c.name == "roll80" || c.name == "a6" {
				pages := renderPNG(t, pdf, "120")
				copyFile(t, pages[0], filepath.Join(out, "refusal-"+c.name+".png"))
			}
		})
	}
}

func TestTestPagePDF(t *testing.T) {
	pdf, err := TestPagePDF(testNow, Roll80)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(squash(pdfText(t, pdf)), "打印测试页") {
		t.Error("title missing")
	}
	pages := renderPNG(t, pdf, "200")
	if got := decodeQR(t, pages[0]); len(got) != 1 || got[0] != TestPageURL {
		t.Errorf("QR %q", got)
	}
	copyFile(t, pages[0], filepath.Join(outDir(t), "testpage-roll80.png"))
}

func TestDocumentPDFEmpty(t *testing.T) {
	if _, err := DocumentPDF(kiosk.Document{}, Roll80, testNow); err != ErrNoDocument {
		t.Errorf("err = %v", err)
	}
	if _, err := ParseSize("letter"); err == nil {
		t.Error("ParseSize accepted letter")
	}
}

func TestWrap(t *testing.T) {
	w := func(r rune) float64 {
		if isWide(r) {
			return 2
		}
		return 1
	}
	cases := []struct {
		in   string
		max  float64
		want []string
	}{
		{"hello world foo", 11, []string{"hello world", "foo"}},
		{"居住证互认转换", 6, []string{"居住证", "互认转", "换"}},
		{"请携带原件。谢谢", 12, []string{"请携带原件。", "谢谢"}},
		{"请携带原件。谢谢", 10, []string{"请携带原", "件。谢谢"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"电话 0578-3000000，报", 12, []string{"电话", "0578-3000000", "，报"}},
		{"", 5, []string{""}},
		{"a\nb", 5, []string{"a", "b"}},
	}
	for _, c := range cases {
		got := wrap(c.in, c.max, w)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
