package samsim

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"huren/kiosk/idcard/sam"
)

// rawPort opens the simulator's pty as a plain serial port.
func rawPort(t *testing.T, s *Sim) sam.Port {
	t.Helper()
	p, err := sam.OpenPort(s.Path(), 115200)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readAll collects what the module sends until it has been quiet for a while or enough bytes came.
func readAll(t *testing.T, p sam.Port, want int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 512)
	deadline := time.Now().Add(30 * time.Second)
	p.SetReadTimeout(100 * time.Millisecond)
	for len(got) < want && time.Now().Before(deadline) {
		n, err := p.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	return got
}

func TestSimRawFrames(t *testing.T) {
	s, err := Start(DemoCards()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := rawPort(t, s)
	send := func(b []byte) { p.Write(b) }
	req := func(c sam.Command) []byte { f, _ := sam.Encode(c, nil); return f }

	send(req(sam.CmdFind))
	if got, want := readAll(t, p, 15), []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9F, 0, 0, 0, 0, 0x97}; !bytes.Equal(got, want) {
		t.Errorf("find: % X", got)
	}
	// A request with a wrong checksum is answered 10.
	bad := req(sam.CmdFind)
	bad[len(bad)-1] ^= 1
	send(bad)
	if got := readAll(t, p, 11); !bytes.Equal(got, sam.EncodeResponse(sam.SWChecksum, nil)) {
		t.Errorf("bad checksum: % X", got)
	}
	// An unknown command is answered 21; the fingerprint command 23, and it is recorded.
	f, _ := sam.Encode(sam.Command{Cmd: 0x77, Para: 0x01}, nil)
	send(f)
	if got := readAll(t, p, 11); !bytes.Equal(got, sam.EncodeResponse(sam.SWCommand, nil)) {
		t.Errorf("unknown: % X", got)
	}
	fp := []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x03, 0x30, 0x10, 0x23}
	send(fp)
	if got := readAll(t, p, 11); !bytes.Equal(got, sam.EncodeResponse(sam.SWNotAllowed, nil)) {
		t.Errorf("30 10: % X", got)
	}
	if !s.FingerprintRequested() {
		t.Error("30 10 not recorded")
	}
	// The additional address: no content.
	send(req(sam.CmdReadAddress))
	if got := readAll(t, p, 11); !bytes.Equal(got, sam.EncodeResponse(sam.SWNoContent, nil)) {
		t.Errorf("30 03: % X", got)
	}
	// SAM id: 16 bytes.
	send(req(sam.CmdSAMID))
	if r, _, err := sam.Decode(readAll(t, p, 7+3+16+1)); err != nil || len(r.Data) != 16 || r.SW3 != sam.SWOK {
		t.Errorf("SAM id: %+v %v", r, err)
	}
	// Read: 256 bytes of text and 1024 of photo.
	send(req(sam.CmdReadText))
	r, _, err := sam.Decode(readAll(t, p, 7+3+4+256+1024+1))
	if err != nil || r.SW3 != sam.SWOK || len(r.Data) != 4+256+1024 {
		t.Fatalf("read: %v", err)
	}
	if c, err := sam.DecodeReadText(r.Data); err != nil || c.Name != "张三" {
		t.Errorf("read text: %v", err)
	}
	// A request split into single bytes is still understood.
	for _, b := range req(sam.CmdSAMStatus) {
		send([]byte{b})
		time.Sleep(time.Millisecond)
	}
	if got := readAll(t, p, 11); !bytes.Equal(got, sam.EncodeResponse(sam.SWOK, nil)) {
		t.Errorf("split request: % X", got)
	}
}

func TestSimGarbageAndSplitOnTheWire(t *testing.T) {
	s, err := Start(DemoCards()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetFault(FaultGarbage, FaultSplit)
	p := rawPort(t, s)
	f, _ := sam.Encode(sam.CmdFind, nil)
	p.Write(f)
	want := sam.EncodeResponse(sam.SWFound, make([]byte, 4))
	var got []byte
	for n := 15; !bytes.Contains(got, want) && n < 200; n += 10 {
		got = append(got, readAll(t, p, n-len(got))...)
	}
	i := bytes.Index(got, want)
	if i <= 0 {
		t.Fatalf("no garbage before the frame, or no frame: % X", got)
	}
	var fr sam.Framer
	fr.Feed(got)
	pl, err := fr.Next()
	if err != nil || !bytes.Equal(pl, want[7:len(want)-1]) {
		t.Fatalf("framer: % X %v", pl, err)
	}
}

func TestSimConnFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &sam.Conn{Port: rawPort(t, s), Timeout: 2 * time.Second}
	do := func(cmd sam.Command) (sam.Response, error) { return c.Do(ctx, cmd, nil) }

	if r, err := do(sam.CmdFind); err != nil || !errors.Is(r.Err(sam.CmdFind), sam.ErrNoCard) {
		t.Errorf("no card: %v %v", r.Err(sam.CmdFind), err)
	}
	s.SetFault(FaultSelfTest)
	if r, err := do(sam.CmdSAMStatus); err != nil || !errors.Is(r.Err(sam.CmdSAMStatus), sam.ErrModule) {
		t.Errorf("self-test: %v %v", r.Err(sam.CmdSAMStatus), err)
	}
	s.SetFault(FaultChecksum)
	if _, err := do(sam.CmdSAMStatus); !errors.Is(err, sam.ErrChecksum) {
		t.Errorf("checksum: %v", err)
	}
	s.SetFault(FaultMute)
	if _, err := c.Do(ctx, sam.CmdSAMStatus, nil); !errors.Is(err, sam.ErrTimeout) {
		t.Errorf("mute: %v", err)
	}
	s.SetFault(FaultSlow, FaultSplit, FaultGarbage)
	if r, err := do(sam.CmdSAMStatus); err != nil || r.SW3 != sam.SWOK {
		t.Errorf("slow+split+garbage: %+v %v", r, err)
	}
	s.SetFault(FaultNoCard)
	s.Place(DemoCards()[1])
	if r, _ := do(sam.CmdFind); r.SW3 != sam.SWFindFailed {
		t.Errorf("no-card fault: %02X", r.SW3)
	}
	s.SetFault(FaultRemoveBeforeRead)
	if r, _ := do(sam.CmdSelect); r.SW3 != sam.SWOK {
		t.Errorf("select: %02X", r.SW3)
	}
	if r, _ := do(sam.CmdReadText); r.SW3 != sam.SWReadFailed || s.HasCard() {
		t.Errorf("remove-before-read: %02X, card %v", r.SW3, s.HasCard())
	}
	// Unplugged: the port fails.
	s.Unplug()
	if _, err := do(sam.CmdFind); !errors.Is(err, sam.ErrIO) {
		t.Errorf("unplugged: %v", err)
	}
	for _, f := range []Fault{FaultNone, FaultNoCard, FaultMute, Fault(99)} {
		if g, err := ParseFault(f.String()); f != Fault(99) && (err != nil || g != f) {
			t.Errorf("ParseFault(%s): %v %v", f, g, err)
		}
	}
}

func TestPlaceNext(t *testing.T) {
	cards := DemoCards()
	s, err := Start(cards[0], cards[1])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.HasCard() {
		t.Fatal("first card not placed")
	}
	for _, want := range []int{1, 0, 1} {
		if i, err := s.PlaceNext(); i != want || err != nil {
			t.Errorf("PlaceNext = %d %v, want %d", i, err, want)
		}
	}
	bad := cards[0]
	bad.Sex = "x"
	if err := s.Place(bad); err == nil {
		t.Error("unencodable card placed")
	}
	empty, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if i, _ := empty.PlaceNext(); i != -1 || empty.HasCard() {
		t.Error("PlaceNext without cards")
	}
}
