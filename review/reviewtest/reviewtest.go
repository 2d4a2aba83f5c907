// Package reviewtest starts a real review service for tests: a store in a temporary folder (SQLite, or a
// throwaway PostgreSQL cluster), an httptest server on loopback and one registered kiosk, plus helpers to
// send signed kiosk requests.
package reviewtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/review"
	"huren/sync/wire"
)

// Env is a running review service.
type Env struct {
	Service      *review.Service
	URL          string // base URL of the server (no trailing slash)
	KioskID      string // "K001"
	Secret       []byte // K001's secret
	SMSFile      string // JSONL of sent SMS (FileSMS)
	ProvinceFile string // JSONL of pushed permits (FileProvince)
	Dir          string // the data folder
	Clock        kiosk.Clock
	Close        func()
}

// Start starts a service on SQLite in t.TempDir() with the system clock, unlimited status lookups, one kiosk
// "K001" and the demo seed (reviewer DemoReviewer). It is closed when the test ends (Close may also be called).
func Start(t testing.TB) *Env {
	t.Helper()
	return StartWith(t, review.Options{})
}

// StartWith is Start with options: an empty DB means SQLite in the temp folder; DataDir, SMS and Province are
// filled in when empty; StatusRate 0 means unlimited here.
func StartWith(t testing.TB, o review.Options) *Env {
	t.Helper()
	dir := t.TempDir()
	if o.DB == "" {
		o.DB = filepath.Join(dir, "review.db")
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(dir, "data")
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.StatusRate == 0 {
		o.StatusRate = -1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Env{Dir: dir, Clock: o.Clock, KioskID: "K001"}
	if o.SMS == nil {
		e.SMSFile = filepath.Join(dir, "sms.jsonl")
		o.SMS = review.NewFileSMS(e.SMSFile)
	}
	if o.Province == nil {
		e.ProvinceFile = filepath.Join(dir, "province.jsonl")
		o.Province = review.NewFileProvince(e.ProvinceFile)
	}
	ctx := context.Background()
	s, err := review.Open(ctx, o)
	if err != nil {
		t.Fatalf("reviewtest: open service: %v", err)
	}
	e.Service = s
	secret, err := s.AddKiosk(ctx, e.KioskID, "测试终端")
	if err != nil {
		s.Close()
		t.Fatalf("reviewtest: add kiosk: %v", err)
	}
	e.Secret, _ = wire.ParseSecret(secret)
	if err := s.DemoSeed(ctx); err != nil {
		s.Close()
		t.Fatalf("reviewtest: demo seed: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	e.URL = srv.URL
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.Run(rctx); close(done) }()
	var once gosync.Once
	e.Close = func() {
		once.Do(func() {
			cancel()
			<-done
			srv.Close()
			s.Close()
		})
	}
	t.Cleanup(e.Close)
	return e
}

// AddKiosk registers another kiosk and returns its secret bytes.
func (e *Env) AddKiosk(t testing.TB, id string) []byte {
	t.Helper()
	hexs, err := e.Service.AddKiosk(context.Background(), id, "测试终端 "+id)
	if err != nil {
		t.Fatalf("reviewtest: add kiosk %s: %v", id, err)
	}
	b, _ := wire.ParseSecret(hexs)
	return b
}

// Request builds a kiosk request signed as kiosk id with secret at the Env's clock time.
func (e *Env) Request(t testing.TB, id string, secret []byte, method, pathAndQuery string, body []byte, contentType string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+pathAndQuery, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("reviewtest: request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	wire.SignRequest(req, id, secret, wire.BodyHash(body), e.Clock.Now())
	return req
}

// Send sends req and returns the status code and body.
func Send(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reviewtest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reviewtest: read body: %v", err)
	}
	return resp.StatusCode, b
}

// Do sends a request signed as the Env's kiosk (K001) and returns the status code and body.
func (e *Env) Do(t testing.TB, method, pathAndQuery string, body []byte, contentType string) (int, []byte) {
	t.Helper()
	return Send(t, e.Request(t, e.KioskID, e.Secret, method, pathAndQuery, body, contentType))
}

// Clock is a settable clock for tests.
type Clock struct {
	mu gosync.Mutex
	t  time.Time
}

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Set sets the time.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var _ kiosk.Clock = (*Clock)(nil)
