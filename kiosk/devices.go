package kiosk

import (
	"context"
	"errors"
	"image"
	"time"

	"huren/kiosk/idcard"
)

// CardReader reads the text of a second-generation ID card (never fingerprints, never the photo).
//
// Read blocks until a card newly placed on the reader has been read, ctx ends (ctx.Err() is returned), or the
// reader fails. A card that stays on the reader is reported once. Errors are *UserError values with a Chinese
// message (for example 请重新放置身份证) wrapping the cause.
type CardReader interface {
	Read(ctx context.Context) (idcard.Card, error)
}

// RawPage is one page as a device or a hot folder delivered it, before normalisation.
type RawPage struct {
	Data        []byte
	ContentType string // as sniffed or declared: image/jpeg, image/png, application/pdf …
	Source      string // device or file name, for logs
}

// Camera is the document camera (高拍仪) or anything that delivers document pages.
//
// Preview returns the latest downscaled frame for the screen (the GUI polls it about 10 times a second);
// Capture returns one full-resolution page. Both return ctx.Err() when ctx ends and *UserError values
// with Chinese messages for device faults.
type Camera interface {
	Preview(ctx context.Context) (image.Image, error)
	Capture(ctx context.Context) (RawPage, error)
}

// ReceiptDoc is the content of a receipt, already masked: nothing here may be a full name or ID number.
type ReceiptDoc struct {
	Receipt      Receipt
	StatusURL    string // what the QR code holds
	MaskedName   string
	MaskedNumber string
	Route        Route
	Condition    Condition
	Materials    []string // labels of the materials received, with page counts
	AcceptedAt   time.Time
	DueAt        time.Time // end of the 2nd working day after acceptance
	Hotline      string
	KioskNo      int
	Reprint      time.Time // non-zero on a reprint from admin mode: marked 补打 with this time
}

// RefusalDoc is the content of a refusal notice (不予受理告知): every reason at once.
type RefusalDoc struct {
	MaskedName   string
	MaskedNumber string
	Route        Route
	Condition    Condition
	Reasons      []Reason
	At           time.Time
	Hotline      string
	KioskNo      int
}

// Document is what a printer prints: exactly one of the fields is set.
type Document struct {
	Receipt  *ReceiptDoc
	Refusal  *RefusalDoc
	TestPage bool // a test page for staff (admin mode)
}

// PrinterStatus is what a printer reports before a print.
type PrinterStatus struct {
	Online        bool
	PaperOut      bool
	PaperNearEnd  bool
	CoverOpen     bool
	CutterError   bool
	Unrecoverable bool
	Detail        string // the backend's own words (CUPS state reasons, ESC/POS bytes), for staff
}

// Err returns the error a print would fail with in this state, or nil when the printer can print.
func (s PrinterStatus) Err() error {
	switch {
	case !s.Online:
		return ErrPrinterOffline
	case s.PaperOut:
		return ErrPaperOut
	case s.CoverOpen:
		return ErrCoverOpen
	case s.CutterError || s.Unrecoverable:
		return ErrPrinterFault
	}
	return nil
}

// Printer errors; backends wrap them with their detail so errors.Is works.
var (
	ErrPrinterOffline = &UserError{Zh: "打印机未连接", En: "The printer is offline"}
	ErrPaperOut       = &UserError{Zh: "打印纸已用完", En: "The printer is out of paper"}
	ErrCoverOpen      = &UserError{Zh: "打印机盖未关好", En: "The printer cover is open"}
	ErrPrinterFault   = &UserError{Zh: "打印机故障", En: "The printer has a fault"}
)

// Printer prints documents. Print checks Status first and returns an error wrapping one of the printer
// errors above when it cannot print (nothing is printed then); it returns nil only after the job completed.
type Printer interface {
	Print(ctx context.Context, doc Document) error
	Status(ctx context.Context) (PrinterStatus, error)
}

// Health is one device's state for admin mode and the heartbeat.
type Health struct {
	Device  string    `json:"device"` // reader, camera, printer
	OK      bool      `json:"ok"`
	Detail  string    `json:"detail"` // Chinese for staff, with the cause
	Checked time.Time `json:"checked"`
}

// ErrBacklog is wrapped when the kiosk refuses new applications (too many unsent, disk too full, store damaged).
var ErrBacklog = errors.New("backlog guard")
