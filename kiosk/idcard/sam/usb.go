package sam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// USB identity of the common SAM readers with a USB bulk interface.
const (
	USBVendor  = 0x0400
	USBProduct = 0xC35A
	usbChunk   = 64 // full-speed bulk packet size: frames are written and read in 64-byte chunks
)

// ErrNoUSBDevice is wrapped when no USB reader with the wanted ids is attached.
var ErrNoUSBDevice = errors.New("sam: no USB card reader attached")

// sysfsUSB is where Linux lists USB devices (a variable so tests can point it at a fake tree).
var sysfsUSB = "/sys/bus/usb/devices"

// usbEndpoints is what parseDescriptors finds: the interface with one bulk IN and one bulk OUT endpoint.
type usbEndpoints struct {
	Interface int
	In, Out   uint8 // endpoint addresses (In has bit 7 set)
	InMax     int   // wMaxPacketSize of In
}

// parseUSBName parses "usb" or "usb:VVVV:PPPP" (hex ids).
func parseUSBName(name string) (vid, pid uint16, err error) {
	if name == "usb" {
		return USBVendor, USBProduct, nil
	}
	parts := strings.Split(strings.TrimPrefix(name, "usb:"), ":")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("usb port %q: want usb or usb:VVVV:PPPP", name)
	}
	v, err1 := strconv.ParseUint(parts[0], 16, 16)
	p, err2 := strconv.ParseUint(parts[1], 16, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("usb port %q: ids are 4 hex digits", name)
	}
	return uint16(v), uint16(p), nil
}

// findUSB returns the usbfs node (/dev/bus/usb/BBB/DDD) and the sysfs directory of the first device with the
// ids. Errors wrap ErrNoUSBDevice.
func findUSB(vid, pid uint16) (node, dir string, err error) {
	entries, err := os.ReadDir(sysfsUSB)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrNoUSBDevice, err)
	}
	read := func(d, f string) string {
		b, _ := os.ReadFile(filepath.Join(sysfsUSB, d, f))
		return strings.TrimSpace(string(b))
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ":") { // interfaces, not devices
			continue
		}
		if read(e.Name(), "idVendor") != fmt.Sprintf("%04x", vid) || read(e.Name(), "idProduct") != fmt.Sprintf("%04x", pid) {
			continue
		}
		bus, err1 := strconv.Atoi(read(e.Name(), "busnum"))
		dev, err2 := strconv.Atoi(read(e.Name(), "devnum"))
		if err1 != nil || err2 != nil {
			continue
		}
		return fmt.Sprintf("/dev/bus/usb/%03d/%03d", bus, dev), filepath.Join(sysfsUSB, e.Name()), nil
	}
	return "", "", fmt.Errorf("%w (%04x:%04x)", ErrNoUSBDevice, vid, pid)
}

// parseDescriptors walks the device and configuration descriptors (as in sysfs "descriptors" or read from the
// usbfs node) and returns the first interface with a bulk IN and a bulk OUT endpoint.
func parseDescriptors(b []byte) (usbEndpoints, error) {
	var cur, found usbEndpoints
	haveIn, haveOut := false, false
	inIface := false
	for i := 0; i+2 <= len(b); {
		l, typ := int(b[i]), b[i+1]
		if l < 2 || i+l > len(b) {
			return usbEndpoints{}, fmt.Errorf("usb descriptors: bad length %d at %d", l, i)
		}
		switch typ {
		case 0x04: // interface
			if l < 9 {
				return usbEndpoints{}, fmt.Errorf("usb descriptors: short interface descriptor")
			}
			if haveIn && haveOut {
				return found, nil
			}
			cur = usbEndpoints{Interface: int(b[i+2])}
			haveIn, haveOut, inIface = false, false, true
		case 0x05: // endpoint
			if l < 7 {
				return usbEndpoints{}, fmt.Errorf("usb descriptors: short endpoint descriptor")
			}
			if !inIface || b[i+3]&0x03 != 0x02 { // not bulk
				break
			}
			addr := b[i+2]
			if addr&0x80 != 0 && !haveIn {
				cur.In, cur.InMax, haveIn = addr, int(b[i+4])|int(b[i+5]&0x07)<<8, true
			} else if addr&0x80 == 0 && !haveOut {
				cur.Out, haveOut = addr, true
			}
			if haveIn && haveOut {
				found = cur
			}
		}
		i += l
	}
	if haveIn && haveOut {
		return found, nil
	}
	return usbEndpoints{}, errors.New("usb descriptors: no interface with bulk IN and OUT endpoints")
}
