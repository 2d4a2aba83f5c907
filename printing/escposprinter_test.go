package printing

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"huren/kiosk"
	"huren/printing/escpos"
)

// fakePrinter is an ESC/POS printer on loopback TCP: it answers DLE EOT n with the bytes of its current
// state and records everything else it receives.
type fakePrinter struct {
	ln net.Listener

	mu       sync.Mutex
	state    [4]byte
	got      []byte
	asked    int
	silent   bool // accept but never answer
	outAfter int  // > 0: the paper runs out once this many job bytes arrived
	wg       sync.WaitGroup
}

var (
	stateReady    = [4]byte{0x12, 0x12, 0x12, 0x12}
	stateNearEnd  = [4]byte{0x12, 0x12, 0x12, 0x1E}
	statePaperOut = [4]byte{0x1A, 0x32, 0x12, 0x72}
	stateCover    = [4]byte{0x1A, 0x16, 0x12, 0x12}
)

func startFakePrinter(t *testing.T, state [4]byte) *fakePrinter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePrinter{ln: ln, state: state}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() { defer f.wg.Done(); f.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakePrinter) serve(c io.ReadWriteCloser) {
	defer c.Close()
	buf := make([]byte, 4096)
	var pending []byte
	for {
		n, err := c.Read(buf)
		if n > 0 {
			pending = append(pending, buf[:n]...)
			var reply, rec []byte
			i := 0
			for i < len(pending) {
				if pending[i] == escpos.DLE {
					if i+2 >= len(pending) {
						break // wait for the rest of a possible request
					}
					if pending[i+1] == escpos.EOT && pending[i+2] >= 1 && pending[i+2] <= 4 {
						f.mu.Lock()
						if f.outAfter > 0 && len(f.got)+len(rec) >= f.outAfter {
							f.state = statePaperOut
						}
						reply = append(reply, f.state[pending[i+2]-1])
						f.asked++
						f.mu.Unlock()
						i += 3
						continue
					}
				}
				rec = append(rec, pending[i])
				i++
			}
			pending = append([]byte(nil), pending[i:]...)
			f.mu.Lock()
			f.got = append(f.got, rec...)
			if f.outAfter > 0 && len(f.got) >= f.outAfter {
				f.state = statePaperOut
			}
			silent := f.silent
			f.mu.Unlock()
			if len(reply) > 0 && !silent {
				if _, err := c.Write(reply); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *fakePrinter) set(s [4]byte) { f.mu.Lock(); f.state = s; f.mu.Unlock() }
func (f *fakePrinter) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.got...)
}
func (f *fakePrinter) target() string { return "tcp://" + f.ln.Addr().String() }

func TestESCPOSPrintReceipt(t *testing.T) {
	fp := startFakePrinter(t, stateReady)
	p, err := NewESCPOS(fp.target())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := p.Status(ctx)
	if err != nil || !st.Online || st.PaperOut {
		t.Fatalf("status %+v %v", st, err)
	}
	doc := testReceipt()
	if err := p.Print(ctx, kiosk.Document{Receipt: &doc}); err != nil {
		t.Fatal(err)
	}
	got := fp.received()
	want, err := ReceiptESCPOS(doc, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("printer got %d bytes, want the %d-byte receipt", len(got), len(want))
	}
	if !bytes.HasPrefix(got, []byte{0x1B, 0x40}) || !bytes.HasSuffix(got, []byte{0x1D, 0x56, 0x42, 96}) {
		t.Error("job does not start with ESC @ and end with feed-and-cut")
	}
	for _, s := range []string{doc.Receipt.String(), "110***********002X", "居住证互认转换受理回执", "审核期限", "2026-12-08 23:59"} {
		if !bytes.Contains(got, escpos.EncodeGB18030(s)) {
			t.Errorf("receipt lacks %q (GB18030)", s)
		}
	}
	if bytes.Contains(got, []byte(fullID)) {
		t.Error("full ID number sent to the printer")
	}
	// native QR: store command carries exactly the status URL
	store := append([]byte{0x31, 0x50, 0x30}, doc.StatusURL...)
	if !bytes.Contains(got, store) {
		t.Error("QR store command with the status URL missing")
	}
	if !bytes.Contains(got, []byte{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31}) {
		t.Error("QR error level M missing")
	}
	if err := os.WriteFile(filepath.Join(outDir(t), "receipt.escpos.bin"), got, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestESCPOSNearEndStillPrints(t *testing.T) {
	fp := startFakePrinter(t, stateNearEnd)
	p, _ := NewESCPOS(fp.target())
	st, err := p.Status(context.Background())
	if err != nil || !st.PaperNearEnd || st.Err() != nil {
		t.Fatalf("%+v %v", st, err)
	}
	if err := TestPage(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(fp.received(), escpos.EncodeGB18030("打印测试页")) {
		t.Error("test page not printed")
	}
	h := Health(context.Background(), p, time.Now())
	if !h.OK || !strings.Contains(h.Detail, "纸将用完") {
		t.Errorf("health %+v", h)
	}
}

func TestESCPOSRefusesWhenItCannotPrint(t *testing.T) {
	for _, c := range []struct {
		name  string
		state [4]byte
		want  error
		why   string
	}{
		{"paper out", statePaperOut, kiosk.ErrPaperOut, "打印纸已用完"},
		{"cover open", stateCover, kiosk.ErrCoverOpen, "打印机盖未关好"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fp := startFakePrinter(t, c.state)
			p, _ := NewESCPOS(fp.target())
			doc := testReceipt()
			err := p.Print(context.Background(), kiosk.Document{Receipt: &doc})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var se *StatusError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), "escpos") {
				t.Errorf("error does not say why: %v", err)
			}
			if got := fp.received(); len(got) != 0 {
				t.Errorf("%d bytes printed although the printer cannot print: % x", len(got), got)
			}
			if kiosk.Message(err, false) != kiosk.Message(c.want, false) {
				t.Errorf("applicant message %q", kiosk.Message(err, false))
			}
			if h := Health(context.Background(), p, time.Now()); h.OK || !strings.Contains(h.Detail, c.why) {
				t.Errorf("health %+v", h)
			}
		})
	}
}

func TestESCPOSOfflineAndSilent(t *testing.T) {
	// nothing listens: offline
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p, _ := NewESCPOS("tcp://" + addr)
	p.SetTimeout(2 * time.Second)
	doc := testReceipt()
	err = p.Print(context.Background(), kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPrinterOffline) || !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %v", err)
	}

	// a printer that never answers the status request: offline after the timeout, nothing printed
	fp := startFakePrinter(t, stateReady)
	fp.mu.Lock()
	fp.silent = true
	fp.mu.Unlock()
	p2, _ := NewESCPOS(fp.target())
	p2.SetTimeout(300 * time.Millisecond)
	err = p2.Print(context.Background(), kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPrinterOffline) {
		t.Errorf("err = %v", err)
	}
	if len(fp.received()) != 0 {
		t.Error("printed without a status reply")
	}

	// ctx cancelled while waiting: ctx error
	ctx, cancel := context.WithCancel(context.Background())
	p2.SetTimeout(time.Minute)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := p2.Status(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("status err = %v, want context.Canceled", err)
	}
}

func TestESCPOSPaperRunsOutDuringJob(t *testing.T) {
	fp := startFakePrinter(t, stateReady)
	fp.mu.Lock()
	fp.outAfter = 100 // the roll ends during the job: the check after printing must report it
	fp.mu.Unlock()
	p, _ := NewESCPOS(fp.target())
	doc := testReceipt()
	err := p.Print(context.Background(), kiosk.Document{Receipt: &doc})
	if !errors.Is(err, kiosk.ErrPaperOut) || !strings.Contains(err.Error(), "during print") {
		t.Fatalf("err = %v, want paper out during print", err)
	}
}

func TestESCPOSRasterQR(t *testing.T) {
	b, err := DocumentESCPOS(kiosk.Document{TestPage: true}, testNow, true)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte{0x1D, 0x76, 0x30, 0x00})
	if i < 0 {
		t.Fatal("no GS v 0 raster")
	}
	if bytes.Contains(b, []byte{0x1D, 0x28, 0x6B}) {
		t.Error("native QR command in raster mode")
	}
	bw := int(b[i+4]) | int(b[i+5])<<8
	h := int(b[i+6]) | int(b[i+7])<<8
	if bw != escposDots/8 || h < 30*escposDotsPMM {
		t.Errorf("raster %d bytes × %d rows", bw, h)
	}
	// the raster must be the QR code: rebuild it as an image and let zbar read it
	bits := b[i+8 : i+8+bw*h]
	png := rasterPNG(t, bits, bw, h)
	if got := decodeQR(t, png); len(got) != 1 || got[0] != TestPageURL {
		t.Errorf("raster QR decodes to %q", got)
	}
}

func TestESCPOSFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0.bin")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := NewESCPOS("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	doc := SampleRefusal(testNow)
	if err := p.Print(context.Background(), kiosk.Document{Refusal: &doc}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	for _, r := range doc.Reasons {
		if !bytes.Contains(got, escpos.EncodeGB18030(r.Message)) {
			t.Errorf("reason %q missing", r.Message)
		}
	}
	// a device that does not exist: offline with the path
	p2, _ := NewESCPOS("/dev/nonexistent-lp9")
	if err := p2.Print(context.Background(), kiosk.Document{Refusal: &doc}); !errors.Is(err, kiosk.ErrPrinterOffline) || !strings.Contains(err.Error(), "nonexistent-lp9") {
		t.Errorf("err = %v", err)
	}
}

func TestNewESCPOSTargets(t *testing.T) {
	for target, ok := range map[string]bool{
		"tcp://10.0.0.5:9100": true, "tcp://printer": true, "file:/dev/usb/lp0": true, "/dev/usb/lp0": true,
		"lp0": false, "tcp://": false, "file:": false, "http://x": false,
	} {
		_, err := NewESCPOS(target)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v", target, err)
		}
	}
}

func TestESCPOSDeviceFile(t *testing.T) {
	// A pseudo-terminal in raw mode stands in for /dev/usb/lp0: the printer opens the slave by path, the fake
	// printer answers on the master.
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	fp := &fakePrinter{state: stateReady}
	done := make(chan struct{})
	go func() { defer close(done); fp.serve(master) }()
	// closing the last slave descriptor ends the master's blocking read (EIO); serve then closes the master
	defer func() { slave.Close(); <-done }()

	for _, target := range []string{slave.Name(), "file:" + slave.Name()} {
		p, err := NewESCPOS(target)
		if err != nil {
			t.Fatal(err)
		}
		p.SetTimeout(10 * time.Second)
		fp.set(stateReady)
		doc := testReceipt()
		before := len(fp.received())
		if err := p.Print(context.Background(), kiosk.Document{Receipt: &doc}); err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		want, _ := ReceiptESCPOS(doc, false)
		if got := fp.received()[before:]; !bytes.Equal(got, want) {
			t.Errorf("%s: device got %d bytes, want %d", target, len(got), len(want))
		}
		fp.set(statePaperOut)
		before = len(fp.received())
		if err := p.Print(context.Background(), kiosk.Document{Receipt: &doc}); !errors.Is(err, kiosk.ErrPaperOut) {
			t.Errorf("%s: err = %v", target, err)
		}
		if len(fp.received()) != before {
			t.Errorf("%s: printed with paper out", target)
		}
	}
}
