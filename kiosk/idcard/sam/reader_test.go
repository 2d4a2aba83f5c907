package sam_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/idcard/sam"
	"huren/kiosk/idcard/samsim"
)

// Generous deadlines: these tests run through a real pseudo-terminal on a noisy machine; nothing asserts a
// duration, deadlines only stop a hung test.
const long = 60 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, cards ...idcard.Card) *samsim.Sim {
	t.Helper()
	s, err := samsim.Start(cards...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.FingerprintRequested() {
			t.Error("a fingerprint command reached the module")
		}
		s.Close()
	})
	return s
}

func open(t *testing.T, ctx context.Context, s *samsim.Sim, o sam.Options) *sam.Reader {
	t.Helper()
	o.Logger = quiet()
	r, err := sam.OpenWith(ctx, s.Path(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func same(a, b idcard.Card) bool {
	return a.Type == b.Type && a.Name == b.Name && a.Number == b.Number && a.Sex == b.Sex && a.Nation == b.Nation &&
		a.Birth.Equal(b.Birth) && a.ValidTo.Equal(b.ValidTo) && a.Address == b.Address && a.PassNo == b.PassNo
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type result struct {
	c   idcard.Card
	err error
}

func readAsync(ctx context.Context, r kiosk.CardReader) <-chan result {
	ch := make(chan result, 1)
	go func() {
		c, err := r.Read(ctx)
		ch <- result{c, err}
	}()
	return ch
}

func TestReadEachCardTypeThroughPTY(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	s := start(t)
	r := open(t, ctx, s, sam.Options{})
	for i, c := range samsim.DemoCards() {
		ch := readAsync(ctx, r)
		waitFor(t, ctx, "empty polls", func() bool { return s.EmptyFinds() >= 2 })
		if err := s.Place(c); err != nil {
			t.Fatal(err)
		}
		res := <-ch
		if res.err != nil {
			t.Fatalf("card %d: %v", i, res.err)
		}
		if !same(res.c, c) {
			t.Errorf("card %d: got %+v", i, res.c)
		}
		s.Remove()
	}
	if s.Count(sam.CmdReset) != 1 || s.Count(sam.CmdSAMStatus) < 1 {
		t.Errorf("reset %d, status %d", s.Count(sam.CmdReset), s.Count(sam.CmdSAMStatus))
	}
}

func TestCardReportedOnceWhileItStays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t, cards[0])
	r := open(t, ctx, s, sam.Options{})
	c, err := r.Read(ctx)
	if err != nil || !same(c, cards[0]) {
		t.Fatalf("first read: %v", err)
	}
	reads := s.Count(sam.CmdReadText)
	// The card stays: the next Read must not report it again, however many polls happen.
	short, cancel2 := context.WithCancel(ctx)
	ch := readAsync(short, r)
	finds := s.Count(sam.CmdFind)
	waitFor(t, ctx, "more polls", func() bool { return s.Count(sam.CmdFind) >= finds+4 })
	cancel2()
	if res := <-ch; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("card reported twice or wrong error: %v", res.err)
	}
	if s.Count(sam.CmdReadText) != reads {
		t.Error("the staying card was read again")
	}
	// Removed and placed again (another card): reported.
	ch = readAsync(ctx, r)
	s.Remove()
	waitFor(t, ctx, "empty polls", func() bool { return s.EmptyFinds() >= 2 })
	s.Place(cards[1])
	if res := <-ch; res.err != nil || !same(res.c, cards[1]) {
		t.Fatalf("after removal: %v", res.err)
	}
	if h := r.Health(); !h.OK || h.Device != "reader" {
		t.Errorf("health %+v", h)
	}
}

func TestFaultsThroughPTY(t *testing.T) {
	cards := samsim.DemoCards()
	for _, faults := range [][]samsim.Fault{
		{samsim.FaultGarbage}, {samsim.FaultSplit}, {samsim.FaultSlow}, {samsim.FaultChecksumOnce},
		{samsim.FaultGarbage, samsim.FaultSplit, samsim.FaultSlow},
	} {
		t.Run(faultName(faults), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), long)
			defer cancel()
			s := start(t)
			s.SetFault(faults...)
			r := open(t, ctx, s, sam.Options{}) // reset and status also go through the faults
			s.Place(cards[1])
			c, err := r.Read(ctx)
			if err != nil || !same(c, cards[1]) {
				t.Fatalf("read: %v", err)
			}
			if faults[0] == samsim.FaultChecksumOnce && s.Count(sam.CmdReadText) != 2 {
				t.Errorf("checksum error not retried: %d reads", s.Count(sam.CmdReadText))
			}
		})
	}
}

func faultName(fs []samsim.Fault) string {
	n := ""
	for _, f := range fs {
		n += f.String() + "+"
	}
	return n[:len(n)-1]
}

func TestFaultNoCard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t, cards[0])
	s.SetFault(samsim.FaultNoCard)
	r := open(t, ctx, s, sam.Options{})
	short, cancel2 := context.WithCancel(ctx)
	ch := readAsync(short, r)
	waitFor(t, ctx, "polls", func() bool { return s.EmptyFinds() >= 3 })
	cancel2()
	if res := <-ch; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("no card: %v", res.err)
	}
	if s.Count(sam.CmdReadText) != 0 {
		t.Error("read without a card")
	}
	s.SetFault()
	if c, err := r.Read(ctx); err != nil || !same(c, cards[0]) {
		t.Fatalf("after fault: %v", err)
	}
}

func TestFaultRemovedBetweenSelectAndRead(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t)
	r := open(t, ctx, s, sam.Options{})
	s.SetFault(samsim.FaultRemoveBeforeRead)
	s.Place(cards[2])
	ch := readAsync(ctx, r)
	// The card vanishes during the read: Read does not fail, it waits for the card to come back.
	waitFor(t, ctx, "card removed by the fault", func() bool { return !s.HasCard() && s.EmptyFinds() >= 2 })
	select {
	case res := <-ch:
		t.Fatalf("Read returned while no card: %v", res.err)
	default:
	}
	s.Place(cards[2])
	if res := <-ch; res.err != nil || !same(res.c, cards[2]) {
		t.Fatalf("read after re-placing: %v", res.err)
	}
	if n := s.Count(sam.CmdReadText); n != 2 {
		t.Errorf("%d reads", n)
	}
}

func TestPersistentChecksumErrorsAskToReplace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t)
	r := open(t, ctx, s, sam.Options{})
	s.SetFault(samsim.FaultChecksumRead)
	s.Place(cards[0])
	_, err := r.Read(ctx)
	var ue *kiosk.UserError
	if !errors.As(err, &ue) || ue.Zh != "请重新放置身份证" || !errors.Is(err, sam.ErrRetriesExhausted) || !errors.Is(err, sam.ErrChecksum) {
		t.Fatalf("got %v", err)
	}
	if kiosk.Message(err, false) != "请重新放置身份证" {
		t.Errorf("message %q", kiosk.Message(err, false))
	}
	// The same card must be removed before it is tried again.
	s.SetFault()
	short, cancel2 := context.WithCancel(ctx)
	ch := readAsync(short, r)
	finds := s.Count(sam.CmdFind)
	waitFor(t, ctx, "polls", func() bool { return s.Count(sam.CmdFind) >= finds+4 })
	cancel2()
	if res := <-ch; !errors.Is(res.err, context.Canceled) {
		t.Fatalf("card still there was retried: %v", res.err)
	}
	ch = readAsync(ctx, r)
	s.Remove()
	waitFor(t, ctx, "empty polls", func() bool { return s.EmptyFinds() >= 2 })
	s.Place(cards[0])
	if res := <-ch; res.err != nil {
		t.Fatalf("re-placed: %v", res.err)
	}
}

func TestLinkChecksumErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t, cards[0])
	s.SetFault(samsim.FaultChecksum) // every answer damaged
	if _, err := sam.OpenWith(ctx, s.Path(), sam.Options{Logger: quiet()}); !errors.Is(err, sam.ErrChecksum) {
		t.Fatalf("open: %v", err)
	}
	s.SetFault()
	r := open(t, ctx, s, sam.Options{})
	s.Remove()
	s.SetFault(samsim.FaultChecksum)
	// No card was found, so the applicant is not told anything: Read waits, Health shows the fault.
	ch := readAsync(ctx, r)
	waitFor(t, ctx, "health down", func() bool { return !r.Health().OK })
	s.SetFault()
	s.Place(cards[0])
	if res := <-ch; res.err != nil || !same(res.c, cards[0]) {
		t.Fatalf("after the link recovered: %v", res.err)
	}
	if !r.Health().OK {
		t.Error("health not restored")
	}
}

func TestMuteDuringReadReopens(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t)
	r := open(t, ctx, s, sam.Options{Timeout: 300 * time.Millisecond, Reopen: 100 * time.Millisecond})
	s.SetFault(samsim.FaultMute)
	ch := readAsync(ctx, r)
	waitFor(t, ctx, "health down", func() bool { return !r.Health().OK })
	resets := s.Count(sam.CmdReset)
	waitFor(t, ctx, "a reopen attempt", func() bool { return s.Count(sam.CmdReset) > resets })
	s.SetFault()
	s.Place(cards[1])
	if res := <-ch; res.err != nil || !same(res.c, cards[1]) {
		t.Fatalf("after the module answered again: %v", res.err)
	}
}

func TestInvalidNumberAsksToReplace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	c := samsim.DemoCards()[0]
	c.Number = c.Number[:17] + string("0123456789X"[(idxCheck(c.Number[17])+1)%11])
	s := start(t, c)
	r := open(t, ctx, s, sam.Options{})
	_, err := r.Read(ctx)
	if !errors.Is(err, sam.ErrRetriesExhausted) || !errors.Is(err, idcard.ErrChecksum) {
		t.Fatalf("got %v", err)
	}
	if n := s.Count(sam.CmdReadText); n != 3 {
		t.Errorf("%d read attempts, want 3", n)
	}
}

func idxCheck(b byte) int {
	for i, c := range "0123456789X" {
		if byte(c) == b {
			return i
		}
	}
	return 0
}

func TestSelfTestFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	s := start(t, samsim.DemoCards()[0])
	s.SetFault(samsim.FaultSelfTest)
	_, err := sam.OpenWith(ctx, s.Path(), sam.Options{Logger: quiet()})
	var ue *kiosk.UserError
	if !errors.As(err, &ue) || !errors.Is(err, sam.ErrModule) || ue.Zh != "读卡器故障，请联系工作人员" {
		t.Fatalf("open: %v", err)
	}
	var se *sam.StatusError
	if !errors.As(err, &se) || se.SW3 != sam.SWSelfTest {
		t.Fatalf("status: %v", err)
	}
	// Failing after open: Read reports the fault, Health shows it.
	s.SetFault()
	r := open(t, ctx, s, sam.Options{})
	if _, err := r.Read(ctx); err != nil {
		t.Fatal(err)
	}
	s.SetFault(samsim.FaultSelfTest)
	if _, err := r.Read(ctx); !errors.Is(err, sam.ErrModule) {
		t.Fatalf("read: %v", err)
	}
	if h := r.Health(); h.OK || h.Detail == "" {
		t.Errorf("health %+v", h)
	}
	s.SetFault()
	if h := r.Health(); !h.OK {
		t.Errorf("health after recovery %+v", h)
	}
}

func TestMuteModuleTimesOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	s := start(t)
	s.SetFault(samsim.FaultMute)
	_, err := sam.OpenWith(ctx, s.Path(), sam.Options{Logger: quiet(), Timeout: 300 * time.Millisecond})
	if !errors.Is(err, sam.ErrTimeout) {
		t.Fatalf("open: %v", err)
	}
}

func TestReopenAfterUnplug(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t, cards[0])
	r := open(t, ctx, s, sam.Options{Reopen: 100 * time.Millisecond})
	if _, err := r.Read(ctx); err != nil {
		t.Fatal(err)
	}
	s.Unplug()
	if _, err := os.Stat(s.Path()); err == nil {
		t.Fatal("path still there after unplug")
	}
	ch := readAsync(ctx, r)
	waitFor(t, ctx, "health to show the loss", func() bool { return !r.Health().OK })
	if err := s.Plug(); err != nil {
		t.Fatal(err)
	}
	s.Place(cards[3])
	res := <-ch
	if res.err != nil || !same(res.c, cards[3]) {
		t.Fatalf("after replug: %v", res.err)
	}
	if !r.Health().OK {
		t.Errorf("health %+v", r.Health())
	}
	if s.Count(sam.CmdReset) != 2 {
		t.Errorf("reset sent %d times, want once per open", s.Count(sam.CmdReset))
	}
	// Health probes reopen too, without a Read running.
	s.Unplug()
	waitFor(t, ctx, "health down", func() bool { return !r.Health().OK })
	s.Plug()
	waitFor(t, ctx, "health up", func() bool { return r.Health().OK })
}

func TestContextAndClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	s := start(t)
	r := open(t, ctx, s, sam.Options{})
	done, cancel2 := context.WithCancel(ctx)
	cancel2()
	if _, err := r.Read(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: %v", err)
	}
	ch := readAsync(ctx, r)
	waitFor(t, ctx, "polls", func() bool { return s.EmptyFinds() >= 1 })
	r.Close()
	if res := <-ch; !errors.Is(res.err, sam.ErrReaderClosed) {
		t.Fatalf("after close: %v", res.err)
	}
	if _, err := r.Read(ctx); !errors.Is(err, sam.ErrReaderClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if r.Health().OK {
		t.Error("closed reader healthy")
	}
}

func TestOpenMissingPort(t *testing.T) {
	_, err := sam.Open(context.Background(), "/nonexistent/ttyUSB9", 0)
	if !errors.Is(err, sam.ErrIO) {
		t.Fatalf("got %v", err)
	}
}

func TestAllowAbsent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	cards := samsim.DemoCards()
	s := start(t, cards[0])
	s.Unplug()
	if _, err := sam.OpenWith(ctx, s.Path(), sam.Options{Logger: quiet()}); !errors.Is(err, sam.ErrIO) {
		t.Fatalf("strict open of a missing reader: %v", err)
	}
	r := open(t, ctx, s, sam.Options{AllowAbsent: true, Reopen: 100 * time.Millisecond})
	if h := r.Health(); h.OK {
		t.Fatalf("missing reader healthy: %+v", h)
	}
	ch := readAsync(ctx, r)
	if err := s.Plug(); err != nil {
		t.Fatal(err)
	}
	if res := <-ch; res.err != nil || !same(res.c, cards[0]) {
		t.Fatalf("read after plugging in: %v", res.err)
	}
}
