package app

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"huren/kiosk"
	"huren/sync/wire"
)

// statusTimeout bounds a status query; precheckTimeout the pre-check.
const (
	statusTimeout   = 10 * time.Second
	precheckTimeout = 8 * time.Second
)

// statusScreen answers "where is my application": the QR scanner types the status URL (keyboard wedge,
// ending in Enter) or the applicant keys in the receipt number.
type statusScreen struct {
	k      *Kiosk
	input  string // receipt number keyed in
	scan   strings.Builder
	value  *dataLabel
	result *widget.Label
	query  *bigButton
	keys   *fyne.Container
}

func newStatusScreen(k *Kiosk) *statusScreen { return &statusScreen{k: k} }

var receiptKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", keyClear, "0", keyBackspace}

func (s *statusScreen) content() fyne.CanvasObject {
	k := s.k
	s.value = newDataLabel("")
	s.value.SizeName = "headingText"
	s.value.Wrapping = fyne.TextWrapOff
	s.result = status()
	s.query = k.primary("status.query", s.onQuery)
	s.keys = k.keypad(3, receiptKeys, s.onKey)
	body := container.NewVBox(k.text("status.ask"), panel(s.value), s.result,
		container.New(&maxWidth{w: 720}, s.keys))
	s.refresh()
	return k.frameEnd("status.title", body, s.query)
}

// shown listens for the QR scanner (a keyboard wedge) on the window's canvas.
func (s *statusScreen) shown() {
	c := s.k.win.Canvas()
	c.SetOnTypedRune(s.onRune)
	c.SetOnTypedKey(s.onTypedKey)
}

func (s *statusScreen) onRune(r rune) {
	s.k.touch()
	if s.scan.Len() < 512 {
		s.scan.WriteRune(r)
	}
}

func (s *statusScreen) onTypedKey(e *fyne.KeyEvent) {
	if e.Name != fyne.KeyReturn && e.Name != fyne.KeyEnter {
		return
	}
	text := s.scan.String()
	s.scan.Reset()
	s.onScanned(text)
}

// onScanned handles one line from the scanner: the status URL of a receipt's QR code, or a receipt number.
func (s *statusScreen) onScanned(text string) {
	r, token, ok := parseScan(text)
	if !ok {
		s.result.SetText(s.k.t("status.badscan"))
		return
	}
	s.input = strings.ReplaceAll(r.String(), "-", "")
	s.refresh()
	s.lookup(r, token)
}

// parseScan reads {base}/s/{receipt}?t={token} or a bare receipt number.
func parseScan(text string) (kiosk.Receipt, string, bool) {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, "/s/"); i >= 0 {
		u, err := url.Parse(text)
		if err != nil {
			return kiosk.Receipt{}, "", false
		}
		j := strings.LastIndex(u.Path, "/s/")
		if j < 0 {
			return kiosk.Receipt{}, "", false
		}
		r, err := kiosk.ParseReceipt(u.Path[j+3:])
		if err != nil {
			return kiosk.Receipt{}, "", false
		}
		return r, u.Query().Get("t"), true
	}
	r, err := kiosk.ParseReceipt(text)
	return r, "", err == nil
}

// formatReceipt inserts the dashes of 331122-KKK-YYMMDD-NNNN into keyed digits.
func formatReceipt(d string) string {
	var b strings.Builder
	for i, r := range d {
		if i == 6 || i == 9 || i == 15 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *statusScreen) refresh() {
	s.value.SetText(formatReceipt(s.input))
	if len(s.input) == 19 {
		s.query.Enable()
	} else {
		s.query.Disable()
	}
}

func (s *statusScreen) onKey(key string) {
	s.input = applyKey(s.input, key, 19)
	s.refresh()
}

func (s *statusScreen) onQuery() {
	r, err := kiosk.ParseReceipt(formatReceipt(s.input))
	if err != nil {
		s.result.SetText(s.k.t("status.badnumber"))
		return
	}
	s.lookup(r, "")
}

// lookup asks the review service off the UI goroutine. Without a token (keyed in) the token is taken from
// the local queue when the application was made at this kiosk and is not purged yet.
func (s *statusScreen) lookup(r kiosk.Receipt, token string) {
	k := s.k
	s.result.SetText(k.t("status.busy"))
	s.query.Disable()
	k.background(func(ctx context.Context) func() {
		if token == "" {
			a, err := k.d.Queue.Get(ctx, r)
			if err != nil || a.StatusToken == "" {
				return func() { s.result.SetText(k.t("status.needqr")); s.refresh() }
			}
			token = a.StatusToken
		}
		if k.d.Remote == nil {
			return func() { s.result.SetText(k.t("status.offline")); s.refresh() }
		}
		ctx, cancel := context.WithTimeout(ctx, statusTimeout)
		defer cancel()
		st, err := k.d.Remote.Status(ctx, r, token)
		if err != nil {
			k.log.Warn("status check failed", "receipt", r.String(), "err", err)
			msg := "status.notfound"
			if k.d.IsOffline(err) || errors.Is(err, context.DeadlineExceeded) {
				msg = "status.offline"
			}
			return func() { s.result.SetText(k.t(msg)); s.refresh() }
		}
		return func() { s.showStatus(st); s.refresh() }
	})
}

func (s *statusScreen) showStatus(st wire.Status) {
	k := s.k
	var b strings.Builder
	b.WriteString(k.tf("status.state", k.stateLabel(kiosk.State(st.State))))
	if !st.DueAt.IsZero() && !kiosk.State(st.State).Final() {
		b.WriteString("\n" + k.tf("status.due", st.DueAt.In(kiosk.Shanghai).Format("2006-01-02")))
	}
	if st.PermitNo != "" {
		b.WriteString("\n" + k.tf("status.permit", st.PermitNo))
	}
	for i, r := range st.Reasons {
		msg, fix := k.reasonText(kiosk.Reason{Code: r.Code, Message: r.Message, Remedy: r.Remedy})
		b.WriteString("\n" + k.tf("status.reason", i+1, msg, fix))
	}
	s.result.SetText(b.String())
}

// stateLabel is the state in the session's language.
func (k *Kiosk) stateLabel(st kiosk.State) string {
	if _, ok := messages["state."+string(st)]; ok {
		return k.t("state." + string(st))
	}
	return st.Label()
}

// ---------------------------------------------------------------- Service unavailable

type unavailableScreen struct {
	k   *Kiosk
	err error
}

func newUnavailableScreen(k *Kiosk, err error) *unavailableScreen {
	return &unavailableScreen{k: k, err: err}
}

func (u *unavailableScreen) content() fyne.CanvasObject {
	k := u.k
	box := container.NewVBox(k.subheading("unavailable.body"))
	if u.err != nil {
		l := widget.NewLabel(kiosk.Message(u.err, k.s.English))
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
	}
	box.Add(k.text("unavailable.where"))
	return k.frameEnd("unavailable.title", box)
}
