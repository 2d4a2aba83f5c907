package app

import (
	"context"
	"image"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/eligibility"
	"huren/kiosk/session"
)

// materialsScreen captures the materials of the chosen condition, one kind at a time: live preview,
// capture, quality warning with retake/keep, add and delete pages.
type materialsScreen struct {
	k       *Kiosk
	set     []kiosk.MaterialKind // the alternative chosen; nil while choosing
	idx     int                  // kind being captured
	preview *canvas.Image
	pages   *widget.Label
	status  *widget.Label
	shoot   *bigButton
	del     *bigButton
	next    *bigButton
	alts    []*bigButton
	warnBox *fyne.Container
	keep    *bigButton
	retake  *bigButton
	pending *capture.Page // a page with warnings, waiting for keep or retake
	busy    bool
}

func newMaterialsScreen(k *Kiosk) *materialsScreen {
	m := &materialsScreen{k: k}
	alts := eligibility.Required(k.s.App.Condition)
	if len(alts) == 1 {
		m.set = alts[0]
	} else {
		// Coming back to edit: keep the alternative that already has pages.
		have := pagesPerKind(k.s.App.Materials)
		for _, set := range alts {
			for _, kind := range set {
				if have[kind] > 0 {
					m.set = set
				}
			}
			if m.set != nil {
				break
			}
		}
	}
	return m
}

func (m *materialsScreen) rebuild() screen {
	return &materialsScreen{k: m.k, set: m.set, idx: m.idx}
}

func pagesPerKind(ms []kiosk.Material) map[kiosk.MaterialKind]int {
	out := map[kiosk.MaterialKind]int{}
	for _, p := range ms {
		out[p.Kind]++
	}
	return out
}

func (m *materialsScreen) content() fyne.CanvasObject {
	k := m.k
	if m.set == nil {
		box := container.NewVBox(k.text("materials.choose"))
		m.alts = nil
		for _, set := range eligibility.Required(k.s.App.Condition) {
			b := k.newBigButton(k.setLabel(set), func() { m.onChooseSet(set) })
			m.alts = append(m.alts, b)
			box.Add(b)
		}
		return k.frame("materials.title", box)
	}
	kind := m.set[m.idx]
	m.preview = canvas.NewImageFromImage(nil)
	m.preview.FillMode = canvas.ImageFillContain
	m.preview.SetMinSize(fyne.NewSize(360, 480))
	m.pages = widget.NewLabel("")
	m.pages.Wrapping = fyne.TextWrapWord
	m.status = status()
	m.shoot = k.primary("materials.capture", m.onCapture)
	m.del = k.button("materials.delete", m.onDelete)
	m.next = k.primary("nav.next", m.onNext)
	m.keep = k.button("materials.keep", m.onKeep)
	m.retake = k.primary("materials.retake", m.onRetake)
	m.warnBox = container.NewVBox(container.NewGridWithColumns(2, m.retake, m.keep))
	m.warnBox.Hide()

	ask := widget.NewLabel(k.tf("materials.place", k.kindLabel(kind)))
	ask.Wrapping = fyne.TextWrapWord
	ask.SizeName = "subHeadingText"
	count := widget.NewLabel(k.tf("materials.item", m.idx+1, len(m.set)))
	side := container.NewVBox(count, ask, m.pages, m.status, m.warnBox, m.shoot, m.del)
	body := container.New(&adaptive{}, panel(m.preview), side)
	m.refresh()
	return k.frame("materials.title", body, m.next)
}

func (m *materialsScreen) shown() {
	if m.set != nil {
		m.startPreview()
	}
}

// startPreview polls the camera's preview while the screen shows (about 10 frames a second).
func (m *materialsScreen) startPreview() {
	k := m.k
	ctx, gen := k.scrCtx, k.gen
	every := k.previewEvery
	k.jobs.add()
	go func() {
		defer k.jobs.done()
		for {
			img, err := k.d.Camera.Preview(ctx)
			if ctx.Err() != nil {
				return
			}
			if err == nil && img != nil {
				k.apply(gen, func() { m.showPreview(img) })
			}
			if every <= 0 {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(every):
			}
		}
	}()
}

func (m *materialsScreen) showPreview(img image.Image) {
	m.preview.Image = img
	m.preview.Refresh()
}

func (m *materialsScreen) kind() kiosk.MaterialKind { return m.set[m.idx] }

// refresh shows the pages of the current kind and enables the buttons.
func (m *materialsScreen) refresh() {
	k := m.k
	n := pagesPerKind(k.s.App.Materials)[m.kind()]
	if n == 0 {
		m.pages.SetText(k.t("materials.none"))
		m.del.Disable()
		m.next.Disable()
		m.shoot.SetText(k.t("materials.capture"))
	} else {
		m.pages.SetText(k.tf("materials.pages", n))
		m.del.Enable()
		m.next.Enable()
		m.shoot.SetText(k.t("materials.addpage"))
	}
	if m.busy || m.pending != nil {
		m.shoot.Disable()
		m.next.Disable()
	} else {
		m.shoot.Enable()
	}
}

func (m *materialsScreen) onChooseSet(set []kiosk.MaterialKind) {
	m.set, m.idx = set, 0
	m.k.setScreen(m.rebuild())
}

// onCapture takes a page and normalises it off the UI goroutine.
func (m *materialsScreen) onCapture() {
	k := m.k
	if m.busy {
		return
	}
	m.busy = true
	m.status.SetText(k.t("materials.busy"))
	m.refresh()
	k.background(func(ctx context.Context) func() {
		raw, err := k.d.Camera.Capture(ctx)
		if err != nil {
			return func() { m.failed(err) }
		}
		page, err := k.d.Normalize(ctx, raw)
		clear(raw.Data)
		if err != nil {
			return func() { m.failed(err) }
		}
		return func() { m.captured(page) }
	})
}

func (m *materialsScreen) failed(err error) {
	m.k.log.Warn("capture failed", "err", err)
	m.busy = false
	m.status.SetText(kiosk.Message(err, m.k.s.English))
	m.refresh()
}

func (m *materialsScreen) captured(p capture.Page) {
	m.busy = false
	if len(p.Warnings) > 0 {
		m.pending = &p
		var msgs []string
		for _, w := range p.Warnings {
			if m.k.s.English {
				msgs = append(msgs, w.En)
			} else {
				msgs = append(msgs, w.Zh)
			}
		}
		m.status.SetText(m.k.t("materials.warning") + "\n" + strings.Join(msgs, "\n"))
		m.status.Importance = widget.WarningImportance
		m.status.Refresh()
		m.warnBox.Show()
		m.refresh()
		return
	}
	m.add(p)
	m.status.SetText(m.k.t("materials.ok"))
}

func (m *materialsScreen) add(p capture.Page) {
	a := m.k.s.App
	n := pagesPerKind(a.Materials)[m.kind()]
	a.Materials = append(a.Materials, kiosk.Material{
		Kind: m.kind(), Page: n + 1, ContentType: p.ContentType, Data: p.Data, Warnings: p.WarningCodes(),
	})
	m.refresh()
}

func (m *materialsScreen) onKeep() {
	if m.pending == nil {
		return
	}
	p := *m.pending
	m.pending = nil
	m.warnBox.Hide()
	m.status.Importance = widget.MediumImportance
	m.add(p)
	m.status.SetText(m.k.t("materials.kept"))
}

func (m *materialsScreen) onRetake() {
	if m.pending != nil {
		clear(m.pending.Data)
	}
	m.pending = nil
	m.warnBox.Hide()
	m.status.Importance = widget.MediumImportance
	m.status.SetText("")
	m.refresh()
	m.onCapture()
}

// onDelete removes the last page of the current kind.
func (m *materialsScreen) onDelete() {
	a := m.k.s.App
	for i := len(a.Materials) - 1; i >= 0; i-- {
		if a.Materials[i].Kind == m.kind() {
			clear(a.Materials[i].Data)
			a.Materials = append(a.Materials[:i], a.Materials[i+1:]...)
			break
		}
	}
	m.status.SetText("")
	m.refresh()
}

func (m *materialsScreen) onNext() {
	if m.idx+1 < len(m.set) {
		m.idx++
		m.k.setScreen(m.rebuild())
		return
	}
	// Drop pages of kinds outside the chosen alternative (the applicant changed their mind).
	a := m.k.s.App
	keep := a.Materials[:0]
	for _, p := range a.Materials {
		in := false
		for _, kind := range m.set {
			in = in || kind == p.Kind
		}
		if in {
			keep = append(keep, p)
		} else {
			clear(p.Data)
		}
	}
	a.Materials = keep
	m.k.show(session.Confirm)
}

// onBack goes to the previous kind (or the choice of alternative) first.
func (m *materialsScreen) onBack() bool {
	switch {
	case m.set != nil && m.idx > 0:
		m.idx--
	case m.set != nil && len(eligibility.Required(m.k.s.App.Condition)) > 1:
		m.set = nil
	default:
		return false
	}
	m.k.setScreen(m.rebuild())
	return true
}
