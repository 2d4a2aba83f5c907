package printing

import (
	"strings"
	"testing"

	"github.com/jung-kurt/gofpdf"
)

// BenchmarkReceiptPDF: a full receipt (CJK font subset embedded, vector QR) on an 80 mm roll.
// Budget: ≤ 20 ms and ≤ 60 KB (bytes/pdf).
func BenchmarkReceiptPDF(b *testing.B) {
	benchPDF(b, Roll80)
}

// BenchmarkReceiptPDFA6 is the same receipt on A6.
func BenchmarkReceiptPDFA6(b *testing.B) {
	benchPDF(b, A6)
}

func benchPDF(b *testing.B, size Size) {
	doc := testReceipt()
	if _, err := ReceiptPDF(doc, size); err != nil { // warm the font cache
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		out, err := ReceiptPDF(doc, size)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/pdf")
}

// BenchmarkPDFBaselineLatinOnly is the baseline: the same layout with gofpdf's core Helvetica (nothing
// embedded), ASCII text only and no QR code.
func BenchmarkPDFBaselineLatinOnly(b *testing.B) {
	var bs []block
	for _, bl := range receiptBlocks(testReceipt()) {
		if bl.kind == kindQR {
			bs = append(bs, latinOnly(bl.side)...)
			continue
		}
		bs = append(bs, latinOnly([]block{bl})...)
	}
	g, _ := geometryOf(Roll80)
	b.ReportAllocs()
	var n int
	for i := 0; i < b.N; i++ {
		pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: gofpdf.SizeType{Wd: g.width, Ht: 297}})
		out, _, err := layoutPDF(pdf, bs, g, "Helvetica", "baseline")
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/pdf")
}

func latinOnly(bs []block) []block {
	ascii := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r < 0x80 {
				return r
			}
			return -1
		}, s)
	}
	out := make([]block, 0, len(bs))
	for _, b := range bs {
		b.text, b.label = ascii(b.text), ascii(b.labelEN)
		vs := make([]string, len(b.values))
		for i, v := range b.values {
			vs[i] = ascii(v)
		}
		b.values = vs
		out = append(out, b)
	}
	return out
}

// BenchmarkReceiptESCPOS: the receipt as ESC/POS bytes with a native QR code.
func BenchmarkReceiptESCPOS(b *testing.B) {
	benchESCPOS(b, false)
}

// BenchmarkReceiptESCPOSRasterQR: the same with the QR code as a raster image (GS v 0).
func BenchmarkReceiptESCPOSRasterQR(b *testing.B) {
	benchESCPOS(b, true)
}

func benchESCPOS(b *testing.B, raster bool) {
	doc := testReceipt()
	b.ReportAllocs()
	var n int
	for i := 0; i < b.N; i++ {
		out, err := ReceiptESCPOS(doc, raster)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/job")
}
