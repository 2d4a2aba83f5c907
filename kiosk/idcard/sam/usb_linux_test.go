package sam

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestUSBIoctlNumbers(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("values below are for 64-bit platforms")
	}
	// From linux/usbdevice_fs.h.
	for name, c := range map[string][2]uintptr{
		"BULK":             {usbdevfsBulk, 0xC0185502},
		"CLAIMINTERFACE":   {usbdevfsClaim, 0x8004550F},
		"RELEASEINTERFACE": {usbdevfsRelease, 0x80045510},
		"IOCTL":            {usbdevfsIoctl, 0xC0105512},
		"DISCONNECT":       {usbdevfsDisconnect, 0x5516},
	} {
		if c[0] != c[1] {
			t.Errorf("USBDEVFS_%s = %#x, want %#x", name, c[0], c[1])
		}
	}
}

// fakeModule answers bulk transfers like a SAM module on USB: OUT chunks are collected into frames, each
// answer is queued and handed out in 64-byte IN packets.
type fakeModule struct {
	out     [][]byte // every OUT transfer
	fr      Framer
	pending []byte
	gone    bool
}

func (m *fakeModule) xfer(ep uint8, b []byte, _ time.Duration) (int, error) {
	if m.gone {
		return 0, unix.ENODEV
	}
	if ep&0x80 == 0 {
		m.out = append(m.out, append([]byte(nil), b...))
		m.fr.Feed(b)
		if p, _ := m.fr.Next(); p != nil {
			req, _ := ParseRequest(p)
			sw := SWOK
			var data []byte
			if req.Command == CmdFind {
				sw, data = SWFound, make([]byte, 4)
			}
			if req.Command == CmdSAMID {
				data = make([]byte, 200) // a long answer: several IN packets
			}
			m.pending = append(m.pending, EncodeResponse(sw, data)...)
		}
		return len(b), nil
	}
	if len(m.pending) == 0 {
		return 0, unix.ETIMEDOUT
	}
	n := copy(b, m.pending[:min(len(m.pending), usbChunk)])
	m.pending = m.pending[n:]
	return n, nil
}

func TestUSBPortChunks(t *testing.T) {
	m := &fakeModule{}
	p := &USBPort{ep: usbEndpoints{Interface: 1, In: 0x81, Out: 0x02}, timeout: poll, buf: make([]byte, usbChunk), xfer: m.xfer}
	c := &Conn{Port: p, Timeout: 5 * time.Second}
	ctx := context.Background()
	r, err := c.Do(ctx, CmdFind, nil)
	if err != nil || r.Err(CmdFind) != nil {
		t.Fatalf("find: %+v %v", r, err)
	}
	// A long request is cut into 64-byte OUT transfers.
	m.out = nil
	if _, err := c.Do(ctx, Command{0x12, 0xFF}, make([]byte, 150)); err != nil {
		t.Fatal(err)
	}
	if len(m.out) != 3 || len(m.out[0]) != 64 || len(m.out[1]) != 64 || len(m.out[2]) != 160-128 {
		t.Errorf("OUT transfers: %d", len(m.out))
	}
	r, err = c.Do(ctx, CmdSAMID, nil)
	if err != nil || len(r.Data) != 200 {
		t.Fatalf("multi-packet answer: %d bytes, %v", len(r.Data), err)
	}
	m.gone = true
	if _, err := c.Do(ctx, CmdFind, nil); !errors.Is(err, ErrIO) || !errors.Is(err, unix.ENODEV) {
		t.Fatalf("unplugged: %v", err)
	}
	p.Close()
	if _, err := p.Read(make([]byte, 8)); err == nil {
		t.Error("read after close")
	}
}
