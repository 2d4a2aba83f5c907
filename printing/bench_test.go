package printing

import (
	"testing"
	"time"
)

func BenchmarkReceiptPDF(b *testing.B) {
	doc := SampleReceipt(time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC))
	var n int
	for i := 0; i < b.N; i++ {
		out, err := ReceiptPDF(doc, Roll80)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "bytes/pdf")
}
