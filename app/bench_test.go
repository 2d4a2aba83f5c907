package app

import (
	"fyne.io/fyne/v2"

	"testing"

	"huren/kiosk"
	"huren/kiosk/session"
)

// BenchmarkScreenChange measures one screen change on the path (build the confirm screen and set it as the
// window content); the budget is 50 ms.
func BenchmarkScreenChange(b *testing.B) {
	h := newHarness(b)
	h.k.s.Start(demoCard(0))
	a := h.k.s.App
	a.Route, a.Condition, a.Mobile = kiosk.RoutePermit, kiosk.ConditionResidence, "13800138000"
	a.Address = kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城东社区", Detail: "1号"}
	a.Materials = []kiosk.Material{{Kind: kiosk.MaterialProperty, Page: 1, Data: []byte{1}}}
	for _, st := range []session.Step{session.ReadCard, session.Notice, session.Route, session.Condition,
		session.Form, session.Materials, session.Confirm} {
		h.k.s.Go(st)
	}
	h.k.previewEvery = 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.k.setScreen(newConfirmScreen(h.k))
		h.k.win.Canvas().Content().Refresh()
	}
}

// BenchmarkScreenChangeBaseline is the same window with an empty content swap: the cost of Fyne itself.
func BenchmarkScreenChangeBaseline(b *testing.B) {
	h := newHarness(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.k.setScreen(emptyScreen{})
		h.k.win.Canvas().Content().Refresh()
	}
}

type emptyScreen struct{}

func (emptyScreen) content() fyne.CanvasObject { return layoutSpacer(1) }
