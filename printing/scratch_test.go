package printing

import (
	"os"
	"testing"
	"time"
)

func TestScratch(t *testing.T) {
	now := time.Now()
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		b, err := ReceiptPDF(SampleReceipt(now), Roll80)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("roll %d bytes %v", len(b), time.Since(t0))
		os.WriteFile("/tmp/pt/r.pdf", b, 0o644)
	}
	b, _ := ReceiptPDF(SampleReceipt(now), A6)
	os.WriteFile("/tmp/pt/a6.pdf", b, 0o644)
	b, err := RefusalPDF(SampleRefusal(now), Roll80)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/pt/f.pdf", b, 0o644)
}
