package app

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk/idcard"
	"huren/kiosk/session"
)

// t returns the message id in the session's language.
func (k *Kiosk) t(id string) string {
	m, ok := messages[id]
	if !ok {
		k.missing[id] = true
		return "!" + id
	}
	if k.s.English {
		return m[1]
	}
	return m[0]
}

// tf formats the message id with args.
func (k *Kiosk) tf(id string, args ...any) string { return fmt.Sprintf(k.t(id), args...) }

// dataMarker is implemented by widgets that show applicant data or reference data (names, places) that
// stays as it is in English mode.
type dataMarker interface{ isData() bool }

// bigButton is a button at least minButtonHeight high.
type bigButton struct {
	widget.Button
	data bool
	minH float32 // 0: minButtonHeight
}

func (b *bigButton) isData() bool { return b.data }

// MinSize keeps touch targets large.
func (b *bigButton) MinSize() fyne.Size {
	s := b.Button.MinSize()
	s.Height = max(s.Height, minButtonHeight, b.minH)
	return s
}

func (k *Kiosk) newBigButton(label string, fn func()) *bigButton {
	b := &bigButton{}
	b.Text = label
	b.OnTapped = func() {
		k.touch()
		if fn != nil {
			fn()
		}
	}
	b.ExtendBaseWidget(b)
	return b
}

// button is a translated button.
func (k *Kiosk) button(id string, fn func()) *bigButton { return k.newBigButton(k.t(id), fn) }

// primary is a translated button in the accent colour.
func (k *Kiosk) primary(id string, fn func()) *bigButton {
	b := k.button(id, fn)
	b.Importance = widget.HighImportance
	return b
}

// dataButton is a button whose label is data (a town, a school), not a message.
func (k *Kiosk) dataButton(label string, fn func()) *bigButton {
	b := k.newBigButton(label, fn)
	b.data = true
	return b
}

// dataLabel shows applicant or reference data.
type dataLabel struct{ widget.Label }

func (l *dataLabel) isData() bool { return true }

func newDataLabel(text string) *dataLabel {
	l := &dataLabel{}
	l.Text = text
	l.Wrapping = fyne.TextWrapWord
	l.ExtendBaseWidget(l)
	return l
}

// text is a wrapping translated label.
func (k *Kiosk) text(id string) *widget.Label {
	l := widget.NewLabel(k.t(id))
	l.Wrapping = fyne.TextWrapWord
	return l
}

// heading is a translated heading.
func (k *Kiosk) heading(id string) *widget.Label {
	l := widget.NewLabel(k.t(id))
	l.SizeName = theme.SizeNameHeadingText // regular weight: see the init in theme.go
	l.Wrapping = fyne.TextWrapWord
	return l
}

// subheading is a translated subheading.
func (k *Kiosk) subheading(id string) *widget.Label {
	l := widget.NewLabel(k.t(id))
	l.SizeName = theme.SizeNameSubHeadingText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// status is a label for a result or an error, empty at first.
func status() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// panel draws content on a light panel.
func panel(content fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(colPanel)
	bg.CornerRadius = 12
	return container.NewStack(bg, container.NewPadded(content))
}

// keypad is a grid of key buttons.
func (k *Kiosk) keypad(cols int, keys []string, onKey func(key string)) *fyne.Container {
	objs := make([]fyne.CanvasObject, 0, len(keys))
	for _, key := range keys {
		key := key
		var b *bigButton
		switch key {
		case keyBackspace:
			b = k.button("key.backspace", func() { onKey(key) })
		case keyClear:
			b = k.button("key.clear", func() { onKey(key) })
		default:
			b = k.newBigButton(key, func() { onKey(key) })
			b.data = true // digits and the address characters 号幢… are input, not messages
		}
		objs = append(objs, b)
	}
	return container.NewGridWithColumns(cols, objs...)
}

const (
	keyBackspace = "⌫"
	keyClear     = "clear"
)

// applyKey edits s with one keypad key, up to max characters.
func applyKey(s, key string, max int) string {
	switch key {
	case keyBackspace:
		r := []rune(s)
		if len(r) > 0 {
			return string(r[:len(r)-1])
		}
		return s
	case keyClear:
		return ""
	}
	if len([]rune(s+key)) > max {
		return s
	}
	return s + key
}

var stepTitle = map[session.Step]string{
	session.ReadCard: "step.card", session.Notice: "step.notice", session.Route: "step.route",
	session.Condition: "step.condition", session.Form: "step.form", session.Materials: "step.materials",
	session.Confirm: "step.confirm", session.Submit: "step.submit",
}

// frame lays out a screen of the path: progress and applicant strip on top, the content in the middle
// (scrolling when it does not fit), the screen's actions and Back / Home / language at the bottom.
func (k *Kiosk) frame(titleID string, content fyne.CanvasObject, actions ...fyne.CanvasObject) fyne.CanvasObject {
	return k.layoutFrame(titleID, container.NewVScroll(content), false, actions)
}

// frameFill is frame for content that scrolls by itself (the notice).
func (k *Kiosk) frameFill(titleID string, content fyne.CanvasObject, actions ...fyne.CanvasObject) fyne.CanvasObject {
	return k.layoutFrame(titleID, content, false, actions)
}

// frameEnd is frame for screens that end the visit (submitted, status, unavailable): Home without a
// confirm and no Back.
func (k *Kiosk) frameEnd(titleID string, content fyne.CanvasObject, actions ...fyne.CanvasObject) fyne.CanvasObject {
	return k.layoutFrame(titleID, container.NewVScroll(content), true, actions)
}

func (k *Kiosk) layoutFrame(titleID string, content fyne.CanvasObject, end bool, actions []fyne.CanvasObject) fyne.CanvasObject {
	var top []fyne.CanvasObject
	if i, n := k.s.Progress(); i > 0 {
		bar := widget.NewProgressBar()
		bar.Max = float64(n)
		bar.Value = float64(i)
		bar.TextFormatter = func() string { return "" }
		label := widget.NewLabel(k.tf("progress", i, n, k.t(stepTitle[k.s.Step()])))
		top = append(top, container.NewBorder(nil, nil, label, nil, bar))
	}
	if k.s.App != nil {
		a := k.s.App.Applicant
		top = append(top, newDataLabel(idcard.MaskName(a.Name)+"  "+idcard.MaskNumber(a.Number)))
	}
	top = append(top, k.heading(titleID), widget.NewSeparator())
	header := container.NewPadded(container.NewVBox(top...))

	var nav []fyne.CanvasObject
	if end {
		nav = []fyne.CanvasObject{k.button("nav.home", k.goHome), k.langButton()}
	} else {
		nav = []fyne.CanvasObject{k.button("nav.back", k.back), k.button("nav.home", k.confirmHome), k.langButton()}
	}
	footer := container.NewVBox(widget.NewSeparator())
	if len(actions) > 0 {
		footer.Add(container.NewGridWithColumns(len(actions), actions...))
	}
	footer.Add(container.NewGridWithColumns(len(nav), nav...))
	return container.NewBorder(header, container.NewPadded(footer), nil, nil, container.NewPadded(content))
}

// langButton switches between Chinese and English and rebuilds the screen.
func (k *Kiosk) langButton() *bigButton {
	return k.button("nav.lang", func() {
		k.s.English = !k.s.English
		k.setScreen(k.rebuild())
	})
}

// rebuild builds the current screen again (after a language or text-size switch).
func (k *Kiosk) rebuild() screen {
	if r, ok := k.cur.(interface{ rebuild() screen }); ok {
		return r.rebuild()
	}
	if k.s.Step() == session.Home {
		return newHomeScreen(k)
	}
	return k.newScreen(k.s.Step())
}

// confirmHome asks before leaving the path (Home is two taps away).
func (k *Kiosk) confirmHome() {
	var pop *widget.PopUp
	stay := k.button("home.stay", func() { pop.Hide() })
	leave := k.primary("home.leave", k.goHome)
	box := container.NewVBox(k.heading("home.confirm"), k.text("home.confirm.detail"),
		container.NewGridWithColumns(2, stay, leave))
	pop = k.popup(box)
}

// popup shows a modal popup that is closed on wipe.
func (k *Kiosk) popup(content fyne.CanvasObject) *widget.PopUp {
	pop := widget.NewModalPopUp(container.NewPadded(content), k.win.Canvas())
	size := k.win.Canvas().Size()
	w := min(size.Width*0.8, 1000)
	pop.Resize(fyne.NewSize(w, pop.MinSize().Height))
	k.popups = append(k.popups, pop)
	pop.Show()
	return pop
}

// hotspot is the invisible top-left corner for the admin gesture.
type hotspot struct {
	widget.BaseWidget
	onTap func()
}

func newHotspot(fn func()) *hotspot {
	h := &hotspot{onTap: fn}
	h.ExtendBaseWidget(h)
	return h
}

func (h *hotspot) Tapped(*fyne.PointEvent) { h.onTap() }

func (h *hotspot) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(color.Transparent)
	return widget.NewSimpleRenderer(r)
}

// cornerLayout places its one object in the top-left 100×100 corner.
type cornerLayout struct{}

func (cornerLayout) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(fyne.NewSize(100, 100))
	}
}

func (cornerLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

// onCornerTapped counts taps in the corner: five within 3 s open the PIN pad.
func (k *Kiosk) onCornerTapped() {
	now := k.clock.Now()
	taps := k.cornerTaps[:0]
	for _, t := range k.cornerTaps {
		if now.Sub(t) < 3*time.Second {
			taps = append(taps, t)
		}
	}
	k.cornerTaps = append(taps, now)
	if len(k.cornerTaps) >= 5 {
		k.cornerTaps = nil
		k.openAdmin()
	}
}

// watchLayout calls fn with the size each time its content is laid out.
type watchLayout struct{ fn func(fyne.Size) }

func (w *watchLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	w.fn(size)
}

func (w *watchLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// maxWidth centres its objects at no more than w wide.
type maxWidth struct{ w float32 }

func (m *maxWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, m.w)
	for _, o := range objs {
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (m *maxWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// adaptive puts two objects side by side in landscape and one above the other in portrait.
type adaptive struct{ width float32 }

func (*adaptive) portrait(size fyne.Size) bool { return size.Width < 1200 }

func (a *adaptive) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) != 2 {
		return
	}
	a.width = size.Width
	pad := float32(16)
	if a.portrait(size) {
		h0 := objs[0].MinSize().Height
		objs[0].Move(fyne.NewPos(0, 0))
		objs[0].Resize(fyne.NewSize(size.Width, h0))
		objs[1].Move(fyne.NewPos(0, h0+pad))
		objs[1].Resize(fyne.NewSize(size.Width, size.Height-h0-pad))
		return
	}
	w0 := (size.Width - pad) * 0.45
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w0, size.Height))
	objs[1].Move(fyne.NewPos(w0+pad, 0))
	objs[1].Resize(fyne.NewSize(size.Width-w0-pad, size.Height))
}

func (a *adaptive) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) != 2 {
		return fyne.Size{}
	}
	m0, m1 := objs[0].MinSize(), objs[1].MinSize()
	if a.width >= 1200 { // landscape, as last laid out
		return fyne.NewSize(m0.Width+16+m1.Width, max(m0.Height, m1.Height))
	}
	return fyne.NewSize(max(m0.Width, m1.Width), m0.Height+16+m1.Height)
}

// layoutSpacer is empty space of height h.
func layoutSpacer(h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(1, h))
	return r
}
