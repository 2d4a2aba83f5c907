package store

import (
	"context"
	"errors"
	"testing"

	"huren/kiosk"
)

// FuzzOpenBox feeds arbitrary bytes to the decryption and manifest parsing a stored row goes through:
// anything but a box this store sealed for this receipt must fail with ErrCorrupt, never panic.
func FuzzOpenBox(f *testing.F) {
	s, err := Open(context.Background(), testOptions(f, newFakeClock()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	const rs = "331122-007-261204-0001"
	good, _ := marshalManifest(kiosk.Application{StatusToken: "t"})
	f.Add([]byte{})
	f.Add(make([]byte, 28))
	f.Add(s.seal([]byte("hello"), rs))
	f.Add(s.seal(good, rs))
	f.Fuzz(func(t *testing.T, box []byte) {
		if _, err := s.open(box, rs); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("open: %v", err)
		}
		if _, err := s.unmarshalManifest(box, rs); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("manifest: %v", err)
		}
	})
}
