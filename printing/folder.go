package printing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"huren/kiosk"
)

// PDFFolder is the demo printer: each document becomes a PDF file in a folder, written durably (temporary
// file, fsync, rename without replacing an existing file, fsync of the folder).
type PDFFolder struct {
	dir   string
	size  Size
	clock kiosk.Clock

	mu       sync.Mutex
	last     string
	simulate *kiosk.PrinterStatus
}

var _ kiosk.Printer = (*PDFFolder)(nil)

// NewPDFFolder makes the folder (0750) if needed and returns a printer writing 80 mm roll PDFs into it.
// Errors: the folder cannot be made or is not a folder.
func NewPDFFolder(dir string) (*PDFFolder, error) {
	if dir == "" {
		return nil, errors.New("pdf folder: empty path")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("pdf folder: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("pdf folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("pdf folder: %s is not a directory", dir)
	}
	return &PDFFolder{dir: dir, size: Roll80, clock: kiosk.SystemClock{}}, nil
}

// SetSize chooses the paper size of the files (Roll80 by default).
func (p *PDFFolder) SetSize(s Size) { p.mu.Lock(); p.size = s; p.mu.Unlock() }

// SetClock sets the clock that stamps test pages and names files.
func (p *PDFFolder) SetClock(c kiosk.Clock) { p.mu.Lock(); p.clock = c; p.mu.Unlock() }

// Simulate makes Status report st instead of the folder's real state (demo and GUI tests: paper out,
// offline …); nil returns to the real state.
func (p *PDFFolder) Simulate(st *kiosk.PrinterStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st == nil {
		p.simulate = nil
		return
	}
	c := *st
	p.simulate = &c
}

// Dir returns the folder.
func (p *PDFFolder) Dir() string { return p.dir }

// LastFile returns the path of the last file printed, or "" before the first print.
func (p *PDFFolder) LastFile() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// Status reports the folder as a printer: online when it exists and is writable.
func (p *PDFFolder) Status(ctx context.Context) (kiosk.PrinterStatus, error) {
	if err := ctx.Err(); err != nil {
		return kiosk.PrinterStatus{}, err
	}
	p.mu.Lock()
	sim := p.simulate
	p.mu.Unlock()
	if sim != nil {
		st := *sim
		if st.Detail == "" {
			st.Detail = "simulated"
		}
		return st, nil
	}
	fi, err := os.Stat(p.dir)
	if err != nil || !fi.IsDir() {
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("folder %s missing", p.dir)}, nil
	}
	f, err := os.CreateTemp(p.dir, ".probe-*")
	if err != nil {
		return kiosk.PrinterStatus{Detail: fmt.Sprintf("folder %s not writable: %v", p.dir, err)}, nil
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	return kiosk.PrinterStatus{Online: true, Detail: "pdf folder " + p.dir}, nil
}

// Print writes doc as a PDF file. It checks Status first: an error wrapping kiosk.ErrPrinterOffline (or the
// simulated fault) means no file was written. Other errors: layout (font missing) or I/O.
func (p *PDFFolder) Print(ctx context.Context, doc kiosk.Document) error {
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("pdf folder status: %w", err)
	}
	if err := statusError(st); err != nil {
		return err
	}
	p.mu.Lock()
	size, now := p.size, p.clock.Now()
	p.mu.Unlock()
	b, err := DocumentPDF(doc, size, now)
	if err != nil {
		return fmt.Errorf("pdf folder: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := writeDurable(p.dir, docName(doc, now), b)
	if err != nil {
		return fmt.Errorf("pdf folder: %w", err)
	}
	p.mu.Lock()
	p.last = path
	p.mu.Unlock()
	return nil
}

// writeDurable writes b as dir/name.pdf (name-2.pdf … when taken) via a temporary file, fsync and rename.
func writeDurable(dir, name string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*.pdf")
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return "", fmt.Errorf("write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close: %w", err)
	}
	if err := os.Chmod(tmp, 0o640); err != nil {
		return "", fmt.Errorf("chmod: %w", err)
	}
	var path string
	for i := 1; ; i++ {
		path = filepath.Join(dir, name+".pdf")
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.pdf", name, i))
		}
		// rename without replacing: an earlier file of the same name is never overwritten
		err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_NOREPLACE)
		if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
			// file systems without RENAME_NOREPLACE: a hard link fails the same way when the name is taken
			err = os.Link(tmp, path)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 1000 {
			return "", fmt.Errorf("rename %s: %w", path, err)
		}
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return path, nil
}

// statusError turns a status that cannot print into an error wrapping the kiosk printer error with the
// backend's detail.
func statusError(st kiosk.PrinterStatus) error {
	base := st.Err()
	if base == nil {
		return nil
	}
	return &StatusError{Status: st, err: base}
}

// StatusError is returned by Print when the printer's state forbids printing; nothing was printed.
// errors.Is matches kiosk.ErrPaperOut, kiosk.ErrPrinterOffline, kiosk.ErrCoverOpen or kiosk.ErrPrinterFault.
type StatusError struct {
	Status kiosk.PrinterStatus
	err    error
}

// Error gives the Chinese message and the backend's detail.
func (e *StatusError) Error() string {
	if e.Status.Detail == "" {
		return e.err.Error()
	}
	return e.err.Error() + " (" + e.Status.Detail + ")"
}

// Unwrap returns the kiosk printer error.
func (e *StatusError) Unwrap() error { return e.err }

// Health reports p's state for admin mode and the heartbeat (device "printer"); the detail is Chinese for
// staff with the backend's own words.
func Health(ctx context.Context, p kiosk.Printer, now time.Time) kiosk.Health {
	h := kiosk.Health{Device: "printer", Checked: now}
	st, err := p.Status(ctx)
	if err != nil {
		h.Detail = "打印机状态未知: " + err.Error()
		return h
	}
	if err := st.Err(); err != nil {
		h.Detail = kiosk.Message(err, false) + " (" + st.Detail + ")"
		return h
	}
	h.OK = true
	h.Detail = "正常"
	if st.PaperNearEnd {
		h.Detail = "纸将用完，请及时更换"
	}
	if st.Detail != "" {
		h.Detail += " (" + st.Detail + ")"
	}
	return h
}

// Reprint prints receipt again from admin mode, marked 补打 with the time at. Errors as p.Print.
func Reprint(ctx context.Context, p kiosk.Printer, receipt kiosk.ReceiptDoc, at time.Time) error {
	receipt.Reprint = at
	return p.Print(ctx, kiosk.Document{Receipt: &receipt})
}

// TestPage prints a test page on p. Errors as p.Print.
func TestPage(ctx context.Context, p kiosk.Printer) error {
	return p.Print(ctx, kiosk.Document{TestPage: true})
}
