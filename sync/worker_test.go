package sync

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/sync/wire"
)

// runUntil runs w until done() holds after a delivery attempt or Run returns; it fails the test if Run stops
// first. There is no time limit here beyond the test's own timeout (no timing assertions).
func runUntil(t *testing.T, w *Worker, check chan struct{}, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	for !done() {
		select {
		case <-check:
		case err := <-errc:
			t.Fatalf("Run returned early: %v", err)
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func TestWorkerDeliversThroughFlakyServer(t *testing.T) {
	fs := newFakeServer(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var mu gosync.Mutex
	fs.hook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		x := rng.IntN(10)
		mu.Unlock()
		switch x {
		case 0:
			w.Header().Set("Retry-After", "30")
			writeErr(w, 429, wire.CodeRateLimited, "slow down")
			return true
		case 1:
			writeErr(w, 503, wire.CodeInternal, "restarting")
			return true
		case 2:
			panic(http.ErrAbortHandler)
		}
		return false
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	clk := newVClock()
	ob := newFakeOutbox(clk)
	const n = 40
	for i := 1; i <= n; i++ {
		ob.add(testApp(i, 2, 2000))
	}
	check := make(chan struct{}, 1)
	w := NewWorker(ob, newTestClient(t, srv.URL, fs.secret), WorkerOptions{Clock: clk, After: clk.After,
		OnDelivery: func(kiosk.Receipt, error) { notify(check) }})
	runUntil(t, w, check, func() bool { c, _ := ob.Counts(context.Background()); return c.Delivered == n })
	if got := len(fs.acceptedReceipts()); got != n {
		t.Fatalf("server accepted %d, want %d", got, n)
	}
	for _, r := range ob.rows {
		if r.delivered != 1 || r.state != kiosk.StateAccepted || r.acceptedAt.IsZero() || r.dueAt.IsZero() {
			t.Errorf("row %s: %+v", r.item.Receipt, r)
		}
	}
	if w.LastSync().IsZero() {
		t.Error("LastSync not set")
	}
}

func TestWorkerDeadOnConflictAndBadData(t *testing.T) {
	fs := newFakeServer(t)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	clk := newVClock()
	ob := newFakeOutbox(clk)
	c := newTestClient(t, srv.URL, fs.secret)
	a := testApp(1, 1, 100)
	if _, err := c.PutManifest(context.Background(), mustManifest(t, a)); err != nil {
		t.Fatal(err)
	}
	a.Mobile = "13900000000" // the kiosk's copy differs from what the server holds → 409
	ob.add(a)
	b := testApp(2, 1, 100)
	b.Materials[0].SHA256 = strings.Repeat("0", 64) // corrupt locally
	ob.add(b)
	ob.add(testApp(3, 1, 100))
	w := NewWorker(ob, c, WorkerOptions{Clock: clk, After: clk.After})
	if err := w.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ob.rows[0]; r.state != kiosk.StateDead || !strings.Contains(r.lastErr, "回执编号已存在") || !strings.Contains(r.lastErr, "409") {
		t.Errorf("409 row: %+v", r)
	}
	if r := ob.rows[1]; r.state != kiosk.StateDead {
		t.Errorf("corrupt row: %+v", r)
	}
	if r := ob.rows[2]; r.state != kiosk.StateAccepted {
		t.Errorf("good row after dead ones: %+v", r)
	}
	cnt, _ := ob.Counts(context.Background())
	if cnt.Dead != 2 || cnt.Delivered != 1 {
		t.Errorf("counts %+v", cnt)
	}
}

func mustManifest(t *testing.T, a kiosk.Application) wire.Manifest {
	t.Helper()
	m, err := BuildManifest(a, "K001")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWorkerServerDownKeepsEverythingQueued(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	clk := newVClock()
	start := clk.Now()
	ob := newFakeOutbox(clk)
	for i := 1; i <= 20; i++ {
		ob.add(testApp(i, 1, 100))
	}
	check := make(chan struct{}, 1)
	attempts := 0
	w := NewWorker(ob, newTestClient(t, url, make([]byte, 32)), WorkerOptions{Clock: clk, After: clk.After,
		OnDelivery: func(_ kiosk.Receipt, err error) {
			if !errors.Is(err, ErrOffline) && !errors.Is(err, context.Canceled) {
				t.Errorf("delivery error %v, want ErrOffline", err)
			}
			attempts++
			notify(check)
		}})
	runUntil(t, w, check, func() bool { return clk.Now().Sub(start) > 6*time.Hour })
	c, _ := ob.Counts(context.Background())
	if c.Queued != 20 || c.Dead != 0 {
		t.Fatalf("counts after 6 virtual hours offline: %+v", c)
	}
	if !errors.Is(w.LastError(), ErrOffline) {
		t.Errorf("LastError %v", w.LastError())
	}
	// Backoff grows: in 6 hours with a 10-minute cap there are far fewer attempts than without it.
	if attempts > 20*80 {
		t.Errorf("%d attempts in 6 h: backoff not applied", attempts)
	}
	for _, r := range ob.rows {
		if r.item.Attempts == 0 || r.lastErr == "" {
			t.Errorf("row %s: attempts %d last error %q", r.item.Receipt, r.item.Attempts, r.lastErr)
		}
	}
}

func TestWorkerConfigHeartbeatUpdates(t *testing.T) {
	fs := newFakeServer(t)
	srv := httptest.NewServer(fs)
	clk := newVClock()
	ob := newFakeOutbox(clk)
	for i := 1; i <= 3; i++ {
		ob.add(testApp(i, 1, 100))
	}
	var got []wire.KioskConfig
	health := func() []kiosk.Health {
		return []kiosk.Health{{Device: "printer", OK: false, Detail: "打印纸已用完"}}
	}
	mk := func(url string) *Worker {
		return NewWorker(ob, newTestClient(t, url, fs.secret), WorkerOptions{Clock: clk, After: clk.After,
			Version: "9.9", HealthFunc: health, OnConfig: func(c wire.KioskConfig) { got = append(got, c) }})
	}
	w := mk(srv.URL)
	if err := w.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cfg, ok := w.Config(); !ok || cfg.Settings["hotline"] != "12345" || len(got) != 1 {
		t.Fatalf("config %+v %v (callbacks %d)", cfg, ok, len(got))
	}
	// Updates are pulled after the deliveries of the same pass.
	if cur, _ := ob.Cursor(context.Background(), UpdatesCursor); cur != 3 {
		t.Errorf("cursor %d, want 3", cur)
	}
	for _, r := range ob.rows {
		if r.updated != 1 {
			t.Errorf("row %s updated %d times", r.item.Receipt, r.updated)
		}
	}
	if ob.purged == 0 {
		t.Error("no purge after updates")
	}
	fs.mu.Lock()
	hb := fs.beats[0]
	fs.mu.Unlock()
	if hb.Version != "9.9" || hb.QueueDepth != 3 || len(hb.Devices) != 1 || hb.Devices[0].OK || hb.OldestUnsentSecs != 0 {
		t.Errorf("heartbeat %+v", hb)
	}
	// The same config again does not call OnConfig again.
	if err := w.SyncNow(context.Background()); err != nil || len(got) != 1 {
		t.Fatalf("second sync: %v, callbacks %d", err, len(got))
	}
	// A new worker with the server down starts with the cached config.
	srv.Close()
	got = nil
	w2 := mk(srv.URL)
	if ok, err := w2.LoadCachedConfig(context.Background()); !ok || err != nil {
		t.Fatalf("cached config: %v %v", ok, err)
	}
	if cfg, ok := w2.Config(); !ok || cfg.Version != "c1" || len(got) != 1 {
		t.Fatalf("offline start config %+v %v", cfg, ok)
	}
	if err := w2.SyncNow(context.Background()); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline SyncNow: %v", err)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	w := NewWorker(newFakeOutbox(kiosk.SystemClock{}), nil, WorkerOptions{Jitter: func() float64 { return 0.999999 }})
	prev := time.Duration(0)
	for i := 0; i < 30; i++ {
		d := w.backoff(i)
		if d < prev || d > 10*time.Minute {
			t.Fatalf("backoff(%d) = %v after %v", i, d, prev)
		}
		prev = d
	}
	if prev < 9*time.Minute {
		t.Errorf("cap not reached: %v", prev)
	}
	if d := w.backoff(0); d > time.Second {
		t.Errorf("first backoff %v > 1 s", d)
	}
	w.o.Jitter = func() float64 { return 0 }
	if d := w.backoff(12); d != 0 {
		t.Errorf("full jitter lower bound %v", d)
	}
}

// TestWakeDeliversAtOnce: a worker asleep (its timer never fires) delivers a new application when woken.
func TestWakeDeliversAtOnce(t *testing.T) {
	fs := newFakeServer(t)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	clk := newVClock()
	ob := newFakeOutbox(clk)
	check := make(chan struct{}, 1)
	slept := make(chan struct{}, 1)
	never := make(chan time.Time)
	w := NewWorker(ob, newTestClient(t, srv.URL, fs.secret), WorkerOptions{Clock: clk,
		After:      func(time.Duration) <-chan time.Time { notify(slept); return never },
		OnDelivery: func(kiosk.Receipt, error) { notify(check) }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	<-slept // nothing queued: asleep until the next heartbeat, which never comes
	ob.add(testApp(1, 1, 100))
	w.Wake()
	<-check
	cancel()
	<-errc
	if c, _ := ob.Counts(context.Background()); c.Delivered != 1 {
		t.Fatalf("counts %+v", c)
	}
}
