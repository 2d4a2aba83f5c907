package sam

import (
	"bytes"
	"errors"
)

// maxBuffered bounds the Framer's buffer: one frame of the largest legal length.
const maxBuffered = headerLen + MaxLen

// Framer resynchronises a byte stream on frame boundaries: it accepts bytes in pieces of any size (partial
// reads), skips garbage by scanning for the preamble, rejects candidates with an impossible length or a wrong
// checksum, and yields the payload of each valid frame. Its memory is bounded by one maximal frame. Bytes it
// drops are zeroed, as they may hold card text. The zero value is ready to use; it is not safe for
// concurrent use.
type Framer struct {
	buf     []byte
	Garbage int // bytes skipped that were not part of a valid frame
	Corrupt int // frames dropped for a wrong checksum
}

// Feed appends bytes read from the stream.
func (f *Framer) Feed(p []byte) {
	for len(p) > 0 {
		room := maxBuffered - len(f.buf)
		if room <= 0 {
			// Cannot happen after Next has run (a buffered prefix is always a possible frame), but keep the
			// bound even when Feed is called many times without Next.
			f.drop(1)
			f.Garbage++
			continue
		}
		n := min(room, len(p))
		f.buf = append(f.buf, p[:n]...)
		p = p[n:]
	}
}

// drop removes n bytes from the front and zeroes the space they leave.
func (f *Framer) drop(n int) {
	m := copy(f.buf, f.buf[n:])
	clear(f.buf[m:])
	f.buf = f.buf[:m]
}

// Buffered returns the number of bytes held (the start of a possible frame).
func (f *Framer) Buffered() int { return len(f.buf) }

// Reset zeroes and empties the buffer (before a new request, so stale answers are not taken for new ones).
func (f *Framer) Reset() {
	clear(f.buf[:cap(f.buf)])
	f.buf = f.buf[:0]
}

// Next returns the payload of the next valid frame (a copy; the caller should zero it after use), or nil and
// a nil error when more bytes are needed. When it discards a frame with a wrong checksum it returns an error
// wrapping ErrChecksum; calling Next again continues after it.
func (f *Framer) Next() ([]byte, error) {
	for {
		i := bytes.Index(f.buf, Preamble[:])
		if i < 0 {
			// Keep a tail that may be the start of a preamble.
			keep := 0
			for k := min(len(f.buf), preambleLen-1); k > 0; k-- {
				if bytes.Equal(f.buf[len(f.buf)-k:], Preamble[:k]) {
					keep = k
					break
				}
			}
			f.Garbage += len(f.buf) - keep
			f.drop(len(f.buf) - keep)
			return nil, nil
		}
		if i > 0 {
			f.Garbage += i
			f.drop(i)
		}
		p, n, err := SplitFrame(f.buf)
		switch {
		case err == nil:
			out := append([]byte(nil), p...)
			f.drop(n)
			return out, nil
		case errors.Is(err, ErrShort):
			return nil, nil
		case errors.Is(err, ErrChecksum):
			f.Corrupt++
			f.Garbage++
			f.drop(1) // a real frame may start inside the bad one
			return nil, err
		default: // impossible length: not a frame start
			f.Garbage++
			f.drop(1)
		}
	}
}
