//go:build linux

package sam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// usbfs ioctl numbers (linux/usbdevice_fs.h), computed as _IOC(dir, 'U', nr, size).
const (
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'U'<<8 | nr }

// usbdevfs_bulktransfer { unsigned int ep, len, timeout /* ms */; void *data; }
type bulkTransfer struct {
	Ep, Len, Timeout uint32
	Data             unsafe.Pointer
}

// usbdevfs_ioctl { int ifno; int ioctl_code; void *data; }
type usbIoctl struct {
	Ifno, Code int32
	Data       unsafe.Pointer
}

var (
	usbdevfsBulk       = ioc(iocRead|iocWrite, 2, unsafe.Sizeof(bulkTransfer{}))
	usbdevfsClaim      = ioc(iocRead, 15, 4)
	usbdevfsRelease    = ioc(iocRead, 16, 4)
	usbdevfsIoctl      = ioc(iocRead|iocWrite, 18, unsafe.Sizeof(usbIoctl{}))
	usbdevfsDisconnect = uintptr(0x5516) // _IO('U', 22)
)

// USBPort is a SAM reader on USB bulk endpoints through Linux usbfs (no cgo, no libusb).
// It needs write access to the /dev/bus/usb node (root or a udev rule).
type USBPort struct {
	f       *os.File
	ep      usbEndpoints
	mu      sync.Mutex
	timeout time.Duration
	buf     []byte // heap buffer handed to the kernel
	closed  bool
	// xfer runs one bulk transfer; (*USBPort).bulk, replaced in tests.
	xfer func(ep uint8, b []byte, timeout time.Duration) (int, error)
}

var _ Port = (*USBPort)(nil)

// OpenUSB opens the first USB reader named by name ("usb" for 0400:C35A, or "usb:VVVV:PPPP"): it finds the
// device in sysfs, reads its descriptors for the bulk endpoints, detaches a kernel driver if one is bound and
// claims the interface. Errors wrap ErrNoUSBDevice when no such device is attached.
func OpenUSB(name string) (*USBPort, error) {
	vid, pid, err := parseUSBName(name)
	if err != nil {
		return nil, err
	}
	node, dir, err := findUSB(vid, pid)
	if err != nil {
		return nil, err
	}
	desc, err := os.ReadFile(filepath.Join(dir, "descriptors"))
	if err != nil {
		return nil, fmt.Errorf("usb descriptors: %w", err)
	}
	ep, err := parseDescriptors(desc)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(node, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", node, err)
	}
	p := &USBPort{f: f, ep: ep, timeout: poll, buf: make([]byte, usbChunk)}
	p.xfer = p.bulk
	// Detach a kernel driver if any; ENODATA means none was bound.
	ctl := usbIoctl{Ifno: int32(ep.Interface), Code: int32(usbdevfsDisconnect)}
	if err := p.ioctl(usbdevfsIoctl, unsafe.Pointer(&ctl)); err != nil && !errors.Is(err, unix.ENODATA) {
		f.Close()
		return nil, fmt.Errorf("usb detach driver: %w", err)
	}
	ifno := uint32(ep.Interface)
	if err := p.ioctl(usbdevfsClaim, unsafe.Pointer(&ifno)); err != nil {
		f.Close()
		return nil, fmt.Errorf("usb claim interface %d: %w", ep.Interface, err)
	}
	return p, nil
}

func (p *USBPort) ioctl(req uintptr, arg unsafe.Pointer) error {
	var pin runtime.Pinner
	pin.Pin(arg)
	defer pin.Unpin()
	rc, err := p.f.SyscallConn()
	if err != nil {
		return err
	}
	var errno error
	if err := rc.Control(func(fd uintptr) {
		for {
			_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
			if e == unix.EINTR {
				continue
			}
			if e != 0 {
				errno = e
			}
			return
		}
	}); err != nil {
		return err
	}
	return errno
}

// bulk runs one bulk transfer of at most 64 bytes on endpoint ep.
func (p *USBPort) bulk(ep uint8, b []byte, timeout time.Duration) (int, error) {
	var pin runtime.Pinner
	pin.Pin(&b[0])
	defer pin.Unpin()
	ms := uint32(max(timeout.Milliseconds(), 1))
	t := bulkTransfer{Ep: uint32(ep), Len: uint32(len(b)), Timeout: ms, Data: unsafe.Pointer(&b[0])}
	rc, err := p.f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n uintptr
	var errno unix.Errno
	if err := rc.Control(func(fd uintptr) {
		for {
			n, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, usbdevfsBulk, uintptr(unsafe.Pointer(&t)))
			if errno != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// Read reads one bulk IN transfer (up to 64 bytes); it returns (0, nil) when the read timeout passes.
func (p *USBPort) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, os.ErrClosed
	}
	if len(b) == 0 {
		return 0, nil
	}
	n, err := p.xfer(p.ep.In, p.buf, p.timeout)
	if errors.Is(err, unix.ETIMEDOUT) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("usb bulk in: %w", err)
	}
	n = copy(b, p.buf[:n]) // a short b loses the rest of the packet; Conn reads with 512 bytes
	clear(p.buf)
	return n, nil
}

// Write writes b in 64-byte bulk OUT transfers.
func (p *USBPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, os.ErrClosed
	}
	done := 0
	for done < len(b) {
		n := copy(p.buf, b[done:])
		m, err := p.xfer(p.ep.Out, p.buf[:n], time.Second)
		clear(p.buf)
		if err != nil {
			return done, fmt.Errorf("usb bulk out: %w", err)
		}
		done += m
	}
	return done, nil
}

// SetReadTimeout sets the bulk IN timeout.
func (p *USBPort) SetReadTimeout(d time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timeout = d
	return nil
}

// ResetInputBuffer is a no-op: USB has no input queue to purge (the framer drops stale bytes).
func (p *USBPort) ResetInputBuffer() error { return nil }

// Close releases the interface and closes the device node. A Read in progress finishes within its timeout.
func (p *USBPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.f == nil { // test port
		return nil
	}
	ifno := uint32(p.ep.Interface)
	_ = p.ioctl(usbdevfsRelease, unsafe.Pointer(&ifno))
	return p.f.Close()
}
