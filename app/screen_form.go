package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/kiosk/places"
	"huren/kiosk/session"
)

// formPage is one page of the form step.
type formPage int

const (
	pageMobile formPage = iota
	pageTown
	pageCommunity
	pageDetail
	pageEmployer
	pageSchool
)

// Characters of the keypads.
var (
	digitKeys  = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", keyClear, "0", keyBackspace}
	detailKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-", "号", "幢", "单元", "室",
		"栋", "楼", "弄", "巷", keyBackspace}
	usccKeys = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F", "G",
		"H", "J", "K", "L", "M", "N", "P", "Q", "R", "T", "U", "W", "X", "Y"}
)

const maxDetail = 24

// formScreen is the form step: mobile, address (town → community → detail) and employer or school, one
// page at a time. Back goes to the previous page first.
type formScreen struct {
	k       *Kiosk
	page    formPage
	value   *dataLabel
	hint    *widget.Label
	next    *bigButton
	choices []*bigButton
	keys    *fyne.Container
}

func newFormScreen(k *Kiosk) *formScreen { return &formScreen{k: k} }

func (f *formScreen) rebuild() screen { return &formScreen{k: f.k, page: f.page} }

func (f *formScreen) pages() []formPage {
	p := []formPage{pageMobile, pageTown, pageCommunity, pageDetail}
	switch f.k.s.App.Condition {
	case kiosk.ConditionEmployment:
		p = append(p, pageEmployer)
	case kiosk.ConditionSchooling:
		p = append(p, pageSchool)
	}
	return p
}

func (f *formScreen) content() fyne.CanvasObject {
	k := f.k
	a := k.s.App
	f.value = newDataLabel("")
	f.value.SizeName = "headingText"
	f.value.Wrapping = fyne.TextWrapOff
	f.hint = widget.NewLabel("")
	f.hint.Wrapping = fyne.TextWrapWord
	f.next = k.primary("nav.next", f.onNext)
	f.choices = nil
	var body fyne.CanvasObject
	var title string
	switch f.page {
	case pageMobile:
		title = "form.mobile"
		f.keys = k.keypad(3, digitKeys, f.onMobileKey)
		body = container.NewVBox(k.text("form.mobile.ask"), panel(f.value), f.hint, container.New(&maxWidth{w: 720}, f.keys))
	case pageTown:
		title = "form.town"
		grid := container.NewGridWithColumns(3)
		for _, t := range places.Towns() {
			b := k.dataButton(t.Name, func() { f.onTown(t) })
			if a.Address.TownCode == t.Code {
				b.Importance = widget.HighImportance
			}
			f.choices = append(f.choices, b)
			grid.Add(b)
		}
		body = container.NewVBox(k.text("form.town.ask"), grid)
	case pageCommunity:
		title = "form.community"
		grid := container.NewGridWithColumns(3)
		town, _ := places.TownByCode(a.Address.TownCode)
		for _, c := range town.Communities {
			b := k.dataButton(c, func() { f.onCommunity(c) })
			if a.Address.Community == c {
				b.Importance = widget.HighImportance
			}
			f.choices = append(f.choices, b)
			grid.Add(b)
		}
		body = container.NewVBox(k.text("form.community.ask"), newDataLabel("缙云县"+town.Name), grid)
	case pageDetail:
		title = "form.detail"
		f.keys = k.keypad(5, detailKeys, f.onDetailKey)
		body = container.NewVBox(k.text("form.detail.ask"), newDataLabel("缙云县"+a.Address.Town+a.Address.Community),
			panel(f.value), f.hint, f.keys)
	case pageEmployer:
		title = "form.employer"
		f.keys = k.keypad(8, usccKeys, f.onUSCCKey)
		clear := k.button("key.clear", func() { f.onUSCCKey(keyClear) })
		bs := k.button("key.backspace", func() { f.onUSCCKey(keyBackspace) })
		body = container.NewVBox(k.text("form.employer.ask"), panel(f.value), f.hint, f.keys,
			container.NewGridWithColumns(2, bs, clear))
	case pageSchool:
		title = "form.school"
		list := container.NewGridWithColumns(2)
		for _, s := range places.Schools() {
			b := k.dataButton(s.Name, func() { f.onSchool(s) })
			if a.SchoolCode == s.Code {
				b.Importance = widget.HighImportance
			}
			f.choices = append(f.choices, b)
			list.Add(b)
		}
		body = container.NewVBox(k.text("form.school.ask"), list)
	}
	f.refresh()
	return k.frame(title, body, f.next)
}

// refresh shows the page's value and whether it may go on.
func (f *formScreen) refresh() {
	k := f.k
	a := k.s.App
	ok := false
	switch f.page {
	case pageMobile:
		f.value.SetText(groupMobile(a.Mobile))
		switch err := kiosk.ValidateMobile(a.Mobile); {
		case err == nil:
			ok = true
			f.hint.SetText(k.t("form.ok"))
		case len(a.Mobile) < 11:
			f.hint.SetText(k.tf("form.mobile.left", 11-len(a.Mobile)))
		default:
			f.hint.SetText(kiosk.Message(err, k.s.English))
		}
	case pageTown:
		ok = a.Address.TownCode != ""
	case pageCommunity:
		ok = a.Address.Community != ""
	case pageDetail:
		f.value.SetText(a.Address.Detail)
		ok = a.Address.Detail != ""
		if ok {
			f.hint.SetText(k.t("form.detail.example"))
		} else {
			f.hint.SetText(k.t("form.detail.hint"))
		}
	case pageEmployer:
		f.value.SetText(a.EmployerUSCC)
		switch n := len(a.EmployerUSCC); {
		case n < 18:
			f.hint.SetText(k.tf("form.uscc.left", 18-n))
		default:
			if err := kiosk.ValidateUSCC(a.EmployerUSCC); err != nil {
				f.hint.SetText(kiosk.Message(err, k.s.English))
			} else {
				ok = true
				f.hint.SetText(k.t("form.ok"))
			}
		}
	case pageSchool:
		ok = a.SchoolCode != ""
	}
	if ok {
		f.next.Enable()
	} else {
		f.next.Disable()
	}
}

// groupMobile shows 13800138000 as 138 0013 8000.
func groupMobile(s string) string {
	out := ""
	for i, r := range s {
		if i == 3 || i == 7 {
			out += " "
		}
		out += string(r)
	}
	return out
}

func (f *formScreen) onMobileKey(key string) {
	f.k.s.App.Mobile = applyKey(f.k.s.App.Mobile, key, 11)
	f.refresh()
}

func (f *formScreen) onDetailKey(key string) {
	f.k.s.App.Address.Detail = applyKey(f.k.s.App.Address.Detail, key, maxDetail)
	f.refresh()
}

func (f *formScreen) onUSCCKey(key string) {
	f.k.s.App.EmployerUSCC = applyKey(f.k.s.App.EmployerUSCC, key, 18)
	f.refresh()
}

func (f *formScreen) onTown(t places.Town) {
	ad := &f.k.s.App.Address
	if ad.TownCode != t.Code {
		ad.Community = ""
	}
	ad.TownCode, ad.Town = t.Code, t.Name
	f.goPage(pageCommunity)
}

func (f *formScreen) onCommunity(c string) {
	f.k.s.App.Address.Community = c
	f.goPage(pageDetail)
}

func (f *formScreen) onSchool(s places.School) {
	f.k.s.App.SchoolCode, f.k.s.App.SchoolName = s.Code, s.Name
	f.onNext()
}

func (f *formScreen) goPage(p formPage) {
	f.page = p
	f.k.setScreen(f.rebuild())
}

// onNext goes to the next page, or to the materials when the form is complete.
func (f *formScreen) onNext() {
	pages := f.pages()
	for i, p := range pages {
		if p == f.page && i+1 < len(pages) {
			f.goPage(pages[i+1])
			return
		}
	}
	f.k.show(session.Materials)
}

// onBack goes to the previous page of the form; false on the first page.
func (f *formScreen) onBack() bool {
	pages := f.pages()
	for i, p := range pages {
		if p == f.page && i > 0 {
			f.goPage(pages[i-1])
			return true
		}
	}
	return false
}
