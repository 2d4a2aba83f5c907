// Package samsim simulates a SAM module (the secure module of second-generation ID-card readers, GA/T 467)
// on a pseudo-terminal, byte for byte: a sam.Reader opened on Sim.Path() talks to it exactly as it would to
// a reader on /dev/ttyUSB0. Cards can be placed and removed, and faults injected (no card, card removed
// between select and read, checksum errors, garbage between frames, split writes, slow answers, SAM
// self-test failure, unplugging). DemoReader builds the kiosk's demo-mode card reader on top of it.
package samsim

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"huren/kiosk/idcard"
	"huren/kiosk/idcard/sam"
)

// Fault is a misbehaviour of the simulated module.
type Fault int

const (
	FaultNone Fault = iota
	// FaultNoCard: find card answers 80 (no card) even when a card is placed.
	FaultNoCard
	// FaultRemoveBeforeRead: the card is taken away after select: the next read answers 41 (read failed) and
	// the card is gone. One-shot: the fault clears itself.
	FaultRemoveBeforeRead
	// FaultChecksum: every answer carries a wrong checksum.
	FaultChecksum
	// FaultChecksumRead: every answer to read text (30 01) carries a wrong checksum.
	FaultChecksumRead
	// FaultChecksumOnce: the next answer to read text carries a wrong checksum; then the fault clears.
	FaultChecksumOnce
	// FaultGarbage: random bytes (with stray preamble fragments) before and after every answer.
	FaultGarbage
	// FaultSplit: answers are written in pieces of 1–7 bytes with short pauses.
	FaultSplit
	// FaultSlow: every answer is delayed by SlowDelay.
	FaultSlow
	// FaultSelfTest: the SAM fails its self-test: every command answers 60.
	FaultSelfTest
	// FaultMute: the module never answers.
	FaultMute
)

var faultNames = map[Fault]string{FaultNone: "none", FaultNoCard: "no-card", FaultRemoveBeforeRead: "remove-before-read",
	FaultChecksum: "checksum", FaultChecksumRead: "checksum-read", FaultChecksumOnce: "checksum-once", FaultGarbage: "garbage", FaultSplit: "split",
	FaultSlow: "slow", FaultSelfTest: "self-test", FaultMute: "mute"}

func (f Fault) String() string {
	if s, ok := faultNames[f]; ok {
		return s
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault returns the fault with the given name (as printed by String).
func ParseFault(s string) (Fault, error) {
	for f, n := range faultNames {
		if n == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("samsim: unknown fault %q", s)
}

// SlowDelay is how long FaultSlow delays each answer (well under sam.DefaultTimeout).
const SlowDelay = 400 * time.Millisecond

// Sim is a simulated SAM module on a pseudo-terminal. Its methods are safe for concurrent use.
type Sim struct {
	dir  string
	link string
	log  *slog.Logger

	mu       sync.Mutex
	master   *os.File
	tty      *os.File
	done     chan struct{} // closed when the serving goroutine of the current pty ends
	text     []byte        // text block of the placed card; nil when none
	faults   map[Fault]bool
	counts   map[sam.Command]int
	empty    int  // find-card answers "no card" since the last Place/Remove
	forbid   bool // a fingerprint command (30 10) was received
	closed   bool
	cards    []idcard.Card // given to Start, for PlaceNext
	nextCard int
	rnd      *rand.Rand
	photoSeq byte
}

// Start creates a simulated module on a new pseudo-terminal, reachable through the symlink Path(), with the
// first of cards placed on it (none when cards is empty); PlaceNext places the others in turn. Errors come from creating the pty or the link, or
// from a card that cannot be encoded.
func Start(cards ...idcard.Card) (*Sim, error) {
	dir, err := os.MkdirTemp("", "samsim")
	if err != nil {
		return nil, fmt.Errorf("samsim: temp dir: %w", err)
	}
	s := &Sim{dir: dir, link: filepath.Join(dir, "ttySAM0"), log: slog.Default().With("device", "samsim"),
		faults: map[Fault]bool{}, counts: map[sam.Command]int{}, rnd: rand.New(rand.NewPCG(1, 2))}
	s.cards = cards
	if len(cards) > 0 {
		s.nextCard = 1 % len(cards)
		if err := s.Place(cards[0]); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.plug(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Path returns the device path to open with sam.Open: a symlink to the pty's slave that stays the same
// across Unplug and Plug.
func (s *Sim) Path() string { return s.link }

// plug opens a new pty, makes it raw, points the link at it and starts serving (called with mu not held).
func (s *Sim) plug() error {
	m, tty, err := pty.Open()
	if err != nil {
		return fmt.Errorf("samsim: open pty: %w", err)
	}
	// pty.Open leaves the master in blocking mode (Fd was called); reopen it pollable so Close interrupts
	// a pending Read.
	fd, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	m.Close()
	if err != nil {
		tty.Close()
		return fmt.Errorf("samsim: dup pty: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		tty.Close()
		return fmt.Errorf("samsim: pty nonblock: %w", err)
	}
	master := os.NewFile(uintptr(fd), "ptmx")
	if err := makeRaw(tty); err != nil {
		master.Close()
		tty.Close()
		return err
	}
	tmp := s.link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(tty.Name(), tmp); err != nil {
		master.Close()
		tty.Close()
		return fmt.Errorf("samsim: link: %w", err)
	}
	if err := os.Rename(tmp, s.link); err != nil {
		master.Close()
		tty.Close()
		return fmt.Errorf("samsim: link: %w", err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.master, s.tty, s.done = master, tty, done
	s.mu.Unlock()
	go s.serve(master, done)
	return nil
}

// makeRaw puts the pty's line discipline in raw mode (no echo, no CR/LF mapping, byte-wise reads), as a
// serial port to a SAM module is; sam.Open sets the same again.
func makeRaw(tty *os.File) error {
	rc, err := tty.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ierr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ierr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err == nil {
		err = ierr
	}
	if err != nil {
		return fmt.Errorf("samsim: raw mode: %w", err)
	}
	return nil
}

// Unplug simulates pulling the reader's cable: the pty goes away (an open sam.Reader sees an I/O error) and
// the path no longer exists until Plug.
func (s *Sim) Unplug() {
	s.mu.Lock()
	m, tty, done := s.master, s.tty, s.done
	s.master, s.tty, s.done = nil, nil, nil
	s.mu.Unlock()
	os.Remove(s.link)
	if m == nil {
		return
	}
	m.Close()
	tty.Close()
	<-done
}

// Plug attaches the reader again on a new pty at the same Path. Errors come from creating the pty.
func (s *Sim) Plug() error {
	s.mu.Lock()
	plugged, closed := s.master != nil, s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("samsim: closed")
	}
	if plugged {
		return nil
	}
	return s.plug()
}

// Close stops the simulator and removes its pty and link.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	clear(s.text)
	s.text = nil
	s.mu.Unlock()
	s.Unplug()
	return os.RemoveAll(s.dir)
}

// Place puts a card on the reader (replacing any card there). It returns an error when the card cannot be
// encoded (a field too long, a sex or nation without a code).
func (s *Sim) Place(c idcard.Card) error {
	t, err := sam.EncodeText(c)
	if err != nil {
		return fmt.Errorf("samsim: place card: %w", err)
	}
	s.PlaceText(t)
	clear(t)
	return nil
}

// PlaceNext places the next of the cards given to Start (cycling), and returns its index. It returns -1 when
// Start was given none, and an error when the card cannot be encoded.
func (s *Sim) PlaceNext() (int, error) {
	s.mu.Lock()
	if len(s.cards) == 0 {
		s.mu.Unlock()
		return -1, nil
	}
	i := s.nextCard
	c := s.cards[i]
	s.nextCard = (i + 1) % len(s.cards)
	s.mu.Unlock()
	return i, s.Place(c)
}

// PlaceText puts a card with the given raw 256-byte text block on the reader (for tests of bad card data).
func (s *Sim) PlaceText(text []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.text)
	s.text = append([]byte(nil), text...)
	s.empty = 0
}

// Remove takes the card away.
func (s *Sim) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.text)
	s.text = nil
	s.empty = 0
}

// HasCard reports whether a card is on the reader.
func (s *Sim) HasCard() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text != nil
}

// SetFault replaces the active faults with faults (none clears them all).
func (s *Sim) SetFault(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	for _, f := range faults {
		if f != FaultNone {
			s.faults[f] = true
		}
	}
}

// Count returns how many requests with command c the module received.
func (s *Sim) Count(c sam.Command) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[c]
}

// EmptyFinds returns how many find-card requests were answered "no card" since the last Place or Remove.
func (s *Sim) EmptyFinds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.empty
}

// FingerprintRequested reports whether a fingerprint command (30 10) was ever received (it must never be).
func (s *Sim) FingerprintRequested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forbid
}

func (s *Sim) serve(m *os.File, done chan struct{}) {
	defer close(done)
	var fr sam.Framer
	buf := make([]byte, 512)
	for {
		n, err := m.Read(buf)
		if err != nil {
			// EIO while no slave is open is not an end: the reader may open the port later.
			if errors.Is(err, unix.EIO) {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		fr.Feed(buf[:n])
		for {
			p, err := fr.Next()
			if errors.Is(err, sam.ErrChecksum) {
				s.answer(m, sam.Command{}, sam.SWChecksum, nil)
				continue
			}
			if p == nil {
				break
			}
			req, err := sam.ParseRequest(p)
			if err != nil {
				s.answer(m, sam.Command{}, sam.SWLength, nil)
				continue
			}
			s.handle(m, req)
		}
	}
}

// handle answers one request.
func (s *Sim) handle(m *os.File, req sam.Request) {
	s.mu.Lock()
	s.counts[req.Command]++
	f := s.faults
	var sw byte
	var data []byte
	switch {
	case f[FaultMute]:
		s.mu.Unlock()
		return
	case req.Cmd == 0x30 && req.Para == 0x10:
		s.forbid = true
		sw = sam.SWNotAllowed
	case f[FaultSelfTest]:
		sw = sam.SWSelfTest
	default:
		switch req.Command {
		case sam.CmdReset, sam.CmdSAMStatus:
			sw = sam.SWOK
		case sam.CmdSAMID:
			sw, data = sam.SWOK, []byte{0x05, 0x00, 0x01, 0x00, 0x20, 0x26, 0x12, 0x04, 0, 0, 0, 0x01, 0, 0, 0, 0x2A}
		case sam.CmdFind:
			if s.text == nil || f[FaultNoCard] {
				sw = sam.SWFindFailed
				s.empty++
			} else {
				sw, data = sam.SWFound, make([]byte, 4)
			}
		case sam.CmdSelect:
			if s.text == nil || f[FaultNoCard] {
				sw = sam.SWSelectFailed
			} else {
				sw, data = sam.SWOK, make([]byte, 8)
			}
		case sam.CmdReadText:
			switch {
			case f[FaultRemoveBeforeRead]:
				delete(f, FaultRemoveBeforeRead)
				clear(s.text)
				s.text = nil
				sw = sam.SWReadFailed
			case s.text == nil:
				sw = sam.SWFindFailed
			default:
				photo := make([]byte, sam.PhotoLen) // stands in for the vendor-encrypted WLT photo
				s.photoSeq++
				for i := range photo {
					photo[i] = byte(i) ^ s.photoSeq
				}
				sw, data = sam.SWOK, sam.ReadTextData(s.text, photo)
			}
		case sam.CmdReadAddress:
			sw = sam.SWNoContent
		default:
			sw = sam.SWCommand
		}
	}
	s.mu.Unlock()
	s.answer(m, req.Command, sw, data)
	clear(data)
}

// answer writes one response frame with the active faults applied.
func (s *Sim) answer(m *os.File, cmd sam.Command, sw byte, data []byte) {
	frame := sam.EncodeResponse(sw, data)
	defer clear(frame)
	s.mu.Lock()
	f := s.faults
	if f[FaultChecksum] || ((f[FaultChecksumOnce] || f[FaultChecksumRead]) && cmd == sam.CmdReadText) {
		frame[len(frame)-1] ^= 0x5A
		if cmd == sam.CmdReadText {
			delete(f, FaultChecksumOnce)
		}
	}
	slow, split, garbage := f[FaultSlow], f[FaultSplit], f[FaultGarbage]
	var pre, post []byte
	if garbage {
		pre, post = s.garbage(), s.garbage()
	}
	var cuts []int
	if split {
		for i := 0; i < len(frame); {
			i += 1 + s.rnd.IntN(7)
			cuts = append(cuts, min(i, len(frame)))
		}
	}
	s.mu.Unlock()
	if slow {
		time.Sleep(SlowDelay)
	}
	out := append(append(append([]byte(nil), pre...), frame...), post...)
	defer clear(out)
	if !split {
		m.Write(out)
		return
	}
	if len(pre) > 0 {
		m.Write(pre)
	}
	prev := 0
	for _, c := range cuts {
		if _, err := m.Write(frame[prev:c]); err != nil {
			return
		}
		prev = c
		time.Sleep(time.Millisecond)
	}
	if len(post) > 0 {
		m.Write(post)
	}
}

// garbage returns noise with stray preamble fragments (called with mu held).
func (s *Sim) garbage() []byte {
	g := make([]byte, 3+s.rnd.IntN(20))
	for i := range g {
		g[i] = byte(s.rnd.IntN(256))
	}
	switch s.rnd.IntN(3) {
	case 0:
		g = append(g, 0xAA, 0xAA, 0xAA)
	case 1:
		g = append(g, 0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF) // impossible length
	}
	return g
}
