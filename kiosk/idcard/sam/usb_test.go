package sam

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// descriptors of a typical 0400:C35A reader: device, configuration, one vendor-class interface with bulk
// OUT 0x02 and bulk IN 0x81 (64-byte packets), preceded by a HID interface with an interrupt endpoint.
var readerDescriptors = []byte{
	18, 0x01, 0x10, 0x01, 0, 0, 0, 64, 0x00, 0x04, 0x5A, 0xC3, 0x00, 0x01, 1, 2, 3, 1, // device
	9, 0x02, 48, 0, 2, 1, 0, 0x80, 50, // configuration
	9, 0x04, 0, 0, 1, 0x03, 0, 0, 0, // interface 0: HID
	7, 0x05, 0x83, 0x03, 8, 0, 10, // interrupt IN
	9, 0x04, 1, 0, 2, 0xFF, 0, 0, 0, // interface 1: vendor
	7, 0x05, 0x02, 0x02, 64, 0, 0, // bulk OUT 2
	7, 0x05, 0x81, 0x02, 64, 0, 0, // bulk IN 1
}

func TestParseDescriptors(t *testing.T) {
	ep, err := parseDescriptors(readerDescriptors)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Interface != 1 || ep.In != 0x81 || ep.Out != 0x02 || ep.InMax != 64 {
		t.Errorf("got %+v", ep)
	}
	for _, bad := range [][]byte{readerDescriptors[:30], {1, 2}, {9, 0x04, 0}, {0, 0, 0}} {
		if _, err := parseDescriptors(bad); err == nil {
			t.Errorf("accepted % X", bad)
		}
	}
}

func TestParseUSBName(t *testing.T) {
	if v, p, err := parseUSBName("usb"); err != nil || v != 0x0400 || p != 0xC35A {
		t.Errorf("usb: %04x:%04x %v", v, p, err)
	}
	if v, p, err := parseUSBName("usb:10c4:ea60"); err != nil || v != 0x10C4 || p != 0xEA60 {
		t.Errorf("ids: %04x:%04x %v", v, p, err)
	}
	for _, bad := range []string{"usb:", "usb:1", "usb:zzzz:0001", "usb:1:2:3"} {
		if _, _, err := parseUSBName(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestFindUSB(t *testing.T) {
	root := t.TempDir()
	write := func(dev, file, v string) {
		os.MkdirAll(filepath.Join(root, dev), 0o755)
		if err := os.WriteFile(filepath.Join(root, dev, file), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1-1", "idVendor", "1d6b")
	write("1-1", "idProduct", "0002")
	write("1-1:1.0", "idVendor", "0400") // an interface directory: ignored
	write("2-1.4", "idVendor", "0400")
	write("2-1.4", "idProduct", "c35a")
	write("2-1.4", "busnum", "2")
	write("2-1.4", "devnum", "17")
	old := sysfsUSB
	sysfsUSB = root
	defer func() { sysfsUSB = old }()
	node, dir, err := findUSB(USBVendor, USBProduct)
	if err != nil || node != "/dev/bus/usb/002/017" || dir != filepath.Join(root, "2-1.4") {
		t.Fatalf("got %q %q %v", node, dir, err)
	}
	if _, _, err := findUSB(0x1234, 0x5678); !errors.Is(err, ErrNoUSBDevice) {
		t.Errorf("missing: %v", err)
	}
	if _, err := OpenPort("usb:1234:5678", 0); !errors.Is(err, ErrIO) || !errors.Is(err, ErrNoUSBDevice) {
		t.Errorf("OpenPort: %v", err)
	}
}
