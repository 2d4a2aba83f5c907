package app

import (
	"context"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/kiosk/eligibility"
	"huren/kiosk/idcard"
	"huren/kiosk/session"
)

// ---------------------------------------------------------------- Home

type homeScreen struct {
	k            *Kiosk
	start, query *bigButton
	lang, large  *bigButton
}

func newHomeScreen(k *Kiosk) *homeScreen { return &homeScreen{k: k} }

func (h *homeScreen) content() fyne.CanvasObject {
	k := h.k
	h.start = k.primary("home.start", h.onStart)
	h.query = k.button("home.query", h.onQuery)
	h.start.minH, h.query.minH = 140, 110
	h.lang = k.button("nav.lang", h.onLang)
	h.large = k.button("home.large", h.onLarge)
	if k.s.LargeText {
		h.large.SetText(k.t("home.normal"))
	}
	title := k.heading("home.title")
	title.Alignment = fyne.TextAlignCenter
	sub := k.text("home.subtitle")
	sub.Alignment = fyne.TextAlignCenter
	footer := widget.NewLabel(k.tf("home.footer", k.d.KioskNo, k.d.Hotline))
	footer.Alignment = fyne.TextAlignCenter
	footer.Wrapping = fyne.TextWrapWord
	footer.SizeName = theme.SizeNameCaptionText
	var bottom fyne.CanvasObject = footer
	if k.d.ReceiptFolder != "" { // demo mode: say where the receipts go
		demo := widget.NewLabel(k.tf("home.demo", k.d.ReceiptFolder))
		demo.Alignment = fyne.TextAlignCenter
		demo.Wrapping = fyne.TextWrapWord
		demo.SizeName = theme.SizeNameCaptionText
		bottom = container.NewVBox(demo, footer)
	}

	big := container.NewGridWithRows(2, h.start, h.query)
	centre := container.NewVBox(layoutSpacer(40), title, sub, layoutSpacer(40),
		container.New(&maxWidth{w: 900}, big), layoutSpacer(24),
		container.New(&maxWidth{w: 900}, container.NewGridWithColumns(2, h.lang, h.large)))
	return container.NewBorder(nil, container.NewPadded(bottom), nil, nil,
		container.NewPadded(container.NewVScroll(centre)))
}

func (h *homeScreen) onStart() { h.k.show(session.ReadCard) }
func (h *homeScreen) onQuery() { h.k.show(session.StatusCheck) }

func (h *homeScreen) onLang() {
	h.k.s.English = !h.k.s.English
	h.k.setScreen(newHomeScreen(h.k))
}

func (h *homeScreen) onLarge() {
	h.k.s.LargeText = !h.k.s.LargeText
	h.k.applyTheme()
	h.k.setScreen(newHomeScreen(h.k))
}

// ---------------------------------------------------------------- Read ID card

type cardScreen struct {
	k       *Kiosk
	status  *widget.Label
	retry   *bigButton
	card    *canvas.Rectangle
	reading bool
}

func newCardScreen(k *Kiosk) *cardScreen { return &cardScreen{k: k} }

func (c *cardScreen) content() fyne.CanvasObject {
	k := c.k
	c.status = status()
	c.retry = k.primary("card.retry", c.onRetry)
	c.retry.Hide()
	hint := k.subheading("card.place")
	hint.Alignment = fyne.TextAlignCenter
	body := container.NewVBox(c.illustration(), hint, k.text("card.privacy"), c.status, c.retry)
	return k.frame("card.title", body)
}

// illustration draws the reader with the card going onto it.
func (c *cardScreen) illustration() fyne.CanvasObject {
	reader := canvas.NewRectangle(color.NRGBA{R: 0x33, G: 0x3B, B: 0x45, A: 0xFF})
	reader.CornerRadius = 18
	reader.SetMinSize(fyne.NewSize(360, 200))
	pad := canvas.NewRectangle(color.NRGBA{R: 0x5B, G: 0x6B, B: 0x7B, A: 0xFF})
	pad.CornerRadius = 12
	c.card = canvas.NewRectangle(color.NRGBA{R: 0xD6, G: 0xE8, B: 0xF7, A: 0xFF})
	c.card.StrokeColor = colAccent
	c.card.StrokeWidth = 4
	c.card.CornerRadius = 10
	arrow := canvas.NewText("▼", colAccent)
	arrow.TextSize = 48
	sc := &cardScene{}
	scene := container.New(sc, reader, pad, c.card, arrow)
	// The card glides down onto the reader and back, over and over, while the screen waits.
	anim := fyne.NewAnimation(1200*time.Millisecond, func(f float32) {
		c.card.Move(fyne.NewPos(sc.x+90, 10+f*110))
	})
	anim.AutoReverse = true
	anim.RepeatCount = fyne.AnimationRepeatForever
	c.k.animate(anim)
	return container.NewCenter(scene)
}

// cardScene lays out the illustration: a reader (200 px) with a card (ID-1 proportions) above it.
type cardScene struct{ x float32 }

func (*cardScene) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(420, 300) }
func (s *cardScene) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := (size.Width - 360) / 2
	s.x = x
	objs[0].Move(fyne.NewPos(x, 100))
	objs[0].Resize(fyne.NewSize(360, 190))
	objs[1].Move(fyne.NewPos(x+60, 130))
	objs[1].Resize(fyne.NewSize(240, 130))
	objs[2].Move(fyne.NewPos(x+90, 10))
	objs[2].Resize(fyne.NewSize(180, 114))
	objs[3].Move(fyne.NewPos(x+330-objs[3].MinSize().Width/2, 30))
	objs[3].Resize(objs[3].MinSize())
}

func (c *cardScreen) shown() { c.read() }

func (c *cardScreen) onRetry() {
	c.retry.Hide()
	c.read()
}

// read checks the backlog guard, then waits for a card, off the UI goroutine.
func (c *cardScreen) read() {
	k := c.k
	c.status.SetText(k.t("card.waiting"))
	c.reading = true
	k.background(func(ctx context.Context) func() {
		if err := k.d.Queue.CanAccept(ctx); err != nil {
			return func() { k.unavailable(err) }
		}
		card, err := k.d.Reader.Read(ctx)
		if ctx.Err() != nil {
			card.Wipe()
			return nil
		}
		if err != nil {
			k.log.Warn("card read failed", "err", err)
			return func() { c.failed(kiosk.Message(err, k.s.English), true) }
		}
		problems := cardProblems(card, k.now())
		return func() { c.done(card, problems) }
	})
}

// cardProblems are the reasons the card itself cannot be used (eligibility's card rules).
func cardProblems(card idcard.Card, today time.Time) []kiosk.Reason {
	in := eligibility.Input{Applicant: kiosk.ApplicantFromCard(card)}
	var out []kiosk.Reason
	for _, r := range eligibility.Check(in, today).Reasons {
		switch r.Code {
		case eligibility.CodeIDNumberInvalid, eligibility.CodeCardExpired, eligibility.CodeCardNotYetValid,
			eligibility.CodeUnder16:
			out = append(out, r)
		}
	}
	return out
}

func (c *cardScreen) failed(msg string, retry bool) {
	c.reading = false
	c.status.Importance = widget.DangerImportance
	c.status.SetText(msg)
	if retry {
		c.retry.Show()
	}
}

func (c *cardScreen) done(card idcard.Card, problems []kiosk.Reason) {
	k := c.k
	c.reading = false
	if len(problems) > 0 {
		k.log.Info("card refused", "number", idcard.MaskNumber(card.Number), "reason", problems[0].Code)
		card.Wipe()
		var b strings.Builder
		retry := true
		for _, p := range problems {
			msg, fix := k.reasonText(p)
			b.WriteString(msg + "\n" + fix + "\n")
			if p.Code == eligibility.CodeUnder16 {
				retry = false // must come with a guardian: stop here
			}
		}
		c.failed(strings.TrimSpace(b.String()), retry)
		return
	}
	k.s.Start(card)
	card.Wipe()
	k.log.Info("card read", "number", idcard.MaskNumber(k.s.App.Applicant.Number))
	k.startPrecheck()
	k.show(session.Notice)
}

// reasonText returns a reason's message and remedy in the session's language.
func (k *Kiosk) reasonText(r kiosk.Reason) (msg, remedy string) {
	if k.s.English {
		if m, f := eligibility.English(r.Code); m != "" {
			return m, f
		}
	}
	return r.Message, r.Remedy
}

// startPrecheck asks the review service for the applicant's provincial record; the result lands in the
// session (and on the route screen when it is showing). Offline, the session goes on without it.
func (k *Kiosk) startPrecheck() {
	if k.d.Remote == nil || k.s.App == nil {
		return
	}
	number := k.s.App.Applicant.Number
	k.sessionJob(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, precheckTimeout)
		defer cancel()
		p, err := k.d.Remote.Precheck(ctx, number)
		if err != nil {
			k.log.Warn("precheck failed", "number", idcard.MaskNumber(number), "err", err)
			return func() { k.precheckDone = true; k.refreshPrecheck() }
		}
		return func() {
			k.precheckDone = true
			if k.s.App != nil {
				k.s.App.Precheck = p
			}
			k.refreshPrecheck()
		}
	})
}

func (k *Kiosk) refreshPrecheck() {
	if r, ok := k.cur.(*routeScreen); ok {
		r.updatePrecheck()
	}
}

// unavailable shows the "service unavailable" screen (backlog guard) for err.
func (k *Kiosk) unavailable(err error) {
	k.log.Warn("new applications refused", "err", err)
	en := k.s.English
	k.s.Wipe() // nothing was saved: drop the applicant's data
	k.s.English = en
	_ = k.s.Go(session.Unavailable)
	k.setScreen(newUnavailableScreen(k, err))
}

// ---------------------------------------------------------------- Notice and commitment

type noticeScreen struct {
	k      *Kiosk
	scroll *container.Scroll
	text   *widget.Label
	tick   *bigButton
	next   *bigButton
	more   *bigButton
}

func newNoticeScreen(k *Kiosk) *noticeScreen { return &noticeScreen{k: k} }

func (n *noticeScreen) content() fyne.CanvasObject {
	k := n.k
	n.text = k.text("notice.body")
	n.scroll = container.NewVScroll(container.NewPadded(n.text))
	n.scroll.OnScrolled = func(fyne.Position) { k.touch(); n.checkEnd() }
	n.tick = k.newBigButton("", n.onTick)
	n.showTick()
	if !k.s.NoticeRead {
		n.tick.Disable()
	}
	n.next = k.primary("nav.next", n.onNext)
	if !k.s.NoticeAccepted {
		n.next.Disable()
	}
	n.more = k.button("notice.more", n.onMore)
	hint := k.text("notice.hint")
	watched := container.New(&watchLayout{fn: func(fyne.Size) { n.checkEnd() }}, panel(n.scroll))
	body := container.NewBorder(hint, container.NewVBox(n.more, n.tick),
		nil, nil, watched)
	return k.frameFill("notice.title", body, n.next)
}

// checkEnd enables the tick once the notice was scrolled to its end (or fits without scrolling).
func (n *noticeScreen) checkEnd() {
	if n.k.s.NoticeRead || n.scroll == nil || n.scroll.Content == nil || n.scroll.Size().Height <= 0 {
		return
	}
	if n.scroll.Offset.Y+n.scroll.Size().Height >= n.scroll.Content.MinSize().Height-4 {
		n.k.s.NoticeRead = true
		n.tick.Enable()
		n.more.Disable()
	}
}

// onMore scrolls one page down (not everyone knows to swipe).
func (n *noticeScreen) onMore() {
	h := n.scroll.Size().Height * 0.85
	maxY := n.scroll.Content.MinSize().Height - n.scroll.Size().Height
	y := min(n.scroll.Offset.Y+h, max(maxY, 0))
	n.scroll.ScrollToOffset(fyne.NewPos(0, y))
	n.checkEnd()
}

// onTick toggles the commitment (only once the notice was read to its end).
func (n *noticeScreen) onTick() {
	n.k.s.NoticeAccepted = !n.k.s.NoticeAccepted && n.k.s.NoticeRead
	n.showTick()
	if n.k.s.NoticeAccepted {
		n.next.Enable()
	} else {
		n.next.Disable()
	}
}

func (n *noticeScreen) showTick() {
	box := "☐  "
	n.tick.Importance = widget.MediumImportance
	if n.k.s.NoticeAccepted {
		box = "☑  "
		n.tick.Importance = widget.HighImportance
	}
	n.tick.SetText(box + n.k.t("notice.accept"))
}

func (n *noticeScreen) onNext() {
	if !n.k.s.NoticeAccepted {
		return
	}
	n.k.s.App.NoticeVersion = n.k.d.NoticeVersion
	n.k.show(session.Route)
}

// ---------------------------------------------------------------- Route

type routeScreen struct {
	k        *Kiosk
	precheck *widget.Label
	choices  map[kiosk.Route]*bigButton
}

func newRouteScreen(k *Kiosk) *routeScreen { return &routeScreen{k: k} }

func (r *routeScreen) content() fyne.CanvasObject {
	k := r.k
	r.precheck = widget.NewLabel("")
	r.precheck.Wrapping = fyne.TextWrapWord
	r.choices = map[kiosk.Route]*bigButton{}
	box := container.NewVBox(k.text("route.ask"))
	for _, rt := range kiosk.Routes {
		b := k.button("route."+string(rt), func() { r.onChoose(rt) })
		if k.s.App != nil && k.s.App.Route == rt {
			b.Importance = widget.HighImportance
		}
		r.choices[rt] = b
		box.Add(b)
		box.Add(k.text("route." + string(rt) + ".detail"))
	}
	box.Add(panel(r.precheck))
	r.updatePrecheck()
	return k.frame("route.title", box)
}

// updatePrecheck shows what the provincial record says (or that review will check it).
func (r *routeScreen) updatePrecheck() {
	k := r.k
	if k.s.App == nil {
		return
	}
	p := k.s.App.Precheck
	switch {
	case k.d.Remote == nil:
		r.precheck.SetText(k.t("precheck.offline"))
	case !k.precheckDone:
		r.precheck.SetText(k.t("precheck.waiting"))
	case !p.Known:
		r.precheck.SetText(k.t("precheck.unknown"))
	case p.HasPermit:
		r.precheck.SetText(k.tf("precheck.permit", p.PermitCity, p.Months))
	default:
		r.precheck.SetText(k.tf("precheck.registration", p.Months))
	}
}

func (r *routeScreen) onChoose(rt kiosk.Route) {
	r.k.s.App.Route = rt
	r.k.show(session.Condition)
}

// ---------------------------------------------------------------- Condition

type conditionScreen struct {
	k       *Kiosk
	choices map[kiosk.Condition]*bigButton
}

func newConditionScreen(k *Kiosk) *conditionScreen { return &conditionScreen{k: k} }

func (c *conditionScreen) content() fyne.CanvasObject {
	k := c.k
	c.choices = map[kiosk.Condition]*bigButton{}
	box := container.NewVBox(k.text("condition.ask"))
	for _, cond := range kiosk.Conditions {
		b := k.button("condition."+string(cond), func() { c.onChoose(cond) })
		if k.s.App != nil && k.s.App.Condition == cond {
			b.Importance = widget.HighImportance
		}
		c.choices[cond] = b
		need := widget.NewLabel(k.t("condition.needs") + k.materialsText(cond))
		need.Wrapping = fyne.TextWrapWord
		box.Add(panel(container.NewVBox(b, need)))
	}
	return k.frame("condition.title", box)
}

// materialsText lists the alternatives of a condition: "A + B / C".
func (k *Kiosk) materialsText(c kiosk.Condition) string {
	var alts []string
	for _, set := range eligibility.Required(c) {
		alts = append(alts, k.setLabel(set))
	}
	return strings.Join(alts, k.t("or"))
}

func (k *Kiosk) setLabel(set []kiosk.MaterialKind) string {
	var names []string
	for _, m := range set {
		names = append(names, k.kindLabel(m))
	}
	return strings.Join(names, " + ")
}

func (k *Kiosk) kindLabel(m kiosk.MaterialKind) string {
	if k.s.English {
		return m.LabelEN()
	}
	return m.Label()
}

func (c *conditionScreen) onChoose(cond kiosk.Condition) {
	a := c.k.s.App
	if a.Condition != cond {
		// Materials, employer and school of another condition do not carry over.
		for i := range a.Materials {
			clear(a.Materials[i].Data)
		}
		a.Materials = nil
		a.EmployerUSCC, a.SchoolCode, a.SchoolName = "", "", ""
	}
	a.Condition = cond
	c.k.show(session.Form)
}
