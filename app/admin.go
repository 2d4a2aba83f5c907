package app

import (
	"context"
	"errors"
	"fmt"
	"huren/kiosk/passhash"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/store"
	"huren/sync/wire"
)

// Admin mode settings.
const (
	MaxPINFailures = 5               // wrong PINs before the pad locks
	PINLockout     = 5 * time.Minute // how long it stays locked
	AdminIdle      = 2 * time.Minute // admin re-locks after this long without a touch
	adminTimeout   = 20 * time.Second
)

type adminState struct {
	open      bool
	unlocked  bool
	actor     string // which PIN unlocked it ("staff#1", "local")
	lastTouch time.Time
}

// ErrPINHash is returned (wrapped) by VerifyPIN for a hash that is not an argon2id PHC string.
var ErrPINHash = passhash.ErrFormat

// HashPIN returns an argon2id hash of pin in PHC format, for the kiosk config's local fallback PIN
// (kiosk/passhash, the same hashes the review service hands out).
func HashPIN(pin string) string { return passhash.Hash(pin) }

// VerifyPIN reports whether pin matches an argon2id PHC hash. Errors wrap ErrPINHash.
func VerifyPIN(hash, pin string) (bool, error) { return passhash.Verify(hash, pin) }

func (k *Kiosk) openAdmin() {
	k.goHome()
	k.admin = adminState{open: true, lastTouch: k.clock.Now()}
	k.log.Info("admin: PIN pad opened")
	k.setScreen(newPINScreen(k))
}

// lockAdmin leaves admin mode.
func (k *Kiosk) lockAdmin(reason string) {
	if k.admin.unlocked {
		k.audit("admin.lock", "", reason)
	}
	k.admin = adminState{}
	k.goHome()
}

// adminTick re-locks admin mode after AdminIdle without a touch.
func (k *Kiosk) adminTick() {
	if k.clock.Now().Sub(k.admin.lastTouch) >= AdminIdle {
		k.log.Info("admin: auto-lock")
		k.lockAdmin("idle")
	}
}

// audit records an admin action off the UI goroutine.
func (k *Kiosk) audit(action, receipt, detail string) {
	actor := k.admin.actor
	if actor == "" {
		actor = "kiosk"
	}
	k.jobs.add()
	go func() {
		defer k.jobs.done()
		ctx, cancel := context.WithTimeout(k.ctx, adminTimeout)
		defer cancel()
		if err := k.d.Queue.Audit(ctx, actor, action, receipt, detail); err != nil {
			k.log.Error("audit failed", "action", action, "err", err)
		}
	}()
}

// ---------------------------------------------------------------- PIN pad

type pinScreen struct {
	k      *Kiosk
	pin    string
	dots   *widget.Label
	status *widget.Label
	ok     *bigButton
	keys   *fyne.Container
	busy   bool
}

func newPINScreen(k *Kiosk) *pinScreen { return &pinScreen{k: k} }

func (p *pinScreen) content() fyne.CanvasObject {
	k := p.k
	p.dots = widget.NewLabel("")
	p.dots.SizeName = "headingText"
	p.dots.Alignment = fyne.TextAlignCenter
	p.status = status()
	p.ok = k.primary("admin.pin.ok", p.onOK)
	p.keys = k.keypad(3, digitKeys, p.onKey)
	cancel := k.button("admin.cancel", func() { k.lockAdmin("cancel") })
	box := container.NewVBox(k.heading("admin.pin.title"), k.text("admin.pin.ask"), panel(p.dots), p.status,
		container.New(&maxWidth{w: 640}, p.keys),
		container.New(&maxWidth{w: 640}, container.NewGridWithColumns(2, cancel, p.ok)))
	p.refresh()
	return container.NewPadded(container.NewVScroll(box))
}

func (p *pinScreen) shown() {
	k := p.k
	k.background(func(ctx context.Context) func() {
		l, err := k.d.Queue.Lockout(ctx)
		if err != nil {
			k.log.Error("admin: lockout state", "err", err)
			return nil
		}
		return func() { p.showLock(l) }
	})
}

func (p *pinScreen) showLock(l store.Lockout) {
	if p.k.clock.Now().Before(l.LockedUntil) {
		p.status.SetText(p.k.tf("admin.pin.locked", l.LockedUntil.In(kiosk.Shanghai).Format("15:04:05")))
		p.keys.Hide()
		p.ok.Disable()
	}
}

func (p *pinScreen) refresh() {
	p.dots.SetText(strings.Repeat("● ", len(p.pin)))
	if len(p.pin) >= 4 && !p.busy {
		p.ok.Enable()
	} else {
		p.ok.Disable()
	}
}

func (p *pinScreen) onKey(key string) {
	p.pin = applyKey(p.pin, key, 12)
	p.refresh()
}

// onOK checks the PIN off the UI goroutine (argon2id is slow on purpose) and counts failures.
func (p *pinScreen) onOK() {
	k := p.k
	pin := p.pin
	p.pin = ""
	p.busy = true
	p.refresh()
	p.status.SetText(k.t("admin.pin.checking"))
	var pins []wire.StaffPIN
	if k.d.StaffPINs != nil {
		pins = append(pins, k.d.StaffPINs()...)
	}
	local := k.d.LocalPINHash
	now := k.clock.Now()
	k.background(func(ctx context.Context) func() {
		l, err := k.d.Queue.Lockout(ctx)
		if err != nil {
			return func() { p.busy = false; p.status.SetText(k.t("admin.error")); p.refresh() }
		}
		if now.Before(l.LockedUntil) {
			return func() { p.busy = false; p.showLock(l) }
		}
		actor := ""
		for i, sp := range pins {
			if ok, _ := VerifyPIN(sp.Hash, pin); ok {
				actor = sp.Staff
				if actor == "" {
					actor = fmt.Sprintf("staff#%d", i+1)
				}
				break
			}
		}
		if actor == "" && local != "" {
			if ok, _ := VerifyPIN(local, pin); ok {
				actor = "local"
			}
		}
		if actor != "" {
			_ = k.d.Queue.SetLockout(ctx, store.Lockout{})
			_ = k.d.Queue.Audit(ctx, actor, "admin.unlock", "", "")
			return func() { p.busy = false; p.unlocked(actor) }
		}
		l.Failures++
		action := "admin.pin_failed"
		if l.Failures >= MaxPINFailures {
			l = store.Lockout{LockedUntil: now.Add(PINLockout)}
			action = "admin.locked_out"
		}
		if err := k.d.Queue.SetLockout(ctx, l); err != nil {
			k.log.Error("admin: save lockout", "err", err)
		}
		_ = k.d.Queue.Audit(ctx, "kiosk", action, "", fmt.Sprintf("failures=%d", l.Failures))
		return func() {
			p.busy = false
			p.refresh()
			if !l.LockedUntil.IsZero() {
				p.showLock(l)
				return
			}
			p.status.SetText(k.tf("admin.pin.wrong", MaxPINFailures-l.Failures))
		}
	})
}

func (p *pinScreen) unlocked(actor string) {
	k := p.k
	k.admin.unlocked = true
	k.admin.actor = actor
	k.admin.lastTouch = k.clock.Now()
	k.log.Info("admin: unlocked", "actor", actor)
	k.setScreen(newDashboard(k))
}

// ---------------------------------------------------------------- Dashboard

type dashboard struct {
	k       *Kiosk
	counts  *widget.Label
	sync    *widget.Label
	health  *widget.Label
	items   *fyne.Container
	result  *widget.Label
	actions map[string]*bigButton
	dead    []kiosk.Receipt
}

func newDashboard(k *Kiosk) *dashboard { return &dashboard{k: k} }

func (d *dashboard) content() fyne.CanvasObject {
	k := d.k
	d.counts = widget.NewLabel(k.t("admin.loading"))
	d.sync = widget.NewLabel("")
	d.health = widget.NewLabel("")
	d.health.Wrapping = fyne.TextWrapWord
	d.result = status()
	d.items = container.NewVBox()
	d.actions = map[string]*bigButton{}
	act := func(id string, fn func()) *bigButton {
		b := k.button("admin."+id, fn)
		d.actions[id] = b
		return b
	}
	grid := container.NewGridWithColumns(3,
		act("sync", d.onSync), act("retry", d.onRetryDead), act("testprint", d.onTestPrint),
		act("testcamera", d.onTestCamera), act("testreader", d.onTestReader), act("log", d.onLog),
		act("refresh", d.load), act("lock", func() { k.lockAdmin("button") }), act("quit", d.onQuit))
	box := container.NewVBox(k.heading("admin.title"), panel(container.NewVBox(d.counts, d.sync)),
		panel(d.health), d.result, grid, k.subheading("admin.items"), d.items)
	return container.NewPadded(container.NewVScroll(box))
}

func (d *dashboard) shown() { d.load() }

type dashData struct {
	counts store.Counts
	items  []store.Item
	health []kiosk.Health
	paper  kiosk.PrinterStatus
	perr   error
	accept error // the backlog guard's answer: why new applications are refused
	err    error
}

// load reads the queue and the devices' state off the UI goroutine.
func (d *dashboard) load() {
	k := d.k
	k.background(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		defer cancel()
		var dd dashData
		dd.counts, dd.err = k.d.Queue.Counts(ctx)
		if dd.err == nil {
			dd.items, dd.err = k.d.Queue.List(ctx, 50)
		}
		if k.d.Health != nil {
			dd.health = k.d.Health(ctx)
		}
		dd.paper, dd.perr = k.d.Printer.Status(ctx)
		dd.accept = k.d.Queue.CanAccept(ctx)
		return func() { d.show(dd) }
	})
}

func (d *dashboard) show(dd dashData) {
	k := d.k
	if dd.err != nil {
		d.counts.SetText(k.t("admin.error") + " " + dd.err.Error())
		return
	}
	c := dd.counts
	oldest := "—"
	if !c.OldestUnsent.IsZero() {
		oldest = c.OldestUnsent.In(kiosk.Shanghai).Format("01-02 15:04")
	}
	d.counts.SetText(k.tf("admin.counts", c.Queued, c.Dead, c.Delivered, c.Decided, oldest))
	last := "—"
	if k.d.Syncer != nil && !k.d.Syncer.LastSync().IsZero() {
		last = k.d.Syncer.LastSync().In(kiosk.Shanghai).Format("01-02 15:04:05")
	}
	d.sync.SetText(k.tf("admin.lastsync", last))
	var h []string
	for _, x := range dd.health {
		mark := "✓"
		if !x.OK {
			mark = "✗"
		}
		h = append(h, fmt.Sprintf("%s %s: %s", mark, x.Device, x.Detail))
	}
	switch {
	case dd.perr != nil:
		h = append(h, "✗ printer: "+dd.perr.Error())
	case dd.paper.Err() != nil:
		h = append(h, "✗ printer: "+kiosk.Message(dd.paper.Err(), k.s.English)+" "+dd.paper.Detail)
	case dd.paper.PaperNearEnd:
		h = append(h, "! printer: "+k.t("admin.paperlow"))
	default:
		h = append(h, "✓ printer: "+k.t("admin.ok"))
	}
	if k.lastPrintErr != nil {
		h = append(h, "! "+k.t("admin.lastprintfail")+" "+k.lastPrintErr.Error())
	}
	if dd.accept != nil { // staff see the cause; applicants see the plain 暂停受理 screen
		line := "✗ " + k.t("admin.notaccepting") + " " + kiosk.Message(dd.accept, k.s.English)
		if cause := errors.Unwrap(dd.accept); cause != nil {
			line += " (" + cause.Error() + ")"
		}
		h = append(h, line)
	}
	// Due dates past the published calendar count weekends only: say so until the new notice arrives.
	for _, y := range []int{k.now().Year(), k.now().AddDate(0, 0, 14).Year()} {
		if !k.calendar().Covers(y) {
			h = append(h, "! "+k.tf("admin.calendar", y))
			break
		}
	}
	d.health.SetText(strings.Join(h, "\n"))
	d.items.RemoveAll()
	d.dead = nil
	for _, it := range dd.items {
		it := it
		if it.State == kiosk.StateDead {
			d.dead = append(d.dead, it.Receipt)
		}
		line := fmt.Sprintf("%s  %s %s  %s  %s", it.Receipt, it.MaskedName, it.MaskedNumber,
			k.stateLabel(it.State), it.CreatedAt.In(kiosk.Shanghai).Format("01-02 15:04"))
		if it.LastError != "" {
			line += "  (" + it.LastError + ")"
		}
		reprint := k.button("admin.reprint", func() { d.onReprint(it.Receipt) })
		d.items.Add(container.NewBorder(nil, nil, nil, reprint, newDataLabel(line)))
	}
}

// run performs one admin action off the UI goroutine, audits it, and shows its outcome.
func (d *dashboard) run(action, receipt string, work func(ctx context.Context) (string, error)) {
	k := d.k
	d.result.SetText(k.t("admin.busy"))
	k.background(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		defer cancel()
		msg, err := work(ctx)
		detail := msg
		if err != nil {
			detail = "error: " + err.Error()
		}
		if aerr := k.d.Queue.Audit(ctx, k.admin.actor, "admin."+action, receipt, detail); aerr != nil {
			k.log.Error("audit failed", "err", aerr)
		}
		return func() {
			if err != nil {
				d.result.SetText(k.t("admin.failed") + " " + err.Error())
			} else {
				d.result.SetText(msg)
			}
			d.load()
		}
	})
}

func (d *dashboard) onSync() {
	k := d.k
	d.run("sync", "", func(ctx context.Context) (string, error) {
		switch {
		case k.d.SyncNow != nil:
			if err := k.d.SyncNow(ctx); err != nil {
				return "", err
			}
		case k.d.Syncer != nil:
			k.d.Syncer.Wake()
		default:
			return "", errors.New("no uploader")
		}
		return k.t("admin.synced"), nil
	})
}

func (d *dashboard) onRetryDead() {
	k := d.k
	dead := append([]kiosk.Receipt(nil), d.dead...)
	d.run("retry_dead", "", func(ctx context.Context) (string, error) {
		for _, r := range dead {
			if err := k.d.Queue.RetryDead(ctx, r); err != nil {
				return "", fmt.Errorf("retry %s: %w", r, err)
			}
		}
		if k.d.Syncer != nil {
			k.d.Syncer.Wake()
		}
		return k.tf("admin.retried", len(dead)), nil
	})
}

func (d *dashboard) onReprint(r kiosk.Receipt) {
	k := d.k
	now := k.now()
	d.run("reprint", r.String(), func(ctx context.Context) (string, error) {
		a, err := k.d.Queue.Get(ctx, r)
		if err != nil {
			return "", fmt.Errorf("get %s: %w", r, err)
		}
		doc := k.receiptDoc(a)
		doc.Reprint = now
		if err := k.d.Printer.Print(ctx, kiosk.Document{Receipt: &doc}); err != nil {
			return "", err
		}
		return k.tf("admin.reprinted", r.String()), nil
	})
}

func (d *dashboard) onTestPrint() {
	k := d.k
	d.run("test_print", "", func(ctx context.Context) (string, error) {
		if err := k.d.Printer.Print(ctx, kiosk.Document{TestPage: true}); err != nil {
			return "", err
		}
		return k.t("admin.printed"), nil
	})
}

func (d *dashboard) onTestCamera() {
	k := d.k
	d.run("test_camera", "", func(ctx context.Context) (string, error) {
		raw, err := k.d.Camera.Capture(ctx)
		if err != nil {
			return "", err
		}
		p, err := k.d.Normalize(ctx, raw)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %d×%d %d KB %v", k.t("admin.cameraok"), p.Width, p.Height, len(p.Data)/1024,
			p.WarningCodes()), nil
	})
}

func (d *dashboard) onTestReader() {
	k := d.k
	d.result.SetText(k.t("admin.placecard"))
	d.run("test_reader", "", func(ctx context.Context) (string, error) {
		c, err := k.d.Reader.Read(ctx)
		if err != nil {
			return "", err
		}
		defer c.Wipe()
		return k.t("admin.readerok") + " " + idcard.MaskName(c.Name) + " " + idcard.MaskNumber(c.Number), nil
	})
}

func (d *dashboard) onLog() {
	k := d.k
	k.audit("admin.view_log", "", "")
	k.background(func(ctx context.Context) func() {
		entries, err := k.d.Queue.AuditLog(ctx, 100)
		var lines []string
		if err != nil {
			lines = append(lines, err.Error())
		}
		for _, e := range entries {
			lines = append(lines, fmt.Sprintf("%s %s %s %s %s", e.At.In(kiosk.Shanghai).Format("01-02 15:04:05"),
				e.Actor, e.Action, e.Receipt, e.Detail))
		}
		if k.d.LogTail != nil {
			lines = append(lines, "—")
			lines = append(lines, k.d.LogTail()...)
		}
		return func() { k.setScreen(&logScreen{k: k, lines: lines}) }
	})
}

func (d *dashboard) onQuit() {
	k := d.k
	actor := k.admin.actor
	// The audit row is written before the program ends.
	k.background(func(ctx context.Context) func() {
		if err := k.d.Queue.Audit(ctx, actor, "admin.quit", "", ""); err != nil {
			k.log.Error("audit failed", "err", err)
		}
		return k.d.Quit
	})
}

// logScreen shows the audit log and the program log.
type logScreen struct {
	k     *Kiosk
	lines []string
	back  *bigButton
}

func (l *logScreen) content() fyne.CanvasObject {
	k := l.k
	text := newDataLabel(strings.Join(l.lines, "\n"))
	text.SizeName = "helperText"
	l.back = k.button("nav.back", func() { k.setScreen(newDashboard(k)) })
	return container.NewBorder(k.heading("admin.log"), container.NewPadded(l.back), nil, nil,
		container.NewVScroll(text))
}
