package printing

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
)

func TestPDFFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "receipts")
	p, err := NewPDFFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if p.LastFile() != "" {
		t.Error("LastFile before printing")
	}
	if st, err := p.Status(ctx); err != nil || !st.Online {
		t.Fatalf("status %+v %v", st, err)
	}
	doc := testReceipt()
	if err := p.Print(ctx, kiosk.Document{Receipt: &doc}); err != nil {
		t.Fatal(err)
	}
	first := p.LastFile()
	if filepath.Dir(first) != dir || !strings.Contains(filepath.Base(first), doc.Receipt.String()) {
		t.Errorf("file %q", first)
	}
	b, err := os.ReadFile(first)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("not a PDF: %v", err)
	}
	if !strings.Contains(squash(pdfText(t, b)), doc.Receipt.String()) {
		t.Error("receipt number missing")
	}
	// the same receipt again does not overwrite the first file
	if err := p.Print(ctx, kiosk.Document{Receipt: &doc}); err != nil {
		t.Fatal(err)
	}
	if p.LastFile() == first {
		t.Error("second print overwrote the first file")
	}
	// reprint: marked 补打
	if err := Reprint(ctx, p, doc, time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	rb, _ := os.ReadFile(p.LastFile())
	if !strings.Contains(squash(pdfText(t, rb)), "补打") {
		t.Error("reprint not marked")
	}
	if err := TestPage(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filepath.Base(p.LastFile()), "testpage") {
		t.Errorf("test page file %q", p.LastFile())
	}
	ref := SampleRefusal(testNow)
	p.SetSize(A6)
	if err := p.Print(ctx, kiosk.Document{Refusal: &ref}); err != nil {
		t.Fatal(err)
	}
	// no temporary files left behind
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("leftover %s", e.Name())
		}
	}
	if len(entries) != 5 {
		t.Errorf("%d files, want 5", len(entries))
	}
	if err := p.Print(ctx, kiosk.Document{}); !errors.Is(err, ErrNoDocument) {
		t.Errorf("empty document: %v", err)
	}
}

func TestPDFFolderFaults(t *testing.T) {
	dir := t.TempDir()
	p, err := NewPDFFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	doc := testReceipt()
	p.Simulate(&kiosk.PrinterStatus{Online: true, PaperOut: true})
	err = p.Print(ctx, kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPaperOut) || kiosk.Message(err, false) != "打印纸已用完" {
		t.Errorf("err = %v", err)
	}
	if h := Health(ctx, p, time.Now()); h.OK || h.Device != "printer" {
		t.Errorf("health %+v", h)
	}
	p.Simulate(nil)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("printed while out of paper: %v", entries)
	}
	// the folder disappears: offline, nothing written
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := p.Print(ctx, kiosk.Document{Receipt: &doc}); !errors.Is(err, kiosk.ErrPrinterOffline) {
		t.Errorf("err = %v", err)
	}
	if _, err := NewPDFFolder(""); err == nil {
		t.Error("empty dir accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := NewPDFFolder(f); err == nil {
		t.Error("a file accepted as folder")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Status(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("status with cancelled ctx: %v", err)
	}
}
