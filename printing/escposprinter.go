package printing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/skip2/go-qrcode"

	"huren/kiosk"
	"huren/printing/escpos"
)

// ESC/POS geometry of an 80 mm printer at 203 dpi: 576 dots, 48 columns of font A (12 dots), 64 of font B.
const (
	escposDots    = 576
	escposCols    = 48
	escposColsB   = 64
	escposLabelW  = 10 // columns of the field labels
	escposDotsPMM = 8  // dots per mm
)

// DocumentESCPOS encodes doc for an 80 mm ESC/POS printer; now stamps the test page. rasterQR prints the QR
// code as a raster image (GS v 0) for printers without native QR. Errors: ErrNoDocument, QR encoding.
func DocumentESCPOS(doc kiosk.Document, now time.Time, rasterQR bool) ([]byte, error) {
	bs, err := blocksFor(doc, now)
	if err != nil {
		return nil, err
	}
	return encodeESCPOS(bs, rasterQR)
}

// ReceiptESCPOS encodes a receipt for an 80 mm ESC/POS printer (native QR unless rasterQR).
func ReceiptESCPOS(doc kiosk.ReceiptDoc, rasterQR bool) ([]byte, error) {
	return encodeESCPOS(receiptBlocks(doc), rasterQR)
}

func colWidth(r rune) float64 {
	if isWide(r) {
		return 2
	}
	return 1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func encodeESCPOS(bs []block, rasterQR bool) ([]byte, error) {
	var w escpos.Buffer
	w.Init()
	if err := escposBlocks(&w, bs, rasterQR); err != nil {
		return nil, err
	}
	w.Align(escpos.Left).Size(1, 1).Bold(false)
	w.FeedCut(96, true)
	return w.Bytes(), nil
}

func escposBlocks(w *escpos.Buffer, bs []block, rasterQR bool) error {
	for _, b := range bs {
		switch b.kind {
		case kindGap:
			w.LF()
		case kindRule:
			w.Align(escpos.Left).Size(1, 1).Font(false).Line(strings.Repeat("-", escposCols))
		case kindText:
			escposText(w, b)
		case kindField:
			w.Align(escpos.Left).Size(1, 1).Bold(false).Font(false)
			valueW := float64(escposCols - escposLabelW)
			first := true
			pad := strings.Repeat(" ", escposLabelW)
			emit := func(l string) {
				if first {
					w.Line(padTo(b.label, escposLabelW) + l)
					first = false
					return
				}
				w.Line(pad + l)
			}
			for _, v := range b.values {
				for _, l := range wrap(v, valueW, colWidth) {
					emit(l)
				}
			}
			for _, v := range b.en {
				for _, l := range wrap(v, valueW, colWidth) {
					emit(l)
				}
			}
			if first {
				emit("")
			}
		case kindQR:
			if err := escposQR(w, b.text, rasterQR); err != nil {
				return err
			}
			if err := escposBlocks(w, b.side, rasterQR); err != nil {
				return err
			}
		}
	}
	return nil
}

// padTo pads s with spaces to n columns.
func padTo(s string, n int) string {
	w := 0
	for _, r := range s {
		w += int(colWidth(r))
	}
	if w >= n {
		return s + " "
	}
	return s + strings.Repeat(" ", n-w)
}

func escposText(w *escpos.Buffer, b block) {
	align := escpos.Left
	if b.center {
		align = escpos.Center
	}
	w.Align(align)
	cols, mult, bold, small, indent := escposCols, 1, false, false, 0
	switch b.style {
	case styleTitle, styleBig:
		mult, bold = 2, true
	case styleHeading:
		bold = true
	case styleSmall:
		if isASCII(b.text) {
			small, cols = true, escposColsB
		}
	case styleMark:
		bold = true
		w.Reverse(true)
	}
	if b.indent {
		indent = 3
	}
	w.Font(small).Bold(bold)
	if b.style == styleMark {
		w.Size(1, 2)
	} else {
		w.Size(mult, mult)
	}
	for _, l := range wrap(b.text, float64(cols/mult-indent), colWidth) {
		w.Line(strings.Repeat(" ", indent) + l)
	}
	if b.style == styleMark {
		w.Reverse(false)
	}
	w.Size(1, 1).Bold(false).Font(false)
}

// escposQR prints data as a centred QR code (model 2, level M), at least 30 mm wide, with a quiet zone of
// at least 4 modules (margins on the sides, feeds above and below).
func escposQR(w *escpos.Buffer, data string, raster bool) error {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap() // with the quiet zone
	n := len(bm) - 8
	module := int(math.Ceil(30.0 * escposDotsPMM / float64(n)))
	module = max(module, 4)
	module = min(module, 16, escposDots/(n+8))
	w.Align(escpos.Center)
	if !raster {
		w.FeedDots(4 * module)
		if err := w.QR([]byte(data), module, escpos.QRLevelM); err != nil {
			return err
		}
		w.LF().FeedDots(3 * module)
		return nil
	}
	// Raster: the whole line width, the code centred, quiet zone included in the bitmap.
	side := len(bm) * module
	left := (escposDots - side) / 2
	bw := escposDots / 8
	bits := make([]byte, bw*side)
	for y := 0; y < side; y++ {
		row := bm[y/module]
		for x := 0; x < side; x++ {
			if row[x/module] {
				px := left + x
				bits[y*bw+px/8] |= 0x80 >> (px % 8)
			}
		}
	}
	w.Align(escpos.Left)
	if err := w.Raster(escposDots, side, bits); err != nil {
		return err
	}
	return nil
}

// ESCPOS prints on an ESC/POS thermal printer over a device file or raw TCP (port 9100), asking the
// printer's status (DLE EOT 1..4) before every print.
type ESCPOS struct {
	target  string
	network string // "tcp" or "file"
	addr    string

	mu       sync.Mutex // one job at a time
	timeout  time.Duration
	rasterQR bool
	clock    kiosk.Clock
}

var _ kiosk.Printer = (*ESCPOS)(nil)

// NewESCPOS returns a printer for target: "tcp://host:port", "file:/dev/usb/lp0" or a bare device path.
// Nothing is opened yet. Errors: a malformed target.
func NewESCPOS(target string) (*ESCPOS, error) {
	p := &ESCPOS{target: target, timeout: 5 * time.Second, clock: kiosk.SystemClock{}}
	switch {
	case strings.HasPrefix(target, "tcp://"):
		p.network, p.addr = "tcp", strings.TrimPrefix(target, "tcp://")
		if p.addr == "" {
			return nil, fmt.Errorf("escpos target %q: empty address", target)
		}
		if _, port, err := net.SplitHostPort(p.addr); err != nil || port == "" {
			if err != nil && strings.Contains(err.Error(), "missing port") {
				p.addr = net.JoinHostPort(p.addr, "9100")
			} else {
				return nil, fmt.Errorf("escpos target %q: want tcp://host:port", target)
			}
		}
	case strings.HasPrefix(target, "file:"):
		p.network, p.addr = "file", strings.TrimPrefix(target, "file:")
	case strings.HasPrefix(target, "/"):
		p.network, p.addr = "file", target
	default:
		return nil, fmt.Errorf("escpos target %q: want tcp://host:port, file:PATH or /dev/…", target)
	}
	if p.addr == "" {
		return nil, fmt.Errorf("escpos target %q: empty address", target)
	}
	return p, nil
}

// SetTimeout sets the connect and I/O timeout (5 s by default).
func (p *ESCPOS) SetTimeout(d time.Duration) { p.mu.Lock(); p.timeout = d; p.mu.Unlock() }

// SetRasterQR prints QR codes as raster images (GS v 0) for printers without native QR support.
func (p *ESCPOS) SetRasterQR(on bool) { p.mu.Lock(); p.rasterQR = on; p.mu.Unlock() }

// SetClock sets the clock that stamps test pages.
func (p *ESCPOS) SetClock(c kiosk.Clock) { p.mu.Lock(); p.clock = c; p.mu.Unlock() }

// Target returns the target the printer was made with.
func (p *ESCPOS) Target() string { return p.target }

// conn is a printer connection with deadlines.
type conn interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// sinkFile is a regular file used as a printer (debugging): writes only, no status.
type sinkFile struct{ *os.File }

// SetReadDeadline does nothing: regular files do not block.
func (sinkFile) SetReadDeadline(time.Time) error { return nil }

// SetWriteDeadline does nothing: regular files do not block.
func (sinkFile) SetWriteDeadline(time.Time) error { return nil }

func (p *ESCPOS) open(ctx context.Context) (conn, bool, error) {
	switch p.network {
	case "tcp":
		d := net.Dialer{Timeout: p.timeout}
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err != nil {
			return nil, false, err
		}
		return c.(*net.TCPConn), false, nil
	default:
		fi, err := os.Stat(p.addr)
		if err == nil && fi.Mode().IsRegular() {
			f, err := os.OpenFile(p.addr, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return nil, false, err
			}
			return sinkFile{f}, true, nil
		}
		f, err := os.OpenFile(p.addr, os.O_RDWR|syscall.O_NOCTTY, 0)
		if err != nil {
			return nil, false, err
		}
		return f, false, nil
	}
}

// query asks DLE EOT 1..4 on c and parses the four reply bytes.
func (p *ESCPOS) query(c conn) (kiosk.PrinterStatus, error) {
	req := append(append(append(escpos.StatusRequest(1), escpos.StatusRequest(2)...), escpos.StatusRequest(3)...), escpos.StatusRequest(4)...)
	deadline := time.Now().Add(p.timeout)
	if err := c.SetWriteDeadline(deadline); err != nil {
		return kiosk.PrinterStatus{}, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := c.Write(req); err != nil {
		return kiosk.PrinterStatus{}, fmt.Errorf("status request: %w", err)
	}
	if err := c.SetReadDeadline(deadline); err != nil {
		return kiosk.PrinterStatus{}, fmt.Errorf("set deadline: %w", err)
	}
	reply := make([]byte, 4)
	if _, err := io.ReadFull(c, reply); err != nil {
		return kiosk.PrinterStatus{}, fmt.Errorf("status reply: %w", err)
	}
	return escpos.ParseStatus(reply)
}

// status opens the printer and reads its state. A printer that cannot be reached or does not answer is
// reported offline with the cause in Detail (and c is nil); only ctx errors are returned as errors.
func (p *ESCPOS) status(ctx context.Context) (kiosk.PrinterStatus, conn, error) {
	if err := ctx.Err(); err != nil {
		return kiosk.PrinterStatus{}, nil, err
	}
	c, sink, err := p.open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return kiosk.PrinterStatus{}, nil, ctx.Err()
		}
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("escpos %s: %v", p.target, err)}, nil, nil
	}
	if sink {
		return kiosk.PrinterStatus{Online: true, Detail: "escpos file " + p.addr + " (no status)"}, c, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	st, err := p.query(c)
	stop()
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return kiosk.PrinterStatus{}, nil, ctx.Err()
		}
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("escpos %s: %v", p.target, err)}, nil, nil
	}
	return st, c, nil
}

// Status asks the printer for its state (DLE EOT 1..4). An unreachable or silent printer is reported
// offline with the cause in Detail; the error is non-nil only when ctx ends.
func (p *ESCPOS) Status(ctx context.Context) (kiosk.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, c, err := p.status(ctx)
	if c != nil {
		c.Close()
	}
	return st, err
}

// Print checks the printer's state and, only when it can print, sends doc and checks the state again.
// Errors: *StatusError wrapping kiosk.ErrPaperOut, kiosk.ErrPrinterOffline, kiosk.ErrCoverOpen or
// kiosk.ErrPrinterFault (nothing was sent when this comes from the first check), ErrNoDocument, ctx errors,
// and I/O errors wrapping kiosk.ErrPrinterOffline when the connection fails mid-job.
func (p *ESCPOS) Print(ctx context.Context, doc kiosk.Document) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	data, err := DocumentESCPOS(doc, p.clock.Now(), p.rasterQR)
	if err != nil {
		return fmt.Errorf("escpos: %w", err)
	}
	st, c, err := p.status(ctx)
	if err != nil {
		return err
	}
	if c == nil || st.Err() != nil {
		if c != nil {
			c.Close()
		}
		if st.Err() == nil {
			st.Online = false
		}
		return statusError(st)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetWriteDeadline(time.Now()); _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	// a generous write timeout: slow printers take the job at their print speed
	if err := c.SetWriteDeadline(time.Now().Add(p.timeout + time.Duration(len(data))*time.Millisecond/16)); err != nil {
		return fmt.Errorf("escpos: %w", err)
	}
	if _, err := c.Write(data); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("escpos write: %v: %w", err, kiosk.ErrPrinterOffline)
	}
	if _, sink := c.(sinkFile); sink {
		return nil
	}
	// Confirm: the printer still answers and did not run out of paper during the job.
	after, err := p.query(c)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("escpos after print: %v: %w", err, kiosk.ErrPrinterOffline)
	}
	if e := statusError(after); e != nil {
		return fmt.Errorf("escpos: during print: %w", e)
	}
	return nil
}

// errIsPrinter reports whether err is one of the kiosk printer errors.
func errIsPrinter(err error) bool {
	return errors.Is(err, kiosk.ErrPaperOut) || errors.Is(err, kiosk.ErrPrinterOffline) ||
		errors.Is(err, kiosk.ErrCoverOpen) || errors.Is(err, kiosk.ErrPrinterFault)
}
