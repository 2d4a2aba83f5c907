package app

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/eligibility"
	"huren/kiosk/idcard"
	"huren/kiosk/session"
)

// TestFullPaths walks Home → receipt for every route and condition (and each material alternative).
func TestFullPaths(t *testing.T) {
	for _, route := range kiosk.Routes {
		for _, cond := range kiosk.Conditions {
			for alt := range eligibility.Required(cond) {
				o := pathOpts{card: demoCard(0), route: route, condition: cond, alt: alt}
				t.Run(fmtOpts(o), func(t *testing.T) {
					h := newHarness(t)
					if route == kiosk.RouteRegistration {
						h.remote.precheck = kiosk.Precheck{Known: true, Months: 9}
					}
					h.walkToConfirm(o)
					a := h.submit(o)
					if a.Route != route || a.Condition != cond || a.Mobile != "13800138000" {
						t.Fatalf("committed %+v", a)
					}
					if a.Address.Detail != "12号3幢2单元501室" || a.Address.TownCode == "" || a.Address.Community == "" {
						t.Fatalf("address %+v", a.Address)
					}
					if a.Applicant.Number != demoCard(0).Number || a.StatusToken == "" || a.NoticeVersion == "" {
						t.Fatal("applicant, token or notice version missing")
					}
					if len(a.Materials) == 0 || !eligibility.Satisfied(cond, pagesPerKind(a.Materials)) {
						t.Fatalf("materials %d", len(a.Materials))
					}
					if cond == kiosk.ConditionEmployment && a.EmployerUSCC != validUSCC() {
						t.Fatalf("uscc %q", a.EmployerUSCC)
					}
					if cond == kiosk.ConditionSchooling && a.SchoolCode == "" {
						t.Fatal("school missing")
					}
					if !a.Precheck.Known {
						t.Fatal("precheck result not kept")
					}
					docs := h.printer.printed()
					if len(docs) != 1 || docs[0].Receipt == nil || docs[0].Receipt.Receipt != a.Receipt {
						t.Fatalf("receipt not printed: %+v", docs)
					}
					r := docs[0].Receipt
					if r.MaskedNumber != idcard.MaskNumber(a.Applicant.Number) || strings.Contains(r.StatusURL, a.Applicant.Number) ||
						!strings.Contains(r.StatusURL, a.Receipt.String()) || r.DueAt.Before(a.CreatedAt) {
						t.Fatalf("receipt doc %+v", r)
					}
					if h.syncer.wakes.Load() == 0 {
						t.Fatal("uploader not woken")
					}
					if !strings.Contains(h.visibleText(), a.Receipt.String()) {
						t.Fatal("receipt number not on screen")
					}
					h.tap(h.k.cur.(*submitScreen).done)
					h.wantStep(session.Home)
					if h.k.s.App != nil {
						t.Fatal("session kept after done")
					}
				})
			}
		}
	}
}

// TestRealCapture walks a path with the real demo camera and capture pipeline, retaking a blurred page.
func TestRealCapture(t *testing.T) {
	cam := capture.NewDemoCamera()
	cam.SetSize(1240, 1754)
	h := newHarnessWith(t, func(d *Deps) { d.Camera, d.Normalize = cam, capture.Normalize })
	h.reader.push(demoCard(0), nil)
	h.tap(h.k.cur.(*homeScreen).start)
	h.k.s.NoticeRead, h.k.s.NoticeAccepted = true, true
	h.k.show(session.Route)
	h.tap(h.k.cur.(*routeScreen).choices[kiosk.RoutePermit])
	h.tap(h.k.cur.(*conditionScreen).choices[kiosk.ConditionSchooling])
	a := h.k.s.App
	a.Mobile = "13800138000"
	a.Address = kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城东社区", Detail: "1号"}
	a.SchoolCode, a.SchoolName = "JY-S01", "浙江省缙云中学"
	h.k.show(session.Materials)
	h.settle()
	m := h.k.cur.(*materialsScreen)
	if m.preview.Image == nil {
		t.Fatal("no preview")
	}
	cam.SetFault(capture.FaultBlur)
	h.tap(m.shoot)
	if m.pending == nil {
		t.Fatal("blurred page not flagged")
	}
	cam.SetFault(capture.FaultNone)
	h.tap(m.retake)
	if m.pending != nil || len(a.Materials) != 1 || a.Materials[0].Warnings != nil || a.Materials[0].ContentType != "image/jpeg" {
		t.Fatalf("retake: %+v", m.pending)
	}
	h.tap(m.next)
	h.wantStep(session.Confirm)
	o := pathOpts{}
	got := h.submit(o)
	if len(got.Materials) != 1 || len(got.Materials[0].Data) < 1000 {
		t.Fatal("material not committed")
	}
}

func TestBackOnEveryStep(t *testing.T) {
	h := newHarness(t)
	o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionEmployment}
	h.walkToConfirm(o)
	seen := []session.Step{}
	for i := 0; h.step() != session.Home; i++ {
		if i > 40 {
			t.Fatal("back never reached home")
		}
		seen = append(seen, h.step())
		h.tap(findButton(t, h, "nav.back"))
	}
	if h.k.s.App != nil {
		t.Fatal("back to home kept data")
	}
	if len(seen) < 8 {
		t.Fatalf("back went through %v", seen)
	}
}

func findButton(t *testing.T, h *harness, id string) *bigButton {
	t.Helper()
	label := h.k.t(id)
	var found *bigButton
	for _, b := range buttons(h) {
		if b.Text == label && b.Visible() {
			found = b
		}
	}
	if found == nil {
		t.Fatalf("no button %q on %s: %s", label, h.step(), h.visibleText())
	}
	return found
}

func TestHomeNeedsConfirm(t *testing.T) {
	h := newHarness(t)
	h.reader.push(demoCard(0), nil)
	h.tap(h.k.cur.(*homeScreen).start)
	h.wantStep(session.Notice)
	h.tap(findButton(t, h, "nav.home"))
	h.wantStep(session.Notice) // one tap is not enough
	h.tap(findButton(t, h, "home.stay"))
	h.wantStep(session.Notice)
	h.tap(findButton(t, h, "nav.home"))
	h.tap(findButton(t, h, "home.leave"))
	h.wantStep(session.Home)
	if h.k.s.App != nil || len(h.k.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("home kept data or overlay")
	}
}

func TestErrorPaths(t *testing.T) {
	t.Run("unreadable card", func(t *testing.T) {
		h := newHarness(t)
		h.reader.push(idcard.Card{}, kiosk.NewUserError("请重新放置身份证", "Please place the card again", errors.New("crc")))
		h.tap(h.k.cur.(*homeScreen).start)
		h.wantStep(session.ReadCard)
		c := h.k.cur.(*cardScreen)
		if !strings.Contains(c.status.Text, "请重新放置身份证") || !c.retry.Visible() {
			t.Fatalf("status %q", c.status.Text)
		}
		h.shotIf("card-error")
		h.reader.push(demoCard(0), nil)
		h.tap(c.retry)
		h.wantStep(session.Notice)
	})
	t.Run("expired card", func(t *testing.T) {
		h := newHarness(t)
		card := demoCard(0)
		card.ValidFrom, card.ValidTo = h.clock.Now().AddDate(-20, 0, 0), h.clock.Now().AddDate(0, 0, -3)
		h.reader.push(card, nil)
		h.tap(h.k.cur.(*homeScreen).start)
		h.wantStep(session.ReadCard)
		c := h.k.cur.(*cardScreen)
		if !strings.Contains(c.status.Text, "有效期") || h.k.s.App != nil {
			t.Fatalf("status %q", c.status.Text)
		}
	})
	t.Run("under 16", func(t *testing.T) {
		h := newHarness(t)
		card := demoCard(0)
		card.Birth = h.clock.Now().AddDate(-15, 0, 0)
		card.Number = card.Number[:6] + card.Birth.Format("20060102") + card.Number[14:17]
		card.Number += string(idcard.CheckChar(card.Number))
		h.reader.push(card, nil)
		h.tap(h.k.cur.(*homeScreen).start)
		c := h.k.cur.(*cardScreen)
		if !strings.Contains(c.status.Text, "监护人") || c.retry.Visible() || h.k.s.App != nil {
			t.Fatalf("status %q retry %v", c.status.Text, c.retry.Visible())
		}
		h.shotIf("card-under16")
	})
	t.Run("ineligible", func(t *testing.T) {
		h := newHarness(t)
		h.remote.precheck = kiosk.Precheck{Known: true, Months: 2}
		o := pathOpts{card: demoCard(0), route: kiosk.RouteRegistration, condition: kiosk.ConditionResidence}
		h.walkToConfirm(o)
		h.tap(h.k.cur.(*confirmScreen).submit)
		h.wantStep(session.NotEligible)
		if len(h.k.s.Reasons) == 0 || h.k.s.Reasons[0].Code != eligibility.CodeRegistrationShort {
			t.Fatalf("reasons %+v", h.k.s.Reasons)
		}
		txt := strings.ReplaceAll(h.visibleText(), " | ", "")
		for _, r := range h.k.s.Reasons {
			if !strings.Contains(txt, r.Message) || !strings.Contains(txt, r.Remedy) {
				t.Fatalf("reason %s not shown: %s", r.Code, txt)
			}
		}
		h.shotIf("noteligible")
		ne := h.k.cur.(*notEligibleScreen)
		h.tap(ne.print)
		docs := h.printer.printed()
		if len(docs) != 1 || docs[0].Refusal == nil || len(docs[0].Refusal.Reasons) != len(h.k.s.Reasons) ||
			docs[0].Refusal.MaskedNumber != idcard.MaskNumber(demoCard(0).Number) {
			t.Fatalf("refusal %+v", docs)
		}
		if len(h.queue.apps) != 0 {
			t.Fatal("ineligible application committed")
		}
		// Change the route: the permit holder passes.
		h.tap(ne.fix)
		h.wantStep(session.Route)
	})
	t.Run("printer out of paper", func(t *testing.T) {
		h := newHarness(t)
		h.printer.err = fmt.Errorf("escpos: %w", kiosk.ErrPaperOut)
		h.cam.blur = true // and the applicant keeps a blurred page
		o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionResidence}
		h.walkToConfirm(o)
		a := h.submit(o)
		if len(a.Materials) != 1 || len(a.Materials[0].Warnings) != 1 || a.Materials[0].Warnings[0] != "blur" {
			t.Fatalf("kept warning not recorded: %+v", a.Materials)
		}
		s := h.k.cur.(*submitScreen)
		if !s.qr.Visible() || s.qr.Image == nil || !strings.Contains(s.receipt.Text, a.Receipt.String()) ||
			!strings.Contains(s.status.Text, "打印纸已用完") {
			t.Fatalf("printer failure not shown: %q %q", s.status.Text, s.receipt.Text)
		}
		if !contains(h.queue.actions(), "print.failed") {
			t.Fatal("print failure not audited")
		}
		h.shotIf("submit-noprint")
	})
	t.Run("backlog full", func(t *testing.T) {
		h := newHarness(t)
		h.queue.accept = kiosk.NewUserError("本机待上传申请过多，暂停受理", "Too many unsent applications", kiosk.ErrBacklog)
		h.tap(h.k.cur.(*homeScreen).start)
		h.wantStep(session.Unavailable)
		if !strings.Contains(h.visibleText(), "暂停受理") {
			t.Fatal(h.visibleText())
		}
		h.shotIf("unavailable")
		h.tap(findButton(t, h, "nav.home"))
		h.wantStep(session.Home)
	})
	t.Run("backlog full at submit", func(t *testing.T) {
		h := newHarness(t)
		o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionResidence}
		h.walkToConfirm(o)
		h.queue.accept = kiosk.NewUserError("本机待上传申请过多，暂停受理", "Too many unsent applications", kiosk.ErrBacklog)
		h.tap(h.k.cur.(*confirmScreen).submit)
		h.wantStep(session.Unavailable)
		if h.k.s.App != nil {
			t.Fatal("data kept on the unavailable screen")
		}
	})
	t.Run("offline status check", func(t *testing.T) {
		h := newHarness(t)
		h.remote.err = fmt.Errorf("dial: %w", errOffline)
		h.tap(h.k.cur.(*homeScreen).query)
		h.wantStep(session.StatusCheck)
		s := h.k.cur.(*statusScreen)
		test_typeScan(h, "http://127.0.0.1:9/s/331122-007-261204-0001?t=abcdefghijklmnopqrstuv")
		if !strings.Contains(s.result.Text, "网络暂时不可用") {
			t.Fatalf("result %q", s.result.Text)
		}
		h.shotIf("status-offline")
	})
}

func TestStatusCheck(t *testing.T) {
	h := newHarness(t)
	o := pathOpts{card: demoCard(0), route: kiosk.RoutePermit, condition: kiosk.ConditionResidence}
	h.walkToConfirm(o)
	a := h.submit(o)
	h.tap(h.k.cur.(*submitScreen).done)
	h.remote.status = statusAccepted()
	// Keyed in: the token comes from the local queue.
	h.tap(h.k.cur.(*homeScreen).query)
	s := h.k.cur.(*statusScreen)
	if !s.query.Disabled() {
		t.Fatal("query enabled with no number")
	}
	h.keys(s.keys, strings.ReplaceAll(a.Receipt.String(), "-", ""))
	if s.value.Text != a.Receipt.String() {
		t.Fatalf("shown %q", s.value.Text)
	}
	h.tap(s.query)
	if !strings.Contains(s.result.Text, "已受理") {
		t.Fatalf("result %q", s.result.Text)
	}
	h.shotIf("status")
	// Scanned QR code.
	s.result.SetText("")
	test_typeScan(h, "http://x/s/"+a.Receipt.String()+"?t=tok")
	if !strings.Contains(s.result.Text, "已受理") {
		t.Fatalf("scan result %q", s.result.Text)
	}
	test_typeScan(h, "hello")
	if !strings.Contains(s.result.Text, "无法识别") {
		t.Fatalf("bad scan %q", s.result.Text)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestParseScan(t *testing.T) {
	r, tok, ok := parseScan(" https://huren.example/s/331122-007-261204-0012?t=abc_-DEF \n")
	if !ok || r.String() != "331122-007-261204-0012" || tok != "abc_-DEF" {
		t.Fatal(r, tok, ok)
	}
	if r, tok, ok := parseScan("331122-007-261204-0012"); !ok || tok != "" || r.Seq != 12 {
		t.Fatal(r, tok, ok)
	}
	for _, bad := range []string{"", "hello", "https://x/s/nope?t=1", "331122-007-261399-0001", "%zz/s/1"} {
		if _, _, ok := parseScan(bad); ok {
			t.Fatalf("%q accepted", bad)
		}
	}
	if formatReceipt("3311220072612040012") != "331122-007-261204-0012" {
		t.Fatal(formatReceipt("3311220072612040012"))
	}
}

func FuzzParseScan(f *testing.F) {
	f.Add("https://huren.example/s/331122-007-261204-0012?t=abc")
	f.Add("331122-007-261204-0012")
	f.Add("/s/")
	f.Fuzz(func(t *testing.T, s string) {
		r, _, ok := parseScan(s)
		if ok {
			if _, err := kiosk.ParseReceipt(r.String()); err != nil {
				t.Fatalf("accepted %q as %v", s, r)
			}
		}
	})
}
