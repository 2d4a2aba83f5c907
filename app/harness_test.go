package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/idcard"
	"huren/kiosk/idcard/samsim"
	"huren/kiosk/session"
	"huren/kiosk/store"
	"huren/sync/wire"
)

// ---------------------------------------------------------------- fakes

type fakeClock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type readResult struct {
	card idcard.Card
	err  error
}

// fakeReader hands out queued results; with none queued it blocks until ctx ends (no card on the reader).
type fakeReader struct {
	ch      chan readResult
	blocked atomic.Int64
}

var _ kiosk.CardReader = (*fakeReader)(nil)

func (r *fakeReader) Read(ctx context.Context) (idcard.Card, error) {
	if ctx.Err() != nil {
		return idcard.Card{}, ctx.Err()
	}
	select {
	case res := <-r.ch:
		return res.card, res.err
	default:
	}
	// No card on the reader: this read may wait forever (settle does not wait for it).
	r.blocked.Add(1)
	defer r.blocked.Add(-1)
	select {
	case res := <-r.ch:
		if ctx.Err() != nil {
			r.ch <- res // not for a reader that was stopped
			return idcard.Card{}, ctx.Err()
		}
		return res.card, res.err
	case <-ctx.Done():
		return idcard.Card{}, ctx.Err()
	}
}

func (r *fakeReader) push(c idcard.Card, err error) { r.ch <- readResult{c, err} }

// fakeCamera delivers tiny pages fast (the real demo camera and pipeline are used by the end-to-end test,
// TestRealCapture and the blur screenshot); fakeNormalize warns "blur" for pages taken while blurred.
type fakeCamera struct {
	mu    gosync.Mutex
	blur  bool
	shots int
}

var _ kiosk.Camera = (*fakeCamera)(nil)

func (c *fakeCamera) Preview(ctx context.Context) (image.Image, error) {
	img := image.NewRGBA(image.Rect(0, 0, 48, 64))
	for i := range img.Pix {
		img.Pix[i] = 0xEE
	}
	return img, nil
}

func (c *fakeCamera) Capture(ctx context.Context) (kiosk.RawPage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shots++
	data := []byte(fmt.Sprintf("page %d", c.shots))
	if c.blur {
		data = append(data, " blur"...)
	}
	return kiosk.RawPage{Data: data, ContentType: "image/jpeg", Source: "fake"}, nil
}

func fakeNormalize(ctx context.Context, raw kiosk.RawPage) (capture.Page, error) {
	p := capture.Page{Data: append([]byte(nil), raw.Data...), ContentType: "image/jpeg", Width: 1240, Height: 1754}
	if bytes.HasSuffix(raw.Data, []byte(" blur")) {
		p.Warnings = []capture.Warning{{Code: "blur", Zh: "图片模糊，请重拍", En: "The photo is blurred"}}
	}
	return p, nil
}

type fakePrinter struct {
	mu   gosync.Mutex
	err  error
	docs []kiosk.Document
}

var _ kiosk.Printer = (*fakePrinter)(nil)

func (p *fakePrinter) Print(ctx context.Context, d kiosk.Document) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.docs = append(p.docs, d)
	return nil
}

func (p *fakePrinter) Status(ctx context.Context) (kiosk.PrinterStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if errors.Is(p.err, kiosk.ErrPaperOut) {
		return kiosk.PrinterStatus{Online: true, PaperOut: true}, nil
	}
	return kiosk.PrinterStatus{Online: true}, nil
}

func (p *fakePrinter) printed() []kiosk.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]kiosk.Document(nil), p.docs...)
}

type fakeQueue struct {
	mu      gosync.Mutex
	clock   kiosk.Clock
	accept  error
	apps    []kiosk.Application
	audit   []store.AuditEntry
	lockout store.Lockout
	retried []kiosk.Receipt
}

var _ Queue = (*fakeQueue)(nil)

func (q *fakeQueue) CanAccept(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.accept
}

func (q *fakeQueue) Submit(ctx context.Context, a kiosk.Application) (kiosk.Application, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if a.StatusToken == "" {
		return a, errors.New("no token")
	}
	a.CreatedAt = q.clock.Now()
	a.Receipt = kiosk.NewReceipt(7, a.CreatedAt, len(q.apps)+1)
	a.Materials = append([]kiosk.Material(nil), a.Materials...)
	for i := range a.Materials {
		a.Materials[i].Data = append([]byte(nil), a.Materials[i].Data...)
	}
	q.apps = append(q.apps, a)
	return a, nil
}

func (q *fakeQueue) Get(ctx context.Context, r kiosk.Receipt) (kiosk.Application, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, a := range q.apps {
		if a.Receipt == r {
			return a, nil
		}
	}
	return kiosk.Application{}, store.ErrNotFound
}

func (q *fakeQueue) List(ctx context.Context, limit int) ([]store.Item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []store.Item
	for i := len(q.apps) - 1; i >= 0; i-- {
		a := q.apps[i]
		out = append(out, store.Item{Receipt: a.Receipt, State: kiosk.StateDead, MaskedName: idcard.MaskName(a.Applicant.Name),
			MaskedNumber: idcard.MaskNumber(a.Applicant.Number), CreatedAt: a.CreatedAt})
	}
	return out, nil
}

func (q *fakeQueue) Counts(ctx context.Context) (store.Counts, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return store.Counts{Dead: len(q.apps)}, nil
}

func (q *fakeQueue) RetryDead(ctx context.Context, r kiosk.Receipt) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.retried = append(q.retried, r)
	return nil
}

func (q *fakeQueue) Audit(ctx context.Context, actor, action, receipt, detail string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.audit = append(q.audit, store.AuditEntry{At: q.clock.Now(), Actor: actor, Action: action, Receipt: receipt, Detail: detail})
	return nil
}

func (q *fakeQueue) AuditLog(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]store.AuditEntry(nil), q.audit...), nil
}

func (q *fakeQueue) Lockout(ctx context.Context) (store.Lockout, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lockout, nil
}

func (q *fakeQueue) SetLockout(ctx context.Context, l store.Lockout) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lockout = l
	return nil
}

func (q *fakeQueue) actions() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, e := range q.audit {
		out = append(out, e.Action)
	}
	return out
}

var errOffline = errors.New("offline")

type fakeRemote struct {
	mu       gosync.Mutex
	precheck kiosk.Precheck
	status   wire.Status
	err      error
}

var _ Remote = (*fakeRemote)(nil)

func (r *fakeRemote) Precheck(ctx context.Context, id string) (kiosk.Precheck, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.precheck, r.err
}

func (r *fakeRemote) Status(ctx context.Context, rc kiosk.Receipt, token string) (wire.Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return wire.Status{}, r.err
	}
	if token == "" {
		return wire.Status{}, errors.New("no token")
	}
	st := r.status
	st.Receipt = rc.String()
	return st, nil
}

type fakeSyncer struct{ wakes atomic.Int64 }

func (s *fakeSyncer) Wake()               { s.wakes.Add(1) }
func (s *fakeSyncer) LastSync() time.Time { return time.Date(2026, 12, 4, 9, 0, 0, 0, kiosk.Shanghai) }

// ---------------------------------------------------------------- harness

type harness struct {
	t       testing.TB
	k       *Kiosk
	clock   *fakeClock
	reader  *fakeReader
	cam     *fakeCamera
	printer *fakePrinter
	queue   *fakeQueue
	remote  *fakeRemote
	syncer  *fakeSyncer

	mu      gosync.Mutex
	pending []func()
	blocked func() int64 // background jobs that may wait forever (a reader with no card)
}

// testPIN is the local fallback PIN of the harness (hashed once per test binary).
const testPIN = "246810"

var testPINHash = HashPIN(testPIN)

func newHarness(t testing.TB) *harness { return newHarnessWith(t, nil) }

// newHarnessWith builds the kiosk on fakes; edit may replace any of the dependencies first.
func newHarnessWith(t testing.TB, edit func(*Deps)) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	h := &harness{
		t:       t,
		clock:   &fakeClock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, kiosk.Shanghai)},
		reader:  &fakeReader{ch: make(chan readResult, 8)},
		cam:     &fakeCamera{},
		printer: &fakePrinter{},
		remote:  &fakeRemote{precheck: kiosk.Precheck{Known: true, HasPermit: true, PermitCity: "330100", Months: 14}},
		syncer:  &fakeSyncer{},
	}
	h.queue = &fakeQueue{clock: h.clock}
	h.blocked = h.reader.blocked.Load
	d := Deps{
		Normalize: fakeNormalize,
		Reader:    h.reader, Camera: h.cam, Printer: h.printer, Queue: h.queue, Remote: h.remote, Syncer: h.syncer,
		Clock: h.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		KioskNo: 7, Hotline: "0578-12345", PublicURL: "http://127.0.0.1:9/",
		LocalPINHash: testPINHash,
		IsOffline:    func(err error) bool { return errors.Is(err, errOffline) },
		Quit:         func() {},
	}
	if edit != nil {
		edit(&d)
	}
	h.k = New(a, d)
	h.k.do = h.post
	h.k.doWait = func(f func()) { f() }
	h.k.previewEvery = 0
	h.resize(1280, 1024)
	t.Cleanup(func() { h.k.Close(); h.settle() })
	return h
}

func (h *harness) post(f func()) {
	h.mu.Lock()
	h.pending = append(h.pending, f)
	h.mu.Unlock()
}

// settle runs the results of background work on the test goroutine until nothing is left to do except
// reads waiting for a card.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.mu.Lock()
		p := h.pending
		h.pending = nil
		h.mu.Unlock()
		for _, f := range p {
			f()
		}
		if len(p) == 0 && h.k.jobs.active() == h.blocked() {
			h.mu.Lock()
			n := len(h.pending)
			h.mu.Unlock()
			if n == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("background work did not settle (%d jobs)", h.k.jobs.active())
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) resize(w, hgt float32) {
	h.k.win.Resize(fyne.NewSize(w, hgt))
}

func (h *harness) tap(b fyne.Tappable) {
	h.t.Helper()
	if b == nil {
		h.t.Fatal("tap on nil")
	}
	if d, ok := b.(fyne.Disableable); ok && d.Disabled() {
		txt := ""
		if bb, ok := b.(*bigButton); ok {
			txt = bb.Text
		}
		h.t.Fatalf("tap on a disabled widget %T %q at %s: %s", b, txt, h.step(), h.visibleText())
	}
	test.Tap(b)
	h.settle()
}

func (h *harness) step() session.Step { return h.k.s.Step() }

func (h *harness) wantStep(want session.Step) {
	h.t.Helper()
	if got := h.step(); got != want {
		h.t.Fatalf("step = %s, want %s (texts: %q)", got, want, h.visibleText())
	}
}

// keys taps the keypad keys spelling s (multi-rune keys such as 单元 are matched whole).
func (h *harness) keys(pad *fyne.Container, s string) {
	h.t.Helper()
	for len(s) > 0 {
		found := false
		for _, o := range pad.Objects {
			b := o.(*bigButton)
			if b.Text != "" && strings.HasPrefix(s, b.Text) && b.data {
				h.tap(b)
				s = s[len(b.Text):]
				found = true
				break
			}
		}
		if !found {
			h.t.Fatalf("no key for %q", s)
		}
	}
}

// textItem is one piece of text on the canvas.
type textItem struct {
	text string
	data bool
	bold bool
}

// allText walks every object of the window (content and overlays, hidden ones included) and returns the
// texts of every canvas.Text.
func allText(c fyne.Canvas) []textItem {
	var out []textItem
	var walk func(o fyne.CanvasObject, data bool)
	walk = func(o fyne.CanvasObject, data bool) {
		if o == nil {
			return
		}
		if dm, ok := o.(dataMarker); ok && dm.isData() {
			data = true
		}
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, textItem{x.Text, data, x.TextStyle.Bold})
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch, data)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(x).Objects() {
				walk(ch, data)
			}
		}
	}
	walk(c.Content(), false)
	for _, o := range c.Overlays().List() {
		walk(o, false)
	}
	return out
}

// checkRegularWeight fails when any text of the screen asks for a bold face: the Chinese font has none, and
// Fyne would parse the whole font once more for that style (about 20 MB of the kiosk's memory).
func (h *harness) checkRegularWeight(name string) {
	h.t.Helper()
	for _, it := range allText(h.k.win.Canvas()) {
		if it.bold && strings.TrimSpace(it.text) != "" {
			h.t.Errorf("%s: %q is set in bold", name, it.text)
		}
	}
}

func (h *harness) visibleText() string {
	var b []string
	for _, t := range allText(h.k.win.Canvas()) {
		if strings.TrimSpace(t.text) != "" {
			b = append(b, t.text)
		}
	}
	return strings.Join(b, " | ")
}

// shot saves a screenshot of the window under out/.
func (h *harness) shot(name string) {
	h.t.Helper()
	dir := filepath.Join("..", "out", filepath.Dir(name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		h.t.Fatal(err)
	}
	img := h.k.win.Canvas().Capture()
	f, err := os.Create(filepath.Join("..", "out", name))
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		h.t.Fatal(err)
	}
}

// ---------------------------------------------------------------- walking the path

type pathOpts struct {
	card      idcard.Card
	route     kiosk.Route
	condition kiosk.Condition
	alt       int          // which alternative set of materials
	shots     func(string) // called at each screen with its name
}

func demoCard(i int) idcard.Card { return samsim.DemoCards()[i] }

// validUSCC makes a checksum-valid unified social credit code (authority 9, type 1, Jinyun).
func validUSCC() string {
	s := "91331122" + "MA2A0B1C"
	s += string(kiosk.OrgCodeCheckChar(s[8:16]))
	s += string(kiosk.USCCCheckChar(s + "0"))
	return s
}

func (h *harness) snap(o pathOpts, name string) {
	if o.shots != nil {
		o.shots(name)
	}
}

// walkTo goes from Home up to (not including) the tap on submit and returns at the confirm screen.
func (h *harness) walkToConfirm(o pathOpts) {
	t := h.t
	t.Helper()
	h.wantStep(session.Home)
	h.snap(o, "home")
	h.reader.push(o.card, nil)
	h.tap(h.k.cur.(*homeScreen).start)
	h.wantStep(session.Notice)
	n := h.k.cur.(*noticeScreen)
	if !n.tick.Disabled() {
		t.Fatal("tick enabled before scrolling to the end")
	}
	h.snap(o, "notice")
	for i := 0; n.tick.Disabled(); i++ {
		if i > 50 {
			t.Fatal("notice never reached its end")
		}
		h.tap(n.more)
	}
	if !n.next.Disabled() {
		t.Fatal("next enabled before the tick")
	}
	h.tap(n.tick)
	h.tap(n.next)
	h.wantStep(session.Route)
	h.snap(o, "route")
	h.tap(h.k.cur.(*routeScreen).choices[o.route])
	h.wantStep(session.Condition)
	h.snap(o, "condition")
	h.tap(h.k.cur.(*conditionScreen).choices[o.condition])
	h.wantStep(session.Form)
	f := h.k.cur.(*formScreen)
	h.snap(o, "form-mobile")
	h.keys(f.keys, "13800138000")
	h.tap(f.next)
	f = h.k.cur.(*formScreen)
	h.snap(o, "form-town")
	h.tap(f.choices[0])
	f = h.k.cur.(*formScreen)
	h.snap(o, "form-community")
	h.tap(f.choices[1])
	f = h.k.cur.(*formScreen)
	h.keys(f.keys, "12号3幢2单元501室")
	h.snap(o, "form-detail")
	h.tap(f.next)
	switch o.condition {
	case kiosk.ConditionEmployment:
		f = h.k.cur.(*formScreen)
		h.keys(f.keys, validUSCC()[:17])
		if !f.next.Disabled() {
			t.Fatal("next enabled with 17 characters")
		}
		h.keys(f.keys, validUSCC()[17:])
		h.snap(o, "form-employer")
		h.tap(f.next)
	case kiosk.ConditionSchooling:
		f = h.k.cur.(*formScreen)
		h.snap(o, "form-school")
		h.tap(f.choices[0])
	}
	h.wantStep(session.Materials)
	m := h.k.cur.(*materialsScreen)
	if m.set == nil {
		h.snap(o, "materials-choose")
		h.tap(m.alts[o.alt])
		m = h.k.cur.(*materialsScreen)
	}
	for {
		h.tap(m.shoot)
		if m.pending != nil {
			h.tap(m.keep)
		}
		h.snap(o, "materials")
		if m.idx+1 == len(m.set) {
			h.tap(m.next)
			break
		}
		h.tap(m.next)
		m = h.k.cur.(*materialsScreen)
	}
	h.wantStep(session.Confirm)
	h.snap(o, "confirm")
}

// submit taps submit on the confirm screen and returns the committed application.
func (h *harness) submit(o pathOpts) kiosk.Application {
	h.t.Helper()
	h.tap(h.k.cur.(*confirmScreen).submit)
	h.wantStep(session.Submit)
	s := h.k.cur.(*submitScreen)
	if !s.finished {
		h.t.Fatal("submit did not finish")
	}
	h.snap(o, "submit")
	h.queue.mu.Lock()
	defer h.queue.mu.Unlock()
	if len(h.queue.apps) == 0 {
		h.t.Fatalf("nothing committed: %s", h.visibleText())
	}
	return h.queue.apps[len(h.queue.apps)-1]
}

func fmtOpts(o pathOpts) string { return fmt.Sprintf("%s/%s/%d", o.route, o.condition, o.alt) }

// buttons returns every bigButton on the window (overlays included).
func buttons(h *harness) []*bigButton {
	var out []*bigButton
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *bigButton:
			out = append(out, x)
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(x).Objects() {
				walk(ch)
			}
		}
	}
	c := h.k.win.Canvas()
	walk(c.Content())
	for _, o := range c.Overlays().List() {
		walk(o)
	}
	return out
}

// shotIf saves the screen at 1920×1080 and 1080×1920 under out/screens/.
func (h *harness) shotIf(name string) {
	h.t.Helper()
	for _, sz := range [][2]float32{{1920, 1080}, {1080, 1920}} {
		h.resize(sz[0], sz[1])
		h.shot(fmt.Sprintf("screens/%s-%.0fx%.0f.png", name, sz[0], sz[1]))
	}
	h.resize(1280, 1024)
}

// test_typeScan types a line on the canvas as a keyboard-wedge scanner does, ending in Enter.
func test_typeScan(h *harness, s string) {
	c := h.k.win.Canvas()
	test.TypeOnCanvas(c, s)
	if f := c.OnTypedKey(); f != nil {
		f(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	h.settle()
}

func statusAccepted() wire.Status {
	return wire.Status{State: string(kiosk.StateAccepted), StateLabel: "已受理", MaskedName: "张*",
		AcceptedAt: time.Date(2026, 12, 4, 10, 0, 0, 0, kiosk.Shanghai), DueAt: time.Date(2026, 12, 8, 23, 59, 59, 0, kiosk.Shanghai)}
}
