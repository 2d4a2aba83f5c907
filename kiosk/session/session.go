// Package session is the applicant's visit at the kiosk as a state machine: the steps of the path
// (Home → ReadCard → Notice → Route → Condition → Form → Materials → Confirm → Submit, plus NotEligible,
// StatusCheck and Unavailable), the transitions allowed between them, Back, the idle timer on an injectable
// clock, and Wipe, which drops every reference to the card, the form and the captured images.
//
// It imports no GUI toolkit: package app drives it and draws the screens.
package session

import (
	"errors"
	"fmt"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// Step is one screen of the applicant's path.
type Step int

// The steps. The order of the path steps is the order of the progress bar.
const (
	Home Step = iota
	ReadCard
	Notice
	Route
	Condition
	Form
	Materials
	Confirm
	Submit
	NotEligible
	StatusCheck
	Unavailable
)

var stepNames = [...]string{"home", "read_card", "notice", "route", "condition", "form", "materials",
	"confirm", "submit", "not_eligible", "status_check", "unavailable"}

// String returns the step's name (for logs and tests).
func (s Step) String() string {
	if s >= 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("Step(%d)", int(s))
}

// Steps lists every step.
var Steps = []Step{Home, ReadCard, Notice, Route, Condition, Form, Materials, Confirm, Submit, NotEligible,
	StatusCheck, Unavailable}

// PathSteps are the steps shown in the progress bar, in order.
var PathSteps = []Step{ReadCard, Notice, Route, Condition, Form, Materials, Confirm, Submit}

// allowed lists the forward transitions. Home is always reachable (the applicant leaves, or idle wipes).
var allowed = map[Step][]Step{
	Home:        {ReadCard, StatusCheck, Unavailable},
	ReadCard:    {Notice, NotEligible, Unavailable},
	Notice:      {Route},
	Route:       {Condition, NotEligible},
	Condition:   {Form},
	Form:        {Materials, NotEligible},
	Materials:   {Confirm, NotEligible},
	Confirm:     {Submit, NotEligible, Route, Condition, Form, Materials}, // edit links
	Submit:      {Unavailable},
	NotEligible: {Route, Condition, Form, Materials}, // fix a choice and go on
	StatusCheck: {},
	Unavailable: {},
}

// ErrTransition is returned (wrapped) when a step may not follow the current one.
var ErrTransition = errors.New("transition not allowed")

// Idle timing.
const (
	IdleAfter = 60 * time.Second // without a touch → countdown
	Countdown = 15 * time.Second // countdown → wipe
)

// Phase is where the idle timer stands.
type Phase int

const (
	Active   Phase = iota // touched recently
	Counting              // the 「还需要更多时间吗？」 countdown is running
	Expired               // wipe now
)

// Session is one applicant's visit. It is not safe for concurrent use: the GUI owns it on its UI goroutine.
type Session struct {
	clock     kiosk.Clock
	step      Step
	history   []Step
	lastTouch time.Time

	// English is true when the applicant switched to English (reset at Home).
	English bool
	// LargeText is the larger-text mode (reset at Home).
	LargeText bool

	// Card is the card read in this session; nil before the card step and after Wipe.
	Card *idcard.Card
	// App is the application being filled in; nil before the card step and after Wipe.
	App *kiosk.Application
	// NoticeRead is set once the notice was scrolled to its end; NoticeAccepted once ticked.
	NoticeRead, NoticeAccepted bool
	// Reasons are the failing reasons shown on NotEligible.
	Reasons []kiosk.Reason
	// Receipt is the receipt of the submitted application (Submit step).
	Receipt kiosk.Receipt
}

// New returns a session at Home. A nil clock means the system clock.
func New(clock kiosk.Clock) *Session {
	if clock == nil {
		clock = kiosk.SystemClock{}
	}
	s := &Session{clock: clock}
	s.lastTouch = clock.Now()
	return s
}

// Step returns the current step.
func (s *Session) Step() Step { return s.step }

// CanGo reports whether to may follow the current step.
func (s *Session) CanGo(to Step) bool {
	if to == Home || to == s.step {
		return true
	}
	for _, a := range allowed[s.step] {
		if a == to {
			return true
		}
	}
	return false
}

// Go moves to step to and touches the timer. Going Home wipes the session. It returns an error wrapping
// ErrTransition when to may not follow the current step (the step is unchanged then).
func (s *Session) Go(to Step) error {
	if !s.CanGo(to) {
		return fmt.Errorf("session %s → %s: %w", s.step, to, ErrTransition)
	}
	s.Touch()
	if to == Home {
		s.Wipe()
		return nil
	}
	if to == s.step {
		return nil
	}
	s.history = append(s.history, s.step)
	// Back from Unavailable, Submit or NotEligible must not revisit a finished step sequence twice.
	s.step = to
	return nil
}

// CanBack reports whether Back leads somewhere other than Home.
func (s *Session) CanBack() bool {
	return len(s.history) > 0 && s.step != Submit
}

// Back returns to the previous step (Home when there is none, or after submit, which wipes the session)
// and returns the new step.
func (s *Session) Back() Step {
	s.Touch()
	if !s.CanBack() {
		s.Wipe()
		return s.step
	}
	prev := s.history[len(s.history)-1]
	s.history = s.history[:len(s.history)-1]
	if prev == Home {
		s.Wipe()
		return s.step
	}
	s.step = prev
	return s.step
}

// Progress returns the 1-based index of the current step in PathSteps and their count; index 0 when the
// current step is not on the path.
func (s *Session) Progress() (index, total int) {
	for i, p := range PathSteps {
		if p == s.step {
			return i + 1, len(PathSteps)
		}
	}
	return 0, len(PathSteps)
}

// Touch records activity now.
func (s *Session) Touch() { s.lastTouch = s.clock.Now() }

// Idle tells where the idle timer stands now: Active, Counting (with the seconds left) or Expired.
// At Home with nothing in the session the timer never runs out.
func (s *Session) Idle() (Phase, time.Duration) {
	if s.step == Home && s.Empty() {
		return Active, 0
	}
	idle := s.clock.Now().Sub(s.lastTouch)
	switch {
	case idle < IdleAfter:
		return Active, 0
	case idle < IdleAfter+Countdown:
		return Counting, IdleAfter + Countdown - idle
	}
	return Expired, 0
}

// Empty reports whether the session holds no applicant data and no settings.
func (s *Session) Empty() bool {
	return s.Card == nil && s.App == nil && s.Reasons == nil && s.Receipt.IsZero() && !s.English && !s.LargeText &&
		!s.NoticeRead && !s.NoticeAccepted
}

// Start begins an application from a card read: it keeps the card and fills the applicant.
func (s *Session) Start(c idcard.Card) {
	s.dropData()
	card := c
	s.Card = &card
	s.App = &kiosk.Application{Applicant: kiosk.ApplicantFromCard(c)}
}

// Wipe drops every reference to the card, the form, the images and the reasons, resets language and text
// size, and returns to Home. Card and material bytes are overwritten before they are dropped.
func (s *Session) Wipe() {
	s.dropData()
	s.English = false
	s.LargeText = false
	s.step = Home
	s.history = nil
	s.lastTouch = s.clock.Now()
}

func (s *Session) dropData() {
	if s.Card != nil {
		s.Card.Wipe()
		s.Card = nil
	}
	if s.App != nil {
		for i := range s.App.Materials {
			clear(s.App.Materials[i].Data)
			s.App.Materials[i] = kiosk.Material{}
		}
		*s.App = kiosk.Application{}
		s.App = nil
	}
	s.NoticeRead, s.NoticeAccepted = false, false
	s.Reasons = nil
	s.Receipt = kiosk.Receipt{}
}
