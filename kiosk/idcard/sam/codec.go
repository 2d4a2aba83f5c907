// Package sam speaks the SAM module protocol of second-generation ID-card readers (GA/T 467, as published in
// the vendors' public documents): it encodes requests, decodes and validates response frames, classifies the
// status word SW3 into typed errors with Chinese messages, decodes the 256-byte card text of every card type
// into an idcard.Card, and runs the reader loop behind kiosk.CardReader over a serial port or a USB bulk
// device. Fingerprints (command 30 10) are never requested; the photo is dropped as soon as it is received.
package sam

import (
	"errors"
	"fmt"
)

// Preamble starts every frame in both directions.
var Preamble = [5]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

// Frame size limits. LEN counts everything after itself, checksum included.
const (
	preambleLen = 5
	headerLen   = preambleLen + 2 // preamble + LEN
	// MaxLen is the largest LEN accepted: a 30 01 answer is 3 + 4 + 256 + 1024 + 1 = 1288; vendors document
	// frames up to 2321 bytes (text, photo and fingerprints), so anything longer is a corrupted length.
	MaxLen = 2400
	// MinResponseLen is SW1 SW2 SW3 and CHK.
	MinResponseLen = 4
	// MinRequestLen is CMD PARA and CHK.
	MinRequestLen = 3
)

// Command is a request's CMD and PARA bytes.
type Command struct{ Cmd, Para byte }

// The commands this package sends. Fingerprint reading (30 10) deliberately has no name here and Encode
// refuses it.
var (
	CmdReset       = Command{0x10, 0xFF} // reset SAM
	CmdSAMStatus   = Command{0x11, 0xFF} // SAM status (self-test)
	CmdSAMID       = Command{0x12, 0xFF} // read SAM id
	CmdFind        = Command{0x20, 0x01} // find card
	CmdSelect      = Command{0x20, 0x02} // select card
	CmdReadText    = Command{0x30, 0x01} // read text and photo
	CmdReadAddress = Command{0x30, 0x03} // read additional (new) address
)

// Commands lists every command of the table, in the order of the protocol document.
var Commands = []Command{CmdReset, CmdSAMStatus, CmdSAMID, CmdFind, CmdSelect, CmdReadText, CmdReadAddress}

func (c Command) String() string { return fmt.Sprintf("%02X %02X", c.Cmd, c.Para) }

// ErrForbidden is returned by Encode for the fingerprint command 30 10.
var ErrForbidden = errors.New("sam: fingerprint command 30 10 is never sent")

// Checksum is the XOR of b (the bytes after the preamble up to, not including, CHK).
func Checksum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// Encode returns the request frame AA AA AA 96 69 | LEN | CMD | PARA | data | CHK.
// It returns ErrForbidden for 30 10 and an error when data makes the frame longer than MaxLen.
func Encode(c Command, data []byte) ([]byte, error) {
	if c.Cmd == 0x30 && c.Para == 0x10 {
		return nil, ErrForbidden
	}
	n := 2 + len(data) + 1
	if n > MaxLen {
		return nil, fmt.Errorf("sam: request too long (%d bytes)", n)
	}
	f := make([]byte, 0, headerLen+n)
	f = append(f, Preamble[:]...)
	f = append(f, byte(n>>8), byte(n), c.Cmd, c.Para)
	f = append(f, data...)
	f = append(f, Checksum(f[preambleLen:]))
	return f, nil
}

// EncodeResponse returns a response frame AA AA AA 96 69 | LEN | 00 00 SW3 | data | CHK, as a SAM module
// sends it (used by the simulator and tests). It panics when data is longer than MaxLen allows.
func EncodeResponse(sw3 byte, data []byte) []byte {
	n := 3 + len(data) + 1
	if n > MaxLen {
		panic("sam: response too long")
	}
	f := make([]byte, 0, headerLen+n)
	f = append(f, Preamble[:]...)
	f = append(f, byte(n>>8), byte(n), 0x00, 0x00, sw3)
	f = append(f, data...)
	return append(f, Checksum(f[preambleLen:]))
}

// Frame errors. Decode wraps them; classify with errors.Is.
var (
	ErrShort     = errors.New("sam: frame incomplete")     // more bytes are needed
	ErrPreamble  = errors.New("sam: no frame preamble")    // the bytes do not start with the preamble
	ErrLength    = errors.New("sam: frame length invalid") // LEN out of range
	ErrChecksum  = errors.New("sam: frame checksum wrong") // CHK does not match
	ErrMalformed = errors.New("sam: answer malformed")     // the data does not fit the command
)

// SplitFrame checks that b starts with one complete frame and returns its payload (the bytes between LEN and
// CHK) and the frame's total length. Errors wrap ErrShort (b holds only the start of a frame), ErrPreamble,
// ErrLength or ErrChecksum. The payload aliases b.
func SplitFrame(b []byte) (payload []byte, n int, err error) {
	for i := 0; i < preambleLen; i++ {
		if i >= len(b) {
			return nil, 0, ErrShort
		}
		if b[i] != Preamble[i] {
			return nil, 0, ErrPreamble
		}
	}
	if len(b) < headerLen {
		return nil, 0, ErrShort
	}
	l := int(b[5])<<8 | int(b[6])
	if l < MinRequestLen || l > MaxLen {
		return nil, 0, fmt.Errorf("%w: %d", ErrLength, l)
	}
	n = headerLen + l
	if len(b) < n {
		return nil, 0, ErrShort
	}
	if Checksum(b[preambleLen:n-1]) != b[n-1] {
		return nil, 0, ErrChecksum
	}
	return b[headerLen : n-1], n, nil
}

// Response is a decoded answer of the SAM module.
type Response struct {
	SW1, SW2, SW3 byte
	Data          []byte
}

// ParseResponse splits a frame payload into status words and data. Data aliases payload.
// It returns an error wrapping ErrLength when the payload is shorter than SW1 SW2 SW3.
func ParseResponse(payload []byte) (Response, error) {
	if len(payload) < 3 {
		return Response{}, fmt.Errorf("%w: %d payload bytes", ErrLength, len(payload))
	}
	return Response{SW1: payload[0], SW2: payload[1], SW3: payload[2], Data: payload[3:]}, nil
}

// Decode checks one complete response frame (preamble, LEN, checksum) and returns the response and the frame
// length. A status other than success is NOT an error here: see (Response).Err. Errors wrap ErrShort,
// ErrPreamble, ErrLength or ErrChecksum.
func Decode(b []byte) (Response, int, error) {
	p, n, err := SplitFrame(b)
	if err != nil {
		return Response{}, 0, err
	}
	r, err := ParseResponse(p)
	if err != nil {
		return Response{}, 0, err
	}
	return r, n, nil
}

// Request is a decoded request (used by the simulator).
type Request struct {
	Command
	Data []byte
}

// ParseRequest splits a request frame payload into command and data. Data aliases payload.
func ParseRequest(payload []byte) (Request, error) {
	if len(payload) < 2 {
		return Request{}, fmt.Errorf("%w: %d payload bytes", ErrLength, len(payload))
	}
	return Request{Command: Command{payload[0], payload[1]}, Data: payload[2:]}, nil
}
