package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/idcard/samsim"
	"huren/kiosk/session"
	"huren/kiosk/store"
	"huren/printing"
	"huren/review/reviewtest"
	hsync "huren/sync"
)

// TestEndToEnd drives the GUI from Home to the receipt with the real parts of demo mode: the demo card
// reader (a SAM simulator on a pty read through the real driver), the demo camera and capture pipeline,
// the SQLite queue, the PDF printer, the uploader and an in-process review service over real HTTP. It
// ends when the service has accepted the application and its status page says so.
func TestEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := reviewtest.Start(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "kiosk.key")
	if err := store.CreateKey(key); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "kiosk.db"), KeyFile: key, KioskNo: 1,
		MinFreeBytes: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, err := hsync.NewClient(hsync.Options{BaseURL: env.URL, KioskID: env.KioskID, Secret: env.Secret, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	worker := hsync.NewWorker(st, client, hsync.WorkerOptions{Downstream: store.DownstreamReview, Version: "test"})
	wctx, wcancel := context.WithCancel(ctx)
	wdone := make(chan struct{})
	go func() { defer close(wdone); _ = worker.Run(wctx) }()
	defer func() { wcancel(); <-wdone }()
	reader, err := samsim.NewDemoReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	reader.Next(0)
	pdfDir := filepath.Join(dir, "receipts")
	printer, err := printing.NewPDFFolder(pdfDir)
	if err != nil {
		t.Fatal(err)
	}
	cam := capture.NewDemoCamera()

	h := newHarnessWith(t, func(d *Deps) {
		d.Reader, d.Camera, d.Printer, d.Queue, d.Remote, d.Syncer = reader, cam, printer, st, client, worker
		d.Clock = kiosk.SystemClock{}
		d.PublicURL = env.URL
		d.KioskNo = 1
		d.IsOffline = func(err error) bool { return errors.Is(err, hsync.ErrOffline) }
	})
	h.blocked = func() int64 { return 0 }

	// The route follows what the provincial record says (pre-check through the real client).
	card := samsim.DemoCards()[0]
	o := pathOpts{card: card, condition: kiosk.ConditionResidence, route: kiosk.RoutePermit}
	p, err := client.Precheck(ctx, card.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasPermit {
		o.route = kiosk.RouteRegistration
	}
	h.walkToConfirm(o)
	h.tap(h.k.cur.(*confirmScreen).submit)
	h.wantStep(session.Submit)
	if !h.k.cur.(*submitScreen).finished || h.k.s.Receipt.IsZero() {
		t.Fatalf("not submitted: %s", h.visibleText())
	}
	r := h.k.s.Receipt
	if h.k.lastPrintErr != nil {
		t.Fatalf("print: %v", h.k.lastPrintErr)
	}
	if fi, err := os.Stat(printer.LastFile()); err != nil || fi.Size() == 0 {
		t.Fatalf("receipt pdf: %v", err)
	}
	a, err := st.Get(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the uploader to deliver and the service to accept.
	for {
		s, err := client.Status(ctx, r, a.StatusToken)
		if err == nil && s.State == string(kiosk.StateAccepted) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("not accepted: %+v %v", s, err)
		}
		worker.Wake()
		time.Sleep(100 * time.Millisecond)
	}
	url := kiosk.StatusURL(env.URL, r, a.StatusToken)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "已受理") {
		t.Fatalf("status page %d: %.300s", resp.StatusCode, body)
	}
	resp, err = http.Get(kiosk.StatusURL(env.URL, r, "AAAAAAAAAAAAAAAAAAAAAA"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	h.tap(h.k.cur.(*submitScreen).done)
}
