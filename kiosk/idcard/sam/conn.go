package sam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.bug.st/serial"
)

// Port is a byte transport to a SAM module: a serial port, a USB bulk pair, or a fake in tests.
// Read returns (0, nil) when the read timeout passes without data.
type Port interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadTimeout(d time.Duration) error
	ResetInputBuffer() error
	Close() error
}

// DefaultBaud is the SAM modules' factory setting (8 data bits, no parity, 1 stop bit).
const DefaultBaud = 115200

// ErrIO is wrapped when the transport fails (the reader was unplugged, the device vanished, a write failed).
var ErrIO = errors.New("sam: transport failed")

// ErrTimeout is wrapped when the module did not answer in time.
var ErrTimeout = errors.New("sam: no answer")

// OpenPort opens the transport named by path: "usb" or "usb:VVVV:PPPP" (optionally "usb:VVVV:PPPP@BUS/DEV")
// for a USB bulk reader through Linux usbfs, anything else a serial device opened at baud 8N1 (DefaultBaud
// when baud <= 0). Errors wrap ErrIO.
func OpenPort(path string, baud int) (Port, error) {
	if path == "usb" || strings.HasPrefix(path, "usb:") {
		p, err := OpenUSB(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrIO, err)
		}
		return p, nil
	}
	if baud <= 0 {
		baud = DefaultBaud
	}
	p, err := serial.Open(path, &serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrIO, path, err)
	}
	return p, nil
}

// Conn exchanges request and response frames over a Port, one at a time.
type Conn struct {
	Port    Port
	Timeout time.Duration // per exchange; DefaultTimeout when zero
	fr      Framer
	buf     [512]byte
}

// DefaultTimeout is how long Do waits for an answer: a 30 01 answer is 1295 bytes (0.11 s at 115200 baud)
// and the module needs up to about a second to read the chip.
const DefaultTimeout = 3 * time.Second

// poll is the longest a single port read blocks, so cancellation is noticed quickly.
const poll = 100 * time.Millisecond

// Do sends command c with data and waits for one answer frame. It returns the response whatever its SW3
// (check it with Response.Err); Data is a fresh buffer the caller should zero after use. Errors: ctx.Err()
// when ctx ends; wrapping ErrIO when the port fails; ErrTimeout when no valid frame came in time; ErrChecksum
// when a damaged frame came; ErrLength for a frame too short to hold a status.
func (c *Conn) Do(ctx context.Context, cmd Command, data []byte) (Response, error) {
	req, err := Encode(cmd, data)
	if err != nil {
		return Response{}, err
	}
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	c.fr.Reset()
	_ = c.Port.ResetInputBuffer() // stale bytes of an earlier answer; a pty may refuse, the framer copes anyway
	for off := 0; off < len(req); {
		n, err := c.Port.Write(req[off:])
		if err != nil {
			return Response{}, fmt.Errorf("%w: write %s: %w", ErrIO, cmd, err)
		}
		if n <= 0 {
			return Response{}, fmt.Errorf("%w: write %s: no progress", ErrIO, cmd)
		}
		off += n
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)
	defer clear(c.buf[:])
	for {
		if err := ctx.Err(); err != nil {
			c.fr.Reset()
			return Response{}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			c.fr.Reset()
			return Response{}, fmt.Errorf("%w to %s within %v", ErrTimeout, cmd, timeout)
		}
		if err := c.Port.SetReadTimeout(min(left, poll)); err != nil {
			return Response{}, fmt.Errorf("%w: set timeout: %w", ErrIO, err)
		}
		n, err := c.Port.Read(c.buf[:])
		if err != nil {
			c.fr.Reset()
			return Response{}, fmt.Errorf("%w: read %s: %w", ErrIO, cmd, err)
		}
		c.fr.Feed(c.buf[:n])
		clear(c.buf[:n])
		p, err := c.fr.Next()
		if err != nil {
			c.fr.Reset()
			return Response{}, fmt.Errorf("answer to %s: %w", cmd, err)
		}
		if p == nil {
			continue
		}
		r, err := ParseResponse(p)
		if err != nil {
			clear(p)
			c.fr.Reset()
			return Response{}, fmt.Errorf("answer to %s: %w", cmd, err)
		}
		c.fr.Reset() // nothing after the answer belongs to this exchange
		return r, nil
	}
}

// Close closes the port.
func (c *Conn) Close() error { return c.Port.Close() }
