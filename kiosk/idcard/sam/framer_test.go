package sam

import (
	"bytes"
	"errors"
	"testing"
)

func collect(t testing.TB, f *Framer) (frames [][]byte, corrupt int) {
	for {
		p, err := f.Next()
		if errors.Is(err, ErrChecksum) {
			corrupt++
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if p == nil {
			return frames, corrupt
		}
		frames = append(frames, p)
	}
}

func TestFramerSplitEverywhere(t *testing.T) {
	a := EncodeResponse(SWFound, []byte{0, 0, 0, 0})
	b := EncodeResponse(SWOK, bytes.Repeat([]byte{0xAA}, 300)) // data full of preamble bytes
	stream := append(append(append([]byte{0x01, 0xAA, 0xAA}, a...), 0x69, 0x96, 0xAA, 0xAA, 0xAA), b...)
	for cut := 0; cut <= len(stream); cut++ {
		var f Framer
		f.Feed(stream[:cut])
		got, c1 := collect(t, &f)
		f.Feed(stream[cut:])
		more, c2 := collect(t, &f)
		got = append(got, more...)
		if c1+c2 != 0 || len(got) != 2 || !bytes.Equal(got[0], a[7:len(a)-1]) || !bytes.Equal(got[1], b[7:len(b)-1]) {
			t.Fatalf("cut %d: %d frames, %d corrupt", cut, len(got), c1+c2)
		}
		if f.Buffered() != 0 {
			t.Fatalf("cut %d: %d bytes left", cut, f.Buffered())
		}
	}
	// Byte by byte.
	var f Framer
	var got [][]byte
	for _, c := range stream {
		f.Feed([]byte{c})
		g, _ := collect(t, &f)
		got = append(got, g...)
	}
	if len(got) != 2 {
		t.Fatalf("byte by byte: %d frames", len(got))
	}
}

func TestFramerCorruptThenGood(t *testing.T) {
	good := EncodeResponse(SWOK, []byte("hello"))
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 0xFF
	var f Framer
	f.Feed(append(append(bad, 0x00, 0x13), good...))
	got, corrupt := collect(t, &f)
	if corrupt != 1 || len(got) != 1 || f.Corrupt != 1 {
		t.Fatalf("got %d frames, %d corrupt", len(got), corrupt)
	}
	// An impossible length is skipped silently.
	f.Feed([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF})
	f.Feed(good)
	got, corrupt = collect(t, &f)
	if corrupt != 0 || len(got) != 1 {
		t.Fatalf("after bad LEN: %d frames, %d corrupt", len(got), corrupt)
	}
}

func TestFramerBounded(t *testing.T) {
	var f Framer
	junk := bytes.Repeat([]byte{0x11, 0x22, 0xAA}, 5000)
	f.Feed(junk)
	if f.Buffered() > maxBuffered {
		t.Fatalf("buffered %d", f.Buffered())
	}
	if p, err := f.Next(); p != nil || err != nil {
		t.Fatal("frame from junk")
	}
	if f.Buffered() > preambleLen {
		t.Fatalf("kept %d bytes of junk", f.Buffered())
	}
	// A started frame with a legal but large length stays buffered until complete.
	f.Reset()
	f.Feed([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x09, 0x60})
	if p, _ := f.Next(); p != nil || f.Buffered() != 7 {
		t.Fatal("partial frame lost")
	}
	// Reset zeroes.
	f.Reset()
	if f.Buffered() != 0 || !bytes.Equal(f.buf[:cap(f.buf)], make([]byte, cap(f.buf))) {
		t.Fatal("reset left bytes")
	}
}

func TestFramerZeroesDropped(t *testing.T) {
	var f Framer
	secret := EncodeResponse(SWOK, []byte("张三 330102198503150133"))
	f.Feed(secret)
	p, err := f.Next()
	if err != nil || p == nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.buf[:cap(f.buf)], make([]byte, cap(f.buf))) {
		t.Fatal("consumed frame left in the buffer")
	}
}

// FuzzFramer feeds arbitrary bytes in arbitrary pieces: every frame it yields must be a valid frame, it must
// never hold more than one maximal frame, and frames embedded in the input after garbage must be found.
func FuzzFramer(f *testing.F) {
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94}, uint8(3))
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97, 0x01}, uint8(1))
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF, 0xAA}, uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		n := int(step%16) + 1
		var fr Framer
		var frames [][]byte
		for i := 0; i < len(data); i += n {
			fr.Feed(data[i:min(i+n, len(data))])
			if fr.Buffered() > maxBuffered {
				t.Fatalf("buffered %d", fr.Buffered())
			}
			g, _ := collect(t, &fr)
			frames = append(frames, g...)
		}
		for _, p := range frames {
			frame := append(append(append([]byte(nil), Preamble[:]...), byte((len(p)+1)>>8), byte(len(p)+1)), p...)
			frame = append(frame, Checksum(frame[5:]))
			if _, m, err := SplitFrame(frame); err != nil || m != len(frame) {
				t.Fatalf("yielded an invalid frame: %v", err)
			}
		}
		// Appending a good frame after the data must always yield it (resynchronisation).
		good := EncodeResponse(SWOK, []byte{1, 2, 3})
		fr.Feed(good)
		g, _ := collect(t, &fr)
		if len(g) == 0 || !bytes.Equal(g[len(g)-1], good[7:len(good)-1]) {
			// The trailing data may have started a frame whose length swallows ours: feed enough
			// filler to finish it, then ours again.
			fr.Feed(make([]byte, maxBuffered))
			collect(t, &fr)
			fr.Feed(good)
			g, _ = collect(t, &fr)
			if len(g) == 0 || !bytes.Equal(g[len(g)-1], good[7:len(good)-1]) {
				t.Fatal("did not resynchronise on a good frame")
			}
		}
	})
}

// FuzzDecode checks that the response decoder never panics and that whatever it accepts is consistent.
func FuzzDecode(f *testing.F) {
	f.Add(EncodeResponse(SWFound, []byte{0, 0, 0, 0}))
	f.Add(EncodeResponse(SWFindFailed, nil))
	f.Add([]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x20, 0x01, 0x22})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, n, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrShort) && !errors.Is(err, ErrPreamble) && !errors.Is(err, ErrLength) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if n > len(b) || n != headerLen+3+len(r.Data)+1 {
			t.Fatalf("n=%d len=%d data=%d", n, len(b), len(r.Data))
		}
		if enc := EncodeResponse(r.SW3, r.Data); r.SW1 == 0 && r.SW2 == 0 && !bytes.Equal(enc, b[:n]) {
			t.Fatal("re-encoding differs")
		}
		_ = r.Err(CmdReadText)
		if c, err := DecodeReadText(append([]byte(nil), r.Data...)); err == nil {
			_ = ValidateCard(c)
		}
	})
}

// FuzzDecodeText checks that any 256-byte text block decodes or fails with ErrMalformed, never panics, and
// that a decoded card re-encodes to a block that decodes to the same card.
func FuzzDecodeText(f *testing.F) {
	for _, mark := range []string{"", "J", "I", "Y"} {
		tx := blank()
		ucs2(tx, 0, "张三")
		ucs2(tx, 30, "1")
		ucs2(tx, 32, "01")
		ucs2(tx, 36, "19850315")
		ucs2(tx, 188, "20150601")
		ucs2(tx, 204, "长期")
		if mark != "" {
			ucs2(tx, 248, mark)
			ucs2(tx, 238, "01")
		}
		f.Add(tx)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeText(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified %v", err)
			}
			return
		}
		_ = ValidateCard(c)
		enc, err := EncodeText(c)
		if err != nil {
			return // e.g. a foreigner number of odd length picks the other layout; not a decoder bug
		}
		c2, err := DecodeText(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if c2.Name != c.Name || c2.Number != c.Number || !c2.Birth.Equal(c.Birth) || !c2.ValidTo.Equal(c.ValidTo) {
			t.Fatalf("round trip: %+v vs %+v", c2, c)
		}
	})
}
