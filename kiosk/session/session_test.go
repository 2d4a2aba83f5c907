package session

import (
	"errors"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time      { return c.t }
func (c *fakeClock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, kiosk.Shanghai)} }
func card() idcard.Card                  { return idcard.Card{Name: "张三", Number: "110101199003074514"} }
func mustGo(t *testing.T, s *Session, to Step) {
	t.Helper()
	if err := s.Go(to); err != nil {
		t.Fatal(err)
	}
}

func TestPathAndBack(t *testing.T) {
	s := New(newClock())
	for _, st := range PathSteps {
		mustGo(t, s, st)
		if st == ReadCard {
			s.Start(card())
		}
	}
	if i, n := s.Progress(); i != n || n != len(PathSteps) {
		t.Fatalf("progress %d/%d", i, n)
	}
	// After submit, Back goes Home and wipes.
	if st := s.Back(); st != Home || !s.Empty() {
		t.Fatalf("back after submit: %s empty=%v", st, s.Empty())
	}
}

func TestBackStepwise(t *testing.T) {
	s := New(newClock())
	mustGo(t, s, ReadCard)
	s.Start(card())
	mustGo(t, s, Notice)
	mustGo(t, s, Route)
	if st := s.Back(); st != Notice {
		t.Fatalf("back = %s", st)
	}
	if s.App == nil {
		t.Fatal("back must keep the form")
	}
	s.Back()
	if st := s.Back(); st != Home || s.App != nil {
		t.Fatalf("back to home = %s app=%v", st, s.App)
	}
}

func TestTransitionsRefused(t *testing.T) {
	s := New(newClock())
	if err := s.Go(Confirm); !errors.Is(err, ErrTransition) {
		t.Fatalf("home→confirm: %v", err)
	}
	if s.Step() != Home {
		t.Fatal("step changed on refused transition")
	}
	mustGo(t, s, StatusCheck)
	if err := s.Go(Submit); !errors.Is(err, ErrTransition) {
		t.Fatalf("status→submit: %v", err)
	}
	for _, from := range Steps {
		if !(&Session{step: from, clock: newClock()}).CanGo(Home) {
			t.Fatalf("%s cannot go home", from)
		}
	}
}

func TestIdle(t *testing.T) {
	c := newClock()
	s := New(c)
	c.Add(time.Hour)
	if p, _ := s.Idle(); p != Active {
		t.Fatal("empty home must never time out")
	}
	mustGo(t, s, ReadCard)
	s.Start(card())
	mustGo(t, s, Notice)
	c.Add(59 * time.Second)
	if p, _ := s.Idle(); p != Active {
		t.Fatalf("phase at 59s = %v", p)
	}
	c.Add(2 * time.Second)
	p, left := s.Idle()
	if p != Counting || left != 14*time.Second {
		t.Fatalf("phase at 61s = %v %v", p, left)
	}
	s.Touch()
	if p, _ := s.Idle(); p != Active {
		t.Fatal("touch must reset")
	}
	c.Add(IdleAfter + Countdown)
	if p, _ := s.Idle(); p != Expired {
		t.Fatalf("phase after 75s = %v", p)
	}
}

func TestWipe(t *testing.T) {
	s := New(newClock())
	mustGo(t, s, ReadCard)
	s.Start(card())
	cardRef := s.Card
	s.English, s.LargeText = true, true
	data := []byte("image bytes")
	s.App.Mobile = "13800138000"
	s.App.Materials = append(s.App.Materials, kiosk.Material{Kind: kiosk.MaterialLease, Data: data})
	appRef := s.App
	s.Wipe()
	if s.Card != nil || s.App != nil || !s.Empty() || s.Step() != Home {
		t.Fatal("session not empty after wipe")
	}
	if cardRef.Name != "" || cardRef.Number != "" {
		t.Fatal("card not overwritten")
	}
	if appRef.Mobile != "" || appRef.Materials != nil || appRef.Applicant.Number != "" {
		t.Fatal("application not overwritten")
	}
	for _, b := range data {
		if b != 0 {
			t.Fatal("image bytes not overwritten")
		}
	}
}

func TestStepString(t *testing.T) {
	for _, s := range Steps {
		if s.String() == "" {
			t.Fatal("empty name")
		}
	}
	if Step(99).String() != "Step(99)" {
		t.Fatal(Step(99).String())
	}
}
