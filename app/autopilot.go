package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	gosync "sync"
	"time"

	"fyne.io/fyne/v2"

	"huren/kiosk"
	"huren/kiosk/session"
)

// errSkip: this simulated applicant was turned away (card refused, not eligible); the next one goes.
var errSkip = errors.New("applicant turned away")

// AutopilotLine is one line of Autopilot's output.
type AutopilotLine struct {
	Receipt string  `json:"receipt"`
	State   string  `json:"state"`
	Seconds float64 `json:"seconds"` // from the first tap to the state reported
}

// Autopilot runs n simulated applicants through the real screens by tapping the real widgets on the UI
// goroutine (fyne.DoAndWait), with whatever reader and camera the kiosk has (the demo ones in demo mode).
// For each submitted application it writes one JSON line (AutopilotLine) to out: when Deps.WaitAccepted is
// set, after the review service accepted it (state as returned), otherwise at once with state "queued".
// It returns nil when all n are done, ctx.Err() when ctx ends, or the first error (a screen that did not
// come, the service unavailable, WaitAccepted failing). Applicants turned away by the rules do not count;
// more than 2n+5 of them is an error. It must not be called from the UI goroutine.
func (k *Kiosk) Autopilot(ctx context.Context, n int, out io.Writer) error {
	var (
		mu       gosync.Mutex
		wg       gosync.WaitGroup
		firstErr error
	)
	emit := func(l AutopilotLine) error {
		b, _ := json.Marshal(l)
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(out, "%s\n", b)
		return err
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}
	done, turned := 0, 0
	for done < n {
		if err := failed(); err != nil {
			break
		}
		start := time.Now()
		r, err := k.autopilotOne(ctx, done+turned)
		if errors.Is(err, errSkip) {
			turned++
			k.log.Info("autopilot: applicant turned away", "err", err)
			if turned > 2*n+5 {
				return fmt.Errorf("autopilot: %d applicants turned away: %w", turned, err)
			}
			continue
		}
		if err != nil {
			wg.Wait()
			return fmt.Errorf("autopilot applicant %d: %w", done+1, err)
		}
		done++
		if k.d.WaitAccepted == nil {
			if err := emit(AutopilotLine{Receipt: r.String(), State: string(kiosk.StateQueued),
				Seconds: time.Since(start).Seconds()}); err != nil {
				return err
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := k.d.WaitAccepted(ctx, r)
			if err != nil {
				fail(fmt.Errorf("wait for %s: %w", r, err))
				return
			}
			if err := emit(AutopilotLine{Receipt: r.String(), State: string(st), Seconds: time.Since(start).Seconds()}); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return failed()
}

// autopilotOne walks one applicant from Home to the receipt and returns it.
func (k *Kiosk) autopilotOne(ctx context.Context, i int) (kiosk.Receipt, error) {
	var step session.Step
	var cur screen
	look := func() { step, cur = k.s.Step(), k.cur }
	// wait polls the UI until cond holds (checked on the UI goroutine).
	wait := func(what string, cond func() bool) error {
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok := false
			k.doWait(func() { look(); ok = cond() })
			if ok {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("timed out waiting for %s (at %s)", what, step)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	tap := func(b *bigButton) {
		if b != nil && !b.Disabled() {
			b.Tapped(&fyne.PointEvent{})
		}
	}
	ui := func(fn func()) { k.doWait(fn) }

	// Home: start.
	if err := wait("home", func() bool { _, ok := cur.(*homeScreen); return ok && !k.admin.open }); err != nil {
		return kiosk.Receipt{}, err
	}
	ui(func() { tap(k.cur.(*homeScreen).start) })

	// The card.
	if err := wait("card read", func() bool {
		c, ok := cur.(*cardScreen)
		return step == session.Notice || step == session.Unavailable || (ok && !c.reading && c.status.Text != "")
	}); err != nil {
		return kiosk.Receipt{}, err
	}
	switch step {
	case session.Unavailable:
		var msg string
		ui(func() { msg = fmt.Sprint(k.cur.(*unavailableScreen).err); k.goHome() })
		return kiosk.Receipt{}, fmt.Errorf("kiosk unavailable: %s", msg)
	case session.ReadCard:
		ui(k.goHome)
		return kiosk.Receipt{}, fmt.Errorf("card refused: %w", errSkip)
	}

	// Notice: page down to the end, tick, next.
	ui(func() {
		n := k.cur.(*noticeScreen)
		for j := 0; j < 100 && n.tick.Disabled(); j++ {
			n.more.Tapped(&fyne.PointEvent{})
			n.checkEnd()
		}
		tap(n.tick)
		tap(n.next)
	})

	// Route, after the pre-check answered (or the kiosk is offline).
	if err := wait("route", func() bool {
		return step == session.Route && (k.precheckDone || k.d.Remote == nil)
	}); err != nil {
		return kiosk.Receipt{}, err
	}
	ui(func() {
		rt := kiosk.RouteRegistration
		if p := k.s.App.Precheck; !p.Known || p.HasPermit {
			rt = kiosk.RoutePermit
		}
		tap(k.cur.(*routeScreen).choices[rt])
	})

	// Condition: take turns.
	cond := kiosk.Conditions[i%len(kiosk.Conditions)]
	ui(func() { tap(k.cur.(*conditionScreen).choices[cond]) })

	// Form, page by page.
	mobile := fmt.Sprintf("139%08d", 10000000+i%90000000)
	for j := 0; ; j++ {
		if j > 20 {
			return kiosk.Receipt{}, errors.New("form did not finish")
		}
		var atForm bool
		ui(func() {
			look()
			f, ok := cur.(*formScreen)
			atForm = ok && step == session.Form
			if !atForm {
				return
			}
			switch f.page {
			case pageMobile:
				tapKeys(f.keys, mobile)
			case pageTown:
				tap(f.choices[i%len(f.choices)])
				return
			case pageCommunity:
				tap(f.choices[0])
				return
			case pageDetail:
				tapKeys(f.keys, fmt.Sprintf("%d号", 1+i%99))
			case pageEmployer:
				tapKeys(f.keys, DemoUSCC)
			case pageSchool:
				tap(f.choices[i%len(f.choices)])
				return
			}
			tap(f.next)
		})
		if !atForm {
			break
		}
	}

	// Materials: the first alternative, one page each; keep pages with warnings.
	for j := 0; ; j++ {
		if j > 200 {
			return kiosk.Receipt{}, errors.New("materials did not finish")
		}
		if err := wait("capture", func() bool {
			m, ok := cur.(*materialsScreen)
			return !ok || !m.busy
		}); err != nil {
			return kiosk.Receipt{}, err
		}
		var atMaterials bool
		ui(func() {
			look()
			m, ok := cur.(*materialsScreen)
			atMaterials = ok && step == session.Materials
			if !atMaterials {
				return
			}
			switch {
			case m.set == nil:
				tap(m.alts[0])
			case m.pending != nil:
				tap(m.keep)
			case pagesPerKind(k.s.App.Materials)[m.kind()] == 0:
				tap(m.shoot)
			default:
				tap(m.next)
			}
		})
		if !atMaterials {
			break
		}
	}

	// Confirm and submit.
	if err := wait("confirm", func() bool { return step == session.Confirm }); err != nil {
		return kiosk.Receipt{}, err
	}
	ui(func() { tap(k.cur.(*confirmScreen).submit) })
	if err := wait("receipt", func() bool {
		s, ok := cur.(*submitScreen)
		return step == session.NotEligible || step == session.Unavailable || (ok && s.finished)
	}); err != nil {
		return kiosk.Receipt{}, err
	}
	var r kiosk.Receipt
	var reasons []kiosk.Reason
	ui(func() {
		look()
		r, reasons = k.s.Receipt, k.s.Reasons
		if s, ok := k.cur.(*submitScreen); ok {
			tap(s.done)
		} else {
			k.goHome()
		}
	})
	switch {
	case step == session.NotEligible:
		return r, fmt.Errorf("not eligible (%d reasons, first %s): %w", len(reasons), reasons[0].Code, errSkip)
	case step == session.Unavailable:
		return r, errors.New("kiosk unavailable at submit")
	case r.IsZero():
		return r, errors.New("submit failed")
	}
	return r, nil
}

// DemoUSCC is a valid unified social credit code the Autopilot keys in (fictitious).
const DemoUSCC = "91331122MA2A0B1C4Q"

// tapKeys taps the keys spelling s on a keypad (multi-character keys matched whole).
func tapKeys(pad *fyne.Container, s string) {
	for len(s) > 0 {
		found := false
		for _, o := range pad.Objects {
			b, ok := o.(*bigButton)
			if ok && b.data && b.Text != "" && len(b.Text) <= len(s) && s[:len(b.Text)] == b.Text {
				b.Tapped(&fyne.PointEvent{})
				s = s[len(b.Text):]
				found = true
				break
			}
		}
		if !found {
			return
		}
	}
}
