package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/idcard"
	"huren/kiosk/session"
)

func (h *harness) hotspot() *hotspot {
	return h.k.root.(*fyne.Container).Objects[1].(*fyne.Container).Objects[0].(*hotspot)
}

func TestIdleWipe(t *testing.T) {
	h := newHarness(t)
	card := demoCard(0)
	o := pathOpts{card: card, route: kiosk.RoutePermit, condition: kiosk.ConditionEmployment}
	h.walkToConfirm(o)
	app := h.k.s.App
	cardRef := h.k.s.Card
	mats := app.Materials
	h.tap(findButton(t, h, "nav.home")) // an open dialog must go too

	h.clock.Add(session.IdleAfter - time.Second)
	h.k.tick()
	if h.k.idlePop != nil {
		t.Fatal("countdown too early")
	}
	h.clock.Add(2 * time.Second)
	h.k.tick()
	if h.k.idlePop == nil || !strings.Contains(h.k.idleLabel.Text, "14") {
		t.Fatalf("no countdown: %v", h.k.idleLabel)
	}
	h.shotIf("idle-countdown")
	h.clock.Add(session.Countdown)
	h.k.tick()
	h.settle()
	h.wantStep(session.Home)
	if _, ok := h.k.cur.(*homeScreen); !ok || len(h.k.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("not home, or an overlay is left")
	}
	if !h.k.s.Empty() || app.Mobile != "" || app.Applicant.Number != "" || cardRef.Number != "" || cardRef.Name != "" {
		t.Fatal("session data not wiped")
	}
	for _, m := range mats {
		for _, b := range m.Data {
			if b != 0 {
				t.Fatal("image bytes not wiped")
			}
		}
	}
	needles := []string{card.Name, idcard.MaskName(card.Name), card.Number, idcard.MaskNumber(card.Number),
		card.Number[len(card.Number)-4:], "13800138000", "138 0013 8000", "138****8000", "12号3幢2单元501室",
		validUSCC(), "501"}
	for _, it := range allText(h.k.win.Canvas()) {
		for _, n := range needles {
			if n != "" && strings.Contains(it.text, n) {
				t.Fatalf("applicant data %q left on screen in %q", n, it.text)
			}
		}
	}
}

func TestIdleTouchKeepsSession(t *testing.T) {
	h := newHarness(t)
	h.reader.push(demoCard(0), nil)
	h.tap(h.k.cur.(*homeScreen).start)
	h.clock.Add(session.IdleAfter + time.Second)
	h.k.tick()
	if h.k.idlePop == nil {
		t.Fatal("no countdown")
	}
	more := findButton(t, h, "idle.more")
	h.tap(more)
	h.clock.Add(session.Countdown)
	h.k.tick()
	h.wantStep(session.Notice)
	if h.k.idlePop != nil || h.k.s.App == nil {
		t.Fatal("touch did not keep the session")
	}
}

func (h *harness) openAdmin() {
	h.t.Helper()
	for i := 0; i < 5; i++ {
		h.clock.Add(500 * time.Millisecond)
		test.Tap(h.hotspot())
	}
	h.settle()
	if _, ok := h.k.cur.(*pinScreen); !ok {
		h.t.Fatalf("no PIN pad: %T", h.k.cur)
	}
}

func (h *harness) enterPIN(pin string) {
	h.t.Helper()
	p := h.k.cur.(*pinScreen)
	h.keys(p.keys, pin)
	h.tap(p.ok)
}

func TestAdminUnlockAndActions(t *testing.T) {
	h := newHarness(t)
	// One application in the queue first (for reprint and retry).
	o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionResidence}
	h.walkToConfirm(o)
	a := h.submit(o)
	h.tap(h.k.cur.(*submitScreen).done)

	// Four taps spread over more than 3 s do nothing.
	for i := 0; i < 5; i++ {
		h.clock.Add(time.Second)
		test.Tap(h.hotspot())
	}
	if _, ok := h.k.cur.(*homeScreen); !ok {
		t.Fatal("slow taps opened the PIN pad")
	}
	h.openAdmin()
	h.enterPIN(testPIN)
	d, ok := h.k.cur.(*dashboard)
	if !ok {
		t.Fatalf("not unlocked: %s", h.visibleText())
	}
	if !strings.Contains(d.counts.Text, "上传失败 1") || !strings.Contains(h.visibleText(), a.Receipt.String()) ||
		strings.Contains(h.visibleText(), a.Applicant.Number) {
		t.Fatalf("dashboard: %s", h.visibleText())
	}
	h.shotIf("admin-dashboard")
	h.tap(d.actions["sync"])
	h.tap(d.actions["retry"])
	if len(h.queue.retried) != 1 || h.queue.retried[0] != a.Receipt {
		t.Fatalf("retried %v", h.queue.retried)
	}
	h.tap(d.actions["testprint"])
	h.tap(d.actions["testcamera"])
	if !strings.Contains(d.result.Text, "高拍仪正常") {
		t.Fatalf("camera: %q", d.result.Text)
	}
	h.reader.push(demoCard(1), nil)
	h.tap(d.actions["testreader"])
	if !strings.Contains(d.result.Text, idcard.MaskNumber(demoCard(1).Number)) {
		t.Fatalf("reader: %q", d.result.Text)
	}
	var reprint *bigButton
	for _, b := range buttons(h) {
		if b.Text == h.k.t("admin.reprint") {
			reprint = b
		}
	}
	h.tap(reprint)
	docs := h.printer.printed()
	last := docs[len(docs)-1]
	if last.Receipt == nil || last.Receipt.Reprint.IsZero() || last.Receipt.Receipt != a.Receipt {
		t.Fatalf("reprint %+v", last)
	}
	if !docs[len(docs)-2].TestPage {
		t.Fatal("no test page")
	}
	h.tap(d.actions["log"])
	l, ok := h.k.cur.(*logScreen)
	if !ok || !strings.Contains(h.visibleText(), "admin.unlock") {
		t.Fatalf("log: %s", h.visibleText())
	}
	h.shotIf("admin-log")
	h.tap(l.back)
	d = h.k.cur.(*dashboard)
	h.tap(d.actions["lock"])
	h.wantStep(session.Home)
	h.settle()
	got := strings.Join(h.queue.actions(), ",")
	for _, want := range []string{"admin.unlock", "admin.sync", "admin.retry_dead", "admin.test_print", "admin.test_camera",
		"admin.test_reader", "admin.reprint", "admin.view_log", "admin.lock"} {
		if !strings.Contains(got, want) {
			t.Fatalf("audit lacks %s: %s", want, got)
		}
	}
}

func TestAdminLockout(t *testing.T) {
	h := newHarness(t)
	h.openAdmin()
	h.shotIf("admin-pin")
	for i := 1; i <= MaxPINFailures; i++ {
		h.enterPIN("1111")
		if _, ok := h.k.cur.(*pinScreen); !ok {
			t.Fatal("wrong PIN unlocked")
		}
	}
	l := h.queue.lockout
	if !l.LockedUntil.Equal(h.clock.Now().Add(PINLockout)) {
		t.Fatalf("lockout %+v", l)
	}
	p := h.k.cur.(*pinScreen)
	if p.keys.Visible() || !strings.Contains(p.status.Text, "锁定") {
		t.Fatalf("pad not locked: %q", p.status.Text)
	}
	// Persisted: a new PIN pad (as after a restart) is still locked, even for the right PIN.
	h.k.lockAdmin("test")
	h.openAdmin()
	p = h.k.cur.(*pinScreen)
	if p.keys.Visible() {
		t.Fatal("lockout not persisted")
	}
	p.keys.Show()
	p.pin = testPIN
	p.refresh()
	h.tap(p.ok)
	if _, ok := h.k.cur.(*dashboard); ok {
		t.Fatal("unlocked while locked out")
	}
	h.clock.Add(PINLockout)
	h.k.lockAdmin("test")
	h.openAdmin()
	h.enterPIN(testPIN)
	if _, ok := h.k.cur.(*dashboard); !ok {
		t.Fatalf("not unlocked after the lockout: %s", h.visibleText())
	}
	if !strings.Contains(strings.Join(h.queue.actions(), ","), "admin.locked_out") {
		t.Fatal("lockout not audited")
	}
}

func TestAdminAutoLock(t *testing.T) {
	h := newHarness(t)
	h.openAdmin()
	h.enterPIN(testPIN)
	if _, ok := h.k.cur.(*dashboard); !ok {
		t.Fatal("not unlocked")
	}
	h.clock.Add(AdminIdle - time.Second)
	h.k.tick()
	if _, ok := h.k.cur.(*dashboard); !ok {
		t.Fatal("locked too early")
	}
	h.clock.Add(time.Second)
	h.k.tick()
	h.settle()
	if _, ok := h.k.cur.(*homeScreen); !ok || h.k.admin.open {
		t.Fatal("admin did not auto-lock")
	}
}

func TestVerifyPIN(t *testing.T) {
	if ok, err := VerifyPIN(testPINHash, testPIN); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := VerifyPIN(testPINHash, "000000"); ok {
		t.Fatal("wrong PIN accepted")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$a$b", "plain"} {
		if _, err := VerifyPIN(bad, "1"); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

// isCJK reports whether s has Chinese characters or full-width punctuation.
func isCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) {
			return true
		}
	}
	return false
}

// intentionalCJK are English messages that show Chinese on purpose (the way back to Chinese, the keys
// of the address keypad).
var intentionalCJK = []string{"nav.lang", "form.detail.hint"}

func (h *harness) checkEnglish(screen string) {
	h.t.Helper()
	for _, it := range allText(h.k.win.Canvas()) {
		if it.data || !isCJK(it.text) {
			continue
		}
		ok := false
		for _, id := range intentionalCJK {
			ok = ok || strings.Contains(messages[id][1], strings.TrimSpace(it.text))
		}
		if !ok {
			h.t.Errorf("%s: untranslated text %q", screen, it.text)
		}
	}
	if len(h.k.missing) > 0 {
		h.t.Fatalf("%s: missing message ids %v", screen, h.k.missing)
	}
}

func TestMessagesComplete(t *testing.T) {
	for id, m := range messages {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s lacks a text", id)
		}
		if !isCJK(m[0]) && !strings.ContainsAny(m[0], "%⌫→←") && id != "nav.lang" {
			t.Errorf("%s: Chinese text %q has no Chinese", id, m[0])
		}
	}
}

func TestEnglishEverywhere(t *testing.T) {
	for _, cond := range kiosk.Conditions {
		t.Run(string(cond), func(t *testing.T) {
			h := newHarness(t)
			h.tap(h.k.cur.(*homeScreen).lang)
			if !h.k.s.English {
				t.Fatal("not English")
			}
			o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: cond, shots: h.checkEnglish}
			h.walkToConfirm(o)
			h.submit(o)
			h.checkEnglish("submit")
			// Not eligible, in English.
			h.tap(h.k.cur.(*submitScreen).done)
			if h.k.s.English {
				t.Fatal("language not reset at home")
			}
		})
	}
	t.Run("other screens", func(t *testing.T) {
		h := newHarness(t)
		h.remote.precheck = kiosk.Precheck{Known: true, Months: 2}
		h.tap(h.k.cur.(*homeScreen).lang)
		o := pathOpts{card: demoCard(0), route: kiosk.RouteRegistration, condition: kiosk.ConditionResidence}
		h.walkToConfirm(o)
		h.tap(h.k.cur.(*confirmScreen).submit)
		h.wantStep(session.NotEligible)
		h.checkEnglish("not eligible")
		h.shotIf("noteligible-en")
		h.tap(findButton(t, h, "nav.home"))
		h.checkEnglish("home confirm")
		h.k.goHome()
		h.tap(h.k.cur.(*homeScreen).lang)
		h.tap(h.k.cur.(*homeScreen).query)
		h.remote.err = errOffline
		test_typeScan(h, "http://x/s/331122-007-261204-0001?t=x")
		h.checkEnglish("status")
		h.k.goHome()
		h.tap(h.k.cur.(*homeScreen).lang)
		h.queue.accept = kiosk.NewUserError("暂停受理", "Not accepting", kiosk.ErrBacklog)
		h.tap(h.k.cur.(*homeScreen).start)
		h.checkEnglish("unavailable")
		h.queue.accept = nil
		h.k.goHome()
		h.tap(h.k.cur.(*homeScreen).lang)
		h.reader.push(idcard.Card{}, kiosk.NewUserError("请重新放置身份证", "Place the card again", nil))
		h.tap(h.k.cur.(*homeScreen).start)
		h.checkEnglish("card error")
		h.k.goHome()
		h.openAdmin()
		h.k.s.English = true
		h.k.setScreen(newPINScreen(h.k))
		h.settle()
		h.checkEnglish("admin pin")
		h.k.admin.actor = "test"
		h.k.setScreen(newDashboard(h.k))
		h.settle()
		h.checkEnglish("admin dashboard")
	})
}

// TestScreenshots writes every screen at 1920×1080 and 1080×1920 to out/screens/ (and the capture screen
// with a blur warning to out/capture-blur-warning.png) and checks that nothing overflows the window.
func TestScreenshots(t *testing.T) {
	for _, cond := range []kiosk.Condition{kiosk.ConditionResidence, kiosk.ConditionEmployment, kiosk.ConditionSchooling} {
		h := newHarness(t)
		if cond == kiosk.ConditionResidence {
			demo := capture.NewDemoCamera() // the real preview in the pictures; fast fake captures
			h.k.d.Camera = previewOf{demo, h.cam}
		}
		o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: cond}
		o.shots = func(name string) {
			h.checkFits(name)
			h.checkRegularWeight(name)
			// Every screen once (residence), and the screens only the other conditions have.
			if cond == kiosk.ConditionResidence || strings.HasPrefix(name, "form-employer") ||
				strings.HasPrefix(name, "form-school") || name == "confirm" {
				h.shotIf(name + "-" + string(cond))
			}
		}
		h.walkToConfirm(o)
		h.submit(o)
		if cond == kiosk.ConditionResidence {
			h.shotIf("submit")
		}
	}
	h := newHarness(t)
	h.shotIf("home")
	h.tap(h.k.cur.(*homeScreen).large)
	h.checkFits("home-large")
	h.shotIf("home-large")
	h.tap(h.k.cur.(*homeScreen).lang)
	h.shotIf("home-large-en")
	h.k.goHome()
	h.tap(h.k.cur.(*homeScreen).start) // no card on the reader
	h.shotIf("card-waiting")
	h.k.goHome()

	// The capture screen with a blur warning, from the real demo camera and pipeline.
	cam := capture.NewDemoCamera()
	cam.SetSize(1240, 1754)
	cam.SetFault(capture.FaultBlur)
	h.k.d.Camera, h.k.d.Normalize = cam, capture.Normalize
	o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionSchooling}
	h.reader.push(o.card, nil)
	h.tap(h.k.cur.(*homeScreen).start)
	h.k.s.NoticeRead, h.k.s.NoticeAccepted = true, true
	h.k.show(session.Route)
	h.tap(h.k.cur.(*routeScreen).choices[o.route])
	h.tap(h.k.cur.(*conditionScreen).choices[o.condition])
	h.k.s.App.Mobile = "13800138000"
	h.k.s.App.Address = kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城东社区", Detail: "1号"}
	h.k.s.App.SchoolCode, h.k.s.App.SchoolName = "JY-S01", "浙江省缙云中学"
	h.k.show(session.Materials)
	h.settle()
	m := h.k.cur.(*materialsScreen)
	h.tap(m.shoot)
	if m.pending == nil || !m.warnBox.Visible() || m.pending.Warnings[0].Code != "blur" {
		t.Fatalf("no blur warning: %q", m.status.Text)
	}
	h.resize(1920, 1080)
	h.shot("capture-blur-warning.png")
	h.shotIf("materials-blur-warning")
}

// checkFits fails when the screen's content needs more than the window at the kiosk sizes, apart from
// the scrolling middle.
func (h *harness) checkFits(name string) {
	h.t.Helper()
	for _, sz := range []fyne.Size{{Width: 1920, Height: 1080}, {Width: 1080, Height: 1920}, {Width: 1280, Height: 1024}} {
		if min := h.k.root.MinSize(); min.Width > sz.Width || min.Height > sz.Height {
			h.t.Errorf("%s needs %v, more than %v", name, min, sz)
		}
	}
}

func TestAutopilot(t *testing.T) {
	h := newHarness(t)
	// A UI goroutine of our own: every UI change of the autopilot and the background work runs on it.
	calls := make(chan func())
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case f := <-calls:
				f()
			case <-stop:
				return
			}
		}
	}()
	defer close(stop)
	h.k.do = func(f func()) { go func() { calls <- f }() }
	h.k.doWait = func(f func()) {
		done := make(chan struct{})
		calls <- func() { f(); close(done) }
		<-done
	}
	for i := 0; i < 6; i++ {
		h.reader.push(demoCard(i%3), nil)
	}
	var accepted []kiosk.Receipt
	h.k.d.WaitAccepted = func(ctx context.Context, r kiosk.Receipt) (kiosk.State, error) {
		accepted = append(accepted, r)
		return kiosk.StateAccepted, nil
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := h.k.Autopilot(ctx, 3, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("lines %q", lines)
	}
	for _, l := range lines {
		var al AutopilotLine
		if err := json.Unmarshal([]byte(l), &al); err != nil || al.State != "accepted" || al.Receipt == "" {
			t.Fatalf("line %q: %v", l, err)
		}
	}
	h.queue.mu.Lock()
	n := len(h.queue.apps)
	h.queue.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d committed", n)
	}
	h.k.do, h.k.doWait = h.post, func(f func()) { f() }
}

// previewOf shows the demo camera's preview and captures with the fake camera.
type previewOf struct {
	*capture.DemoCamera
	fake *fakeCamera
}

func (p previewOf) Capture(ctx context.Context) (kiosk.RawPage, error) { return p.fake.Capture(ctx) }

// Staff see why applications are refused and when the holiday calendar runs out.
func TestAdminDashboardWarnings(t *testing.T) {
	h := newHarness(t)
	h.queue.mu.Lock()
	h.queue.accept = kiosk.NewUserError("本机待上传申请过多，暂停受理", "Too many unsent applications",
		fmt.Errorf("212 unsent over the limit of 200: %w", kiosk.ErrBacklog))
	h.queue.mu.Unlock()
	h.clock.Add(30 * 24 * time.Hour) // early January 2027: no State Council notice yet
	h.openAdmin()
	h.enterPIN(testPIN)
	d, ok := h.k.cur.(*dashboard)
	if !ok {
		t.Fatalf("not unlocked: %s", h.visibleText())
	}
	for _, want := range []string{"暂停受理", "212 unsent over the limit of 200", "节假日日历未覆盖 2027 年"} {
		if !strings.Contains(d.health.Text, want) {
			t.Errorf("dashboard health lacks %q:\n%s", want, d.health.Text)
		}
	}
}
