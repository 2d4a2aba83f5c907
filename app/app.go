// Package app is Huren's kiosk GUI (Fyne): every screen of the applicant's path, the idle wipe, admin mode,
// the Chinese/English translations and the large-type theme.
//
// The GUI talks to the domain only: devices through kiosk.CardReader, kiosk.Camera and kiosk.Printer, the
// local queue and the review service through the small interfaces Queue, Remote and Syncer declared here
// (met by *store.Store, *sync.Client and *sync.Worker). All I/O runs off the UI goroutine; its results are
// applied in one fyne.Do through Kiosk.background, the single bridge between the two worlds.
package app

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/session"
	"huren/kiosk/store"
	"huren/kiosk/workday"
	"huren/sync/wire"
)

// Queue is the kiosk's local queue as the GUI needs it (met by *store.Store).
type Queue interface {
	CanAccept(ctx context.Context) error
	Submit(ctx context.Context, a kiosk.Application) (kiosk.Application, error)
	Get(ctx context.Context, r kiosk.Receipt) (kiosk.Application, error)
	List(ctx context.Context, limit int) ([]store.Item, error)
	Counts(ctx context.Context) (store.Counts, error)
	RetryDead(ctx context.Context, r kiosk.Receipt) error
	Audit(ctx context.Context, actor, action, receipt, detail string) error
	AuditLog(ctx context.Context, limit int) ([]store.AuditEntry, error)
	Lockout(ctx context.Context) (store.Lockout, error)
	SetLockout(ctx context.Context, l store.Lockout) error
}

// Remote is the review service as the GUI needs it (met by *sync.Client). Errors for an unreachable server
// must satisfy Deps.IsOffline.
type Remote interface {
	Precheck(ctx context.Context, idNumber string) (kiosk.Precheck, error)
	Status(ctx context.Context, receipt kiosk.Receipt, token string) (wire.Status, error)
}

// Syncer is the uploader as the GUI needs it (met by *sync.Worker).
type Syncer interface {
	Wake()
	LastSync() time.Time
}

// Normalizer turns a raw page from the camera into a normalised page with quality warnings
// (capture.Normalize).
type Normalizer func(ctx context.Context, raw kiosk.RawPage) (capture.Page, error)

// Deps is everything the GUI needs from the outside. Reader, Camera, Printer and Queue are required; the
// rest have defaults.
type Deps struct {
	Reader  kiosk.CardReader
	Camera  kiosk.Camera
	Printer kiosk.Printer
	Queue   Queue
	Remote  Remote // nil: always offline (pre-check skipped, status check says offline)
	Syncer  Syncer // nil: no uploader (admin "sync now" says so)

	Normalize Normalizer        // default capture.Normalize
	Calendar  *workday.Calendar // default workday.Default()
	// CurrentCalendar returns the calendar the review service sent last (nil: Calendar). Optional.
	CurrentCalendar func() *workday.Calendar
	Clock           kiosk.Clock  // default the system clock
	Logger          *slog.Logger // default slog.Default()

	KioskNo       int    // printed on receipts and shown in the footer
	Hotline       string // shown in the footer and printed
	PublicURL     string // base of the status URL in the receipt's QR code
	NoticeVersion string // version of the notice-and-commitment text (default NoticeVersion)
	ReceiptFolder string // demo mode: the folder receipts are written to, named on the Home screen

	// StaffPINs returns the staff PIN hashes (argon2id, PHC format) from the review service's config
	// ((*sync.Worker).Config().StaffPINs); LocalPINHash is the kiosk config's fallback (HashPIN makes one).
	// A PIN is accepted when it matches any of them; the audit log names the staff member ("local" for the
	// fallback).
	StaffPINs    func() []wire.StaffPIN
	LocalPINHash string

	// Health reports the devices' state for admin mode (reader, camera …); the printer's status is asked
	// directly. Optional.
	Health func(ctx context.Context) []kiosk.Health
	// SyncNow asks the uploader to deliver and pull at once and waits for the round (admin "sync now").
	// Optional; when nil Syncer.Wake is used.
	SyncNow func(ctx context.Context) error
	// IsOffline classifies an error of Remote as "the server cannot be reached" (errors.Is(err,
	// sync.ErrOffline)). Default: context deadline, and any error when Remote is nil.
	IsOffline func(error) bool
	// LogTail returns the last lines of the kiosk's log for admin mode. Optional.
	LogTail func() []string
	// Quit ends the program (admin "quit"). Default: the Fyne app's Quit.
	Quit func()

	// AtHome runs off the UI goroutine each time Home is shown (at start and after every session, wiped or
	// submitted): the wiring hands the finished session's memory back to the operating system. Optional.
	AtHome func()

	// WaitAccepted is the Autopilot's hook: it blocks until the review service has accepted receipt and
	// returns the state it reached. When nil Autopilot reports the local state (queued).
	WaitAccepted func(ctx context.Context, r kiosk.Receipt) (kiosk.State, error)
}

// Kiosk is the GUI of one kiosk.
type Kiosk struct {
	fa    fyne.App
	win   fyne.Window
	d     Deps
	clock kiosk.Clock
	log   *slog.Logger
	s     *session.Session

	themeNormal, themeLarge *kioskTheme
	body                    *fyne.Container // the current screen
	cur                     screen
	root                    fyne.CanvasObject

	ctx    context.Context // the kiosk's lifetime
	cancel context.CancelFunc
	// scrCtx ends when the screen changes (card reads, previews and other screen-bound work stop).
	scrCtx    context.Context
	scrCancel context.CancelFunc
	gen       uint64 // screen generation: results for an older screen are dropped

	// do applies a function on the UI goroutine (fyne.Do); doWait waits for it (fyne.DoAndWait).
	do, doWait func(func())
	jobs       jobCounter

	popups    []*widget.PopUp // open dialogs and overlays, hidden on wipe
	idlePop   *widget.PopUp
	idleLabel *widget.Label

	anims      []*fyne.Animation // running on the current screen, stopped when it changes
	cornerTaps []time.Time
	admin      adminState

	previewEvery time.Duration // camera preview polling (0: one frame per screen, for tests)
	missing      map[string]bool

	sessGen      uint64 // session generation: results for a wiped session are dropped
	precheckDone bool   // the pre-check of this session has answered (or failed)
	lastPrintErr error  // the last print failure, for admin mode
}

// New builds the kiosk GUI in a new window of a. It does not show it; call Show (or ShowAndRun on the window).
func New(a fyne.App, d Deps) *Kiosk {
	if d.Clock == nil {
		d.Clock = kiosk.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Calendar == nil {
		d.Calendar = workday.Default()
	}
	if d.Normalize == nil {
		d.Normalize = capture.Normalize
	}
	if d.NoticeVersion == "" {
		d.NoticeVersion = NoticeVersion
	}
	if d.IsOffline == nil {
		remote := d.Remote
		d.IsOffline = func(err error) bool {
			return remote == nil || errors.Is(err, context.DeadlineExceeded)
		}
	}
	if d.Quit == nil {
		d.Quit = a.Quit
	}
	k := &Kiosk{
		fa: a, d: d, clock: d.Clock, log: d.Logger,
		s:            session.New(d.Clock),
		do:           fyne.Do,
		doWait:       fyne.DoAndWait,
		previewEvery: 100 * time.Millisecond,
		missing:      map[string]bool{},
	}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.themeNormal = newTheme(false, k.log)
	k.themeLarge = newTheme(true, k.log)
	a.Settings().SetTheme(k.themeNormal)

	k.win = a.NewWindow("居住证互认转换")
	k.body = container.NewStack()
	corner := newHotspot(k.onCornerTapped)
	k.root = container.NewStack(k.body, container.New(&cornerLayout{}, corner))
	k.win.SetContent(k.root)
	k.win.Resize(fyne.NewSize(1280, 1024))
	k.win.SetPadded(false)
	k.win.SetOnClosed(k.cancel)
	k.goHome()
	return k
}

// Window returns the kiosk's window.
func (k *Kiosk) Window() fyne.Window { return k.win }

// Show shows the window full-screen and starts the idle timer.
func (k *Kiosk) Show() {
	k.win.SetFullScreen(true)
	k.win.Show()
	go k.tickLoop()
}

// Close stops background work of the GUI (the idle ticker, screen work). It does not close devices.
func (k *Kiosk) Close() {
	k.cancel()
	if k.scrCancel != nil {
		k.scrCancel()
	}
}

// tickLoop drives the idle timer once a second on the UI goroutine.
func (k *Kiosk) tickLoop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-k.ctx.Done():
			return
		case <-t.C:
			k.do(k.tick)
		}
	}
}

// background is THE bridge between the UI goroutine and I/O. work runs on its own goroutine with the
// screen's context and returns the function that applies its result; that function runs in one fyne.Do,
// and only if the screen is still the one that started the work.
func (k *Kiosk) background(work func(ctx context.Context) (apply func())) {
	ctx, gen := k.scrCtx, k.gen
	k.jobs.add()
	go func() {
		defer k.jobs.done()
		if apply := work(ctx); apply != nil {
			k.apply(gen, apply)
		}
	}()
}

// apply runs fn on the UI goroutine (fyne.Do) if the screen of generation gen still shows.
func (k *Kiosk) apply(gen uint64, fn func()) {
	k.do(func() {
		if k.gen != gen {
			return // the applicant moved on; drop the stale result
		}
		fn()
	})
}

// sessionJob is background for work bound to the session rather than the screen (the pre-check): its
// result is applied while the same session lasts, whatever the screen.
func (k *Kiosk) sessionJob(work func(ctx context.Context) (apply func())) {
	ctx, gen := k.ctx, k.sessGen
	k.jobs.add()
	go func() {
		defer k.jobs.done()
		if apply := work(ctx); apply != nil {
			k.do(func() {
				if k.sessGen == gen {
					apply()
				}
			})
		}
	}()
}

// screen is one screen: it builds its content once when shown.
type screen interface {
	content() fyne.CanvasObject
}

// setScreen replaces the window's content with sc. It never waits on I/O.
func (k *Kiosk) setScreen(sc screen) {
	if k.scrCancel != nil {
		k.scrCancel()
	}
	k.gen++
	k.scrCtx, k.scrCancel = context.WithCancel(k.ctx)
	k.cur = sc
	for _, a := range k.anims {
		a.Stop()
	}
	k.anims = nil
	k.hidePopups()
	k.body.Objects = []fyne.CanvasObject{sc.content()}
	k.body.Refresh()
	k.win.Canvas().SetOnTypedRune(nil)
	k.win.Canvas().SetOnTypedKey(nil)
	if w, ok := sc.(interface{ shown() }); ok {
		w.shown()
	}
}

// animate starts a on the current screen; it stops when the screen changes.
func (k *Kiosk) animate(a *fyne.Animation) {
	k.anims = append(k.anims, a)
	a.Start()
}

// show moves the session to step and builds its screen.
func (k *Kiosk) show(step session.Step) {
	if err := k.s.Go(step); err != nil {
		k.log.Error("screen change refused", "err", err)
		return
	}
	k.setScreen(k.newScreen(step))
}

func (k *Kiosk) newScreen(step session.Step) screen {
	switch step {
	case session.ReadCard:
		return newCardScreen(k)
	case session.Notice:
		return newNoticeScreen(k)
	case session.Route:
		return newRouteScreen(k)
	case session.Condition:
		return newConditionScreen(k)
	case session.Form:
		return newFormScreen(k)
	case session.Materials:
		return newMaterialsScreen(k)
	case session.Confirm:
		return newConfirmScreen(k)
	case session.Submit:
		return newSubmitScreen(k)
	case session.NotEligible:
		return newNotEligibleScreen(k)
	case session.StatusCheck:
		return newStatusScreen(k)
	case session.Unavailable:
		return newUnavailableScreen(k, nil)
	}
	return newHomeScreen(k)
}

// goHome wipes the session and shows Home in Chinese at the normal text size.
func (k *Kiosk) goHome() {
	k.s.Wipe()
	k.sessGen++
	k.precheckDone = false
	k.applyTheme()
	k.setScreen(newHomeScreen(k))
	if k.d.AtHome != nil {
		k.background(func(context.Context) func() {
			k.d.AtHome()
			return nil
		})
	}
}

// back goes one step back (Home, wiping, when there is none).
func (k *Kiosk) back() {
	if b, ok := k.cur.(interface{ onBack() bool }); ok && b.onBack() {
		return
	}
	if st := k.s.Back(); st == session.Home {
		k.goHome()
		return
	}
	k.setScreen(k.newScreen(k.s.Step()))
}

// touch records applicant activity (every handler calls it through the widget helpers).
func (k *Kiosk) touch() {
	k.s.Touch()
	if k.admin.open {
		k.admin.lastTouch = k.clock.Now()
	}
	if k.idlePop != nil {
		k.idlePop.Hide()
		k.idlePop, k.idleLabel = nil, nil
	}
}

// tick checks the idle timers (applicant and admin).
func (k *Kiosk) tick() {
	if k.admin.open {
		k.adminTick()
		return
	}
	phase, left := k.s.Idle()
	switch phase {
	case session.Active:
		if k.idlePop != nil {
			k.idlePop.Hide()
			k.idlePop, k.idleLabel = nil, nil
		}
	case session.Counting:
		k.showIdleCountdown(left)
	case session.Expired:
		k.log.Info("idle: session wiped", "step", k.s.Step().String())
		k.goHome()
	}
}

func (k *Kiosk) showIdleCountdown(left time.Duration) {
	secs := int((left + time.Second - 1) / time.Second)
	if k.idlePop == nil {
		k.hidePopups() // one question at a time
		k.idleLabel = widget.NewLabel("")
		k.idleLabel.Alignment = fyne.TextAlignCenter
		title := k.heading("idle.title")
		more := k.primary("idle.more", func() {}) // touch() closes it
		leave := k.button("idle.leave", k.goHome)
		box := container.NewVBox(title, k.idleLabel, container.NewGridWithColumns(2, leave, more))
		k.idlePop = widget.NewModalPopUp(container.NewPadded(box), k.win.Canvas())
		k.popups = append(k.popups, k.idlePop)
		k.idlePop.Show()
	}
	k.idleLabel.SetText(k.tf("idle.left", secs))
}

// hidePopups closes every dialog and overlay.
func (k *Kiosk) hidePopups() {
	for _, p := range k.popups {
		p.Hide()
	}
	k.popups = nil
	k.idlePop, k.idleLabel = nil, nil
	for top := k.win.Canvas().Overlays().Top(); top != nil; top = k.win.Canvas().Overlays().Top() {
		k.win.Canvas().Overlays().Remove(top)
	}
}

// applyTheme sets the theme for the session's text size.
func (k *Kiosk) applyTheme() {
	th := k.themeNormal
	if k.s.LargeText {
		th = k.themeLarge
	}
	if k.fa.Settings().Theme() != th {
		k.fa.Settings().SetTheme(th)
	}
}

// now returns the clock's time in Shanghai.
// calendar is the working-day calendar in force: the review service's latest, else the embedded one.
func (k *Kiosk) calendar() *workday.Calendar {
	if k.d.CurrentCalendar != nil {
		if c := k.d.CurrentCalendar(); c != nil {
			return c
		}
	}
	return k.d.Calendar
}

func (k *Kiosk) now() time.Time { return k.clock.Now().In(kiosk.Shanghai) }

// jobCounter counts background goroutines of the GUI (tests wait for them to settle).
type jobCounter struct{ n atomic.Int64 }

func (j *jobCounter) add()          { j.n.Add(1) }
func (j *jobCounter) done()         { j.n.Add(-1) }
func (j *jobCounter) active() int64 { return j.n.Load() }
