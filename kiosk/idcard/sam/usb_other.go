//go:build !linux

package sam

import "errors"

// OpenUSB is only implemented on Linux (usbfs).
func OpenUSB(name string) (Port, error) {
	return nil, errors.New("sam: USB readers need Linux usbfs")
}
