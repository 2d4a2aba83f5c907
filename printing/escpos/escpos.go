// Package escpos is a small ESC/POS encoder for 80 mm thermal receipt printers: initialise, GB18030 text,
// bold, double size, reverse, alignment, native QR codes (GS ( k, model 2), raster images (GS v 0) as the
// fallback for printers without native QR, feed and cut (GS V), and the real-time status request
// (DLE EOT 1..4) with a parser into kiosk.PrinterStatus.
//
// Byte sequences follow Epson's ESC/POS command reference, which Chinese thermal printers (Xprinter,
// GPrinter, SNBC …) implement.
package escpos

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"huren/kiosk"
)

// Control bytes.
const (
	ESC = 0x1B
	GS  = 0x1D
	FS  = 0x1C
	DLE = 0x10
	EOT = 0x04
	LF  = 0x0A
)

// Align is a justification for ESC a.
type Align byte

const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// QR error correction levels for GS ( k function 169.
const (
	QRLevelL byte = 48
	QRLevelM byte = 49
	QRLevelQ byte = 50
	QRLevelH byte = 51
)

// ErrTooLong is returned when data does not fit a command's length field.
var ErrTooLong = errors.New("escpos: data too long")

// Buffer accumulates ESC/POS commands. The zero value is ready to use.
type Buffer struct {
	b []byte
}

// Bytes returns the commands so far.
func (w *Buffer) Bytes() []byte { return w.b }

// Len returns the number of bytes so far.
func (w *Buffer) Len() int { return len(w.b) }

// Raw appends bytes unchanged.
func (w *Buffer) Raw(b ...byte) *Buffer { w.b = append(w.b, b...); return w }

// Init resets the printer (ESC @) and selects Chinese character mode (FS &) so GB18030 double-byte text prints
// as Chinese characters.
func (w *Buffer) Init() *Buffer { return w.Raw(ESC, '@', FS, '&') }

// Bold turns emphasis on or off (ESC E n).
func (w *Buffer) Bold(on bool) *Buffer { return w.Raw(ESC, 'E', b2i(on)) }

// Reverse turns white-on-black printing on or off (GS B n).
func (w *Buffer) Reverse(on bool) *Buffer { return w.Raw(GS, 'B', b2i(on)) }

// Size sets the character size (GS ! n): width and height multipliers 1..8 (clamped).
func (w *Buffer) Size(width, height int) *Buffer {
	width, height = clamp(width, 1, 8), clamp(height, 1, 8)
	return w.Raw(GS, '!', byte((width-1)<<4|(height-1)))
}

// Font selects font A (12×24, false) or font B (9×17, true) for ASCII (ESC M n).
func (w *Buffer) Font(small bool) *Buffer { return w.Raw(ESC, 'M', b2i(small)) }

// Align sets the justification (ESC a n).
func (w *Buffer) Align(a Align) *Buffer { return w.Raw(ESC, 'a', byte(a)) }

// Text appends s encoded in GB18030 (no line feed). Characters GB18030 cannot encode become '?'.
func (w *Buffer) Text(s string) *Buffer {
	w.b = append(w.b, EncodeGB18030(s)...)
	return w
}

// Line appends s in GB18030 and a line feed.
func (w *Buffer) Line(s string) *Buffer { return w.Text(s).Raw(LF) }

// LF appends a line feed.
func (w *Buffer) LF() *Buffer { return w.Raw(LF) }

// Feed prints the buffer and feeds n lines (ESC d n).
func (w *Buffer) Feed(lines int) *Buffer { return w.Raw(ESC, 'd', byte(clamp(lines, 0, 255))) }

// FeedDots prints the buffer and feeds n dots (ESC J n).
func (w *Buffer) FeedDots(dots int) *Buffer { return w.Raw(ESC, 'J', byte(clamp(dots, 0, 255))) }

// Cut cuts the paper (GS V m): full (m=0) or partial (m=1).
func (w *Buffer) Cut(partial bool) *Buffer { return w.Raw(GS, 'V', b2i(partial)) }

// FeedCut feeds the paper n dots past the print position to the cutter and cuts it
// (GS V 65 n full / GS V 66 n partial).
func (w *Buffer) FeedCut(dots int, partial bool) *Buffer {
	m := byte(65)
	if partial {
		m = 66
	}
	return w.Raw(GS, 'V', m, byte(clamp(dots, 0, 255)))
}

// gsk appends GS ( k pL pH cn fn params….
func (w *Buffer) gsk(fn byte, params ...byte) {
	n := len(params) + 2
	w.Raw(GS, '(', 'k', byte(n), byte(n>>8), '1', fn)
	w.Raw(params...)
}

// QR appends a native QR code: model 2 (fn 165), module size 1..16 dots (fn 167), error correction level
// (fn 169, one of QRLevel*), store data (fn 180) and print (fn 181). Errors: ErrTooLong (over 7089 bytes).
func (w *Buffer) QR(data []byte, module int, level byte) error {
	if len(data) == 0 || len(data) > 7089 {
		return fmt.Errorf("qr %d bytes: %w", len(data), ErrTooLong)
	}
	if level < QRLevelL || level > QRLevelH {
		level = QRLevelM
	}
	w.gsk('A', '2', 0) // fn 165: model 2
	w.gsk('C', byte(clamp(module, 1, 16)))
	w.gsk('E', level)
	w.gsk('P', append([]byte{'0'}, data...)...) // fn 180: store
	w.gsk('Q', '0')                             // fn 181: print
	return nil
}

// Raster appends a raster bit image (GS v 0, normal density): width in dots (rounded up to whole bytes),
// rows of packed bits, most significant bit left, 1 = black. Errors: ErrTooLong when bits is too short or
// the image exceeds the command's limits.
func (w *Buffer) Raster(widthDots, height int, bits []byte) error {
	bw := (widthDots + 7) / 8
	if bw <= 0 || height <= 0 || bw > 0xFFFF || height > 0xFFFF || len(bits) < bw*height {
		return fmt.Errorf("raster %d×%d with %d bytes: %w", widthDots, height, len(bits), ErrTooLong)
	}
	w.Raw(GS, 'v', '0', 0, byte(bw), byte(bw>>8), byte(height), byte(height>>8))
	w.Raw(bits[:bw*height]...)
	return nil
}

// StatusRequest returns DLE EOT n (n = 1 printer, 2 offline cause, 3 error cause, 4 paper roll sensor).
func StatusRequest(n byte) []byte { return []byte{DLE, EOT, n} }

// ErrStatus is wrapped by ParseStatus for bytes that are not status replies.
var ErrStatus = errors.New("escpos: not a status reply")

// valid reports whether a DLE EOT reply has its fixed bits (bit 0 and 7 clear, bits 1 and 4 set).
func valid(b byte) bool { return b&0x93 == 0x12 }

// ParseStatus reads the replies to DLE EOT 1, 2, 3 and 4 (one byte each, in that order). Errors wrap
// ErrStatus when a byte lacks the fixed bits of a status reply or fewer than 4 bytes came.
func ParseStatus(reply []byte) (kiosk.PrinterStatus, error) {
	if len(reply) < 4 {
		return kiosk.PrinterStatus{}, fmt.Errorf("%d of 4 status bytes: %w", len(reply), ErrStatus)
	}
	for i, b := range reply[:4] {
		if !valid(b) {
			return kiosk.PrinterStatus{}, fmt.Errorf("DLE EOT %d reply %#02x: %w", i+1, b, ErrStatus)
		}
	}
	p, off, errc, paper := reply[0], reply[1], reply[2], reply[3]
	// The printer answered, so it is connected. Epson printers also set the offline bit while the cover is
	// open, the paper has ended or an error stops them; Online is false only for an offline state without
	// one of those causes, so the cause is what PrinterStatus.Err reports.
	st := kiosk.PrinterStatus{
		Online:        p&0x08 == 0 || off&0x24 != 0 || paper&0x60 != 0 || errc&0x2C != 0,
		CoverOpen:     off&0x04 != 0,
		PaperOut:      off&0x20 != 0 || paper&0x60 != 0,
		PaperNearEnd:  paper&0x0C != 0,
		CutterError:   errc&0x08 != 0,
		Unrecoverable: errc&0x20 != 0 || errc&0x04 != 0,
	}
	var d []string
	if p&0x08 != 0 {
		d = append(d, "offline")
	}
	if st.CoverOpen {
		d = append(d, "cover open")
	}
	if st.PaperOut {
		d = append(d, "paper end")
	} else if st.PaperNearEnd {
		d = append(d, "paper near end")
	}
	if st.CutterError {
		d = append(d, "autocutter error")
	}
	if errc&0x04 != 0 {
		d = append(d, "mechanical error")
	}
	if errc&0x20 != 0 {
		d = append(d, "unrecoverable error")
	}
	if errc&0x40 != 0 {
		d = append(d, "auto-recoverable error")
	}
	if off&0x40 != 0 && len(d) == 0 {
		d = append(d, "error")
	}
	if len(d) == 0 {
		d = append(d, "ready")
	}
	st.Detail = fmt.Sprintf("escpos %s [% x]", strings.Join(d, ", "), reply[:4])
	return st, nil
}

// EncodeGB18030 encodes s in GB18030; characters it cannot encode (there are none in Unicode, but invalid
// UTF-8 may occur) become '?'.
func EncodeGB18030(s string) []byte {
	enc := simplifiedchinese.GB18030.NewEncoder()
	if b, err := enc.Bytes([]byte(s)); err == nil {
		return b
	}
	var out []byte
	for _, r := range s {
		b, err := enc.Bytes([]byte(string(r)))
		if err != nil {
			b = []byte{'?'}
		}
		out = append(out, b...)
	}
	return out
}

func b2i(on bool) byte {
	if on {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
