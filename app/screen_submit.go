package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"huren/kiosk"
	"huren/kiosk/eligibility"
	"huren/kiosk/idcard"
	"huren/kiosk/session"
)

// ---------------------------------------------------------------- Confirm

type confirmScreen struct {
	k      *Kiosk
	submit *bigButton
	edits  map[session.Step]*bigButton
}

func newConfirmScreen(k *Kiosk) *confirmScreen { return &confirmScreen{k: k} }

// maskMobile keeps the first 3 and last 4 digits.
func maskMobile(s string) string {
	if len(s) != 11 {
		return idcard.MaskNumber(s)
	}
	return s[:3] + "****" + s[7:]
}

func (c *confirmScreen) content() fyne.CanvasObject {
	k := c.k
	a := k.s.App
	c.edits = map[session.Step]*bigButton{}
	grid := container.NewVBox()
	row := func(labelID, value string, edit session.Step) {
		l := widget.NewLabel(k.t(labelID))
		l.Importance = widget.HighImportance // the field's name in the accent colour (no bold: see theme.go)
		var right fyne.CanvasObject
		if edit != session.Home {
			b := k.button("confirm.edit", func() { k.show(edit) })
			c.edits[edit] = b
			right = b
		}
		grid.Add(panel(container.NewBorder(nil, nil, nil, right, container.NewVBox(l, newDataLabel(value)))))
	}
	row("confirm.applicant", idcard.MaskName(a.Applicant.Name)+"  "+idcard.MaskNumber(a.Applicant.Number), session.Home)
	route, cond := a.Route.Label(), a.Condition.Label()
	if k.s.English {
		route, cond = a.Route.LabelEN(), a.Condition.LabelEN()
	}
	row("confirm.route", route, session.Route)
	row("confirm.condition", cond, session.Condition)
	row("confirm.mobile", maskMobile(a.Mobile), session.Form)
	row("confirm.address", a.Address.String(), session.Form)
	switch a.Condition {
	case kiosk.ConditionEmployment:
		row("confirm.employer", a.EmployerUSCC, session.Form)
	case kiosk.ConditionSchooling:
		row("confirm.school", a.SchoolName, session.Form)
	}
	row("confirm.materials", k.materialList(a.Materials), session.Materials)
	for _, n := range eligibility.Check(eligibility.FromApplication(*a), k.now()).Notes {
		msg, fix := k.reasonText(n)
		l := widget.NewLabel(msg + " " + fix)
		l.Wrapping = fyne.TextWrapWord
		grid.Add(l)
	}
	c.submit = k.primary("confirm.submit", c.onSubmit)
	return k.frame("confirm.title", container.NewVBox(k.text("confirm.ask"), grid), c.submit)
}

// materialList lists kinds with page counts: "房屋租赁合同（2页）".
func (k *Kiosk) materialList(ms []kiosk.Material) string {
	n := pagesPerKind(ms)
	var out []string
	for _, kind := range kiosk.MaterialKinds {
		if n[kind] > 0 {
			out = append(out, k.tf("materials.count", k.kindLabel(kind), n[kind]))
		}
	}
	return strings.Join(out, k.t("list.sep"))
}

// onSubmit runs the rules (every failing reason at once) and submits when they pass.
func (c *confirmScreen) onSubmit() {
	k := c.k
	res := eligibility.Check(eligibility.FromApplication(*k.s.App), k.now())
	if !res.Eligible {
		k.s.Reasons = res.Reasons
		k.log.Info("not eligible", "number", idcard.MaskNumber(k.s.App.Applicant.Number), "reasons", len(res.Reasons))
		k.show(session.NotEligible)
		return
	}
	k.show(session.Submit)
}

// ---------------------------------------------------------------- Submit and print

type submitScreen struct {
	k        *Kiosk
	status   *widget.Label
	progress *widget.ProgressBarInfinite
	receipt  *widget.Label
	qr       *canvas.Image
	done     *bigButton
	finished bool
}

func newSubmitScreen(k *Kiosk) *submitScreen { return &submitScreen{k: k} }

func (s *submitScreen) content() fyne.CanvasObject {
	k := s.k
	s.status = status()
	s.status.SetText(k.t("submit.busy"))
	s.progress = widget.NewProgressBarInfinite()
	s.receipt = widget.NewLabel("")
	s.receipt.Wrapping = fyne.TextWrapWord
	s.receipt.Hide()
	s.qr = canvas.NewImageFromImage(nil)
	s.qr.FillMode = canvas.ImageFillContain
	s.qr.SetMinSize(fyne.NewSize(320, 320))
	s.qr.Hide()
	s.done = k.primary("submit.done", k.goHome)
	s.done.Disable()
	body := container.NewVBox(s.status, s.progress, s.receipt, container.NewCenter(s.qr))
	return k.frameEnd("submit.title", body, s.done)
}

func (s *submitScreen) shown() {
	k := s.k
	start := time.Now()
	app := *k.s.App
	// A deep copy: a wipe of the session (which zeroes the image bytes) must not reach the commit.
	app.Materials = append([]kiosk.Material(nil), app.Materials...)
	for i := range app.Materials {
		app.Materials[i].Data = append([]byte(nil), app.Materials[i].Data...)
	}
	app.StatusToken = kiosk.NewStatusToken()
	app.NoticeVersion = k.d.NoticeVersion
	kctx := k.ctx // the commit and the print must not stop when the screen changes
	k.background(func(context.Context) func() {
		if err := k.d.Queue.CanAccept(kctx); err != nil {
			return func() { k.unavailable(err) }
		}
		saved, err := k.d.Queue.Submit(kctx, app)
		if err != nil {
			k.log.Error("submit failed", "err", err)
			if errors.Is(err, kiosk.ErrBacklog) {
				return func() { k.unavailable(err) }
			}
			return func() { s.failed(err) }
		}
		k.log.Info("application committed", "receipt", saved.Receipt.String())
		if k.d.Syncer != nil {
			k.d.Syncer.Wake()
		}
		doc := k.receiptDoc(saved)
		// Budget: submit to printer started ≤ 1 s (make bench reads this figure from the log).
		k.log.Info("receipt printing", "receipt", saved.Receipt.String(),
			"submit_to_print_ms", float64(time.Since(start).Microseconds())/1000)
		perr := k.d.Printer.Print(kctx, kiosk.Document{Receipt: &doc})
		if perr != nil {
			k.log.Error("receipt print failed", "receipt", saved.Receipt.String(), "err", perr)
			_ = k.d.Queue.Audit(kctx, "kiosk", "print.failed", saved.Receipt.String(), perr.Error())
		}
		return func() { s.submitted(saved, doc, perr) }
	})
}

// receiptDoc is the masked receipt of a committed application.
func (k *Kiosk) receiptDoc(a kiosk.Application) kiosk.ReceiptDoc {
	var mats []string
	n := pagesPerKind(a.Materials)
	for _, kind := range kiosk.MaterialKinds {
		if n[kind] > 0 {
			mats = append(mats, fmt.Sprintf("%s（%d页）", kind.Label(), n[kind]))
		}
	}
	return kiosk.ReceiptDoc{
		Receipt:      a.Receipt,
		StatusURL:    kiosk.StatusURL(k.d.PublicURL, a.Receipt, a.StatusToken),
		MaskedName:   idcard.MaskName(a.Applicant.Name),
		MaskedNumber: idcard.MaskNumber(a.Applicant.Number),
		Route:        a.Route,
		Condition:    a.Condition,
		Materials:    mats,
		AcceptedAt:   a.CreatedAt,
		DueAt:        k.calendar().Deadline(a.CreatedAt, 2),
		Hotline:      k.d.Hotline,
		KioskNo:      k.d.KioskNo,
	}
}

func (s *submitScreen) failed(err error) {
	k := s.k
	s.finished = true
	s.progress.Stop()
	s.progress.Hide()
	s.status.SetText(k.t("submit.failed") + "\n" + kiosk.Message(err, k.s.English))
	s.done.Enable()
}

func (s *submitScreen) submitted(a kiosk.Application, doc kiosk.ReceiptDoc, perr error) {
	k := s.k
	s.finished = true
	k.s.Receipt = a.Receipt
	k.lastPrintErr = perr
	s.progress.Stop()
	s.progress.Hide()
	due := doc.DueAt.In(kiosk.Shanghai).Format("2006-01-02")
	if perr == nil {
		s.status.SetText(k.t("submit.printed"))
		s.receipt.SetText(k.tf("submit.receipt", a.Receipt.String(), due))
	} else {
		s.status.SetText(k.t("submit.noprint") + "\n" + kiosk.Message(perr, k.s.English))
		s.receipt.SetText(k.tf("submit.receipt", a.Receipt.String(), due) + "\n" + k.t("submit.photo"))
		if q, err := qrcode.New(doc.StatusURL, qrcode.Medium); err == nil {
			q.DisableBorder = false
			s.qr.Image = q.Image(320)
			s.qr.Show()
			s.qr.Refresh()
		}
	}
	s.receipt.Show()
	s.done.Enable()
}

// ---------------------------------------------------------------- Not eligible

type notEligibleScreen struct {
	k      *Kiosk
	print  *bigButton
	fix    *bigButton
	status *widget.Label
}

func newNotEligibleScreen(k *Kiosk) *notEligibleScreen { return &notEligibleScreen{k: k} }

func (n *notEligibleScreen) content() fyne.CanvasObject {
	k := n.k
	box := container.NewVBox(k.text("noteligible.intro"))
	for i, r := range k.s.Reasons {
		msg, fix := k.reasonText(r)
		l := widget.NewLabel(fmt.Sprintf("%d. %s", i+1, msg))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance // the reason in the error colour (no bold: see theme.go)
		rem := widget.NewLabel(k.t("noteligible.remedy") + fix)
		rem.Wrapping = fyne.TextWrapWord
		box.Add(panel(container.NewVBox(l, rem)))
	}
	n.status = status()
	box.Add(n.status)
	n.print = k.button("noteligible.print", n.onPrint)
	n.fix = k.primary("noteligible.fix", n.onFix)
	return k.frame("noteligible.title", box, n.print, n.fix)
}

// onFix goes back to the route choice to change what was chosen.
func (n *notEligibleScreen) onFix() { n.k.show(session.Route) }

// onPrint prints the refusal notice with every reason.
func (n *notEligibleScreen) onPrint() {
	k := n.k
	a := k.s.App
	doc := kiosk.RefusalDoc{
		MaskedName: idcard.MaskName(a.Applicant.Name), MaskedNumber: idcard.MaskNumber(a.Applicant.Number),
		Route: a.Route, Condition: a.Condition, Reasons: append([]kiosk.Reason(nil), k.s.Reasons...),
		At: k.now(), Hotline: k.d.Hotline, KioskNo: k.d.KioskNo,
	}
	n.print.Disable()
	n.status.SetText(k.t("print.busy"))
	k.background(func(ctx context.Context) func() {
		err := k.d.Printer.Print(ctx, kiosk.Document{Refusal: &doc})
		return func() {
			n.print.Enable()
			if err != nil {
				k.lastPrintErr = err
				n.status.SetText(k.t("print.failed") + kiosk.Message(err, k.s.English))
				return
			}
			n.status.SetText(k.t("noteligible.printed"))
		}
	})
}
