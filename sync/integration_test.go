package sync

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // reading the review service's SQLite file to check exactly-once

	"huren/kiosk"
	"huren/kiosk/store"
	"huren/review"
	"huren/review/reviewtest"
	"huren/sync/wire"
)

var _ Outbox = (*store.Store)(nil)

// openStore opens a real kiosk queue (kiosk number 1, as K001) in a temporary folder on clock.
func openStore(t testing.TB, clock kiosk.Clock) *store.Store {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "kiosk.key")
	if err := store.CreateKey(key); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(dir, "queue.db"), KeyFile: key,
		KioskNo: 1, Clock: clock, MaxUnsent: -1, MinFreeBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// queueApps commits n applications with nMat materials of size bytes each; their bytes are unique to
// (salt, i, page).
func queueApps(t testing.TB, st *store.Store, n, nMat, size, salt int) []kiosk.Application {
	t.Helper()
	apps := make([]kiosk.Application, 0, n)
	for i := 1; i <= n; i++ {
		a := testApp(salt*100000+i, nMat, size)
		a.Receipt = kiosk.Receipt{}
		a.StatusToken = kiosk.NewStatusToken()
		out, err := st.Submit(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		for j := range out.Materials {
			out.Materials[j].Data = nil // keep only the hashes in the test's memory
		}
		apps = append(apps, out)
	}
	return apps
}

// serverCheck verifies at the review service's database and blob folder that every application was stored
// once, accepted exactly once, and that every material is present with bytes matching its hash.
func serverCheck(t *testing.T, dbPath, dataDir string, apps []kiosk.Application) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var nApps, nAccepted int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'accepted' AND accepted_at > 0) FROM applications`).Scan(&nApps, &nAccepted); err != nil {
		t.Fatal(err)
	}
	if nApps != len(apps) || nAccepted != len(apps) {
		t.Errorf("server holds %d applications, %d accepted; want %d and %d", nApps, nAccepted, len(apps), len(apps))
	}
	var dupAccept int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT receipt FROM events WHERE state = 'accepted' GROUP BY receipt HAVING COUNT(*) > 1) x`).Scan(&dupAccept); err != nil {
		t.Fatal(err)
	}
	if dupAccept != 0 {
		t.Errorf("%d applications were accepted more than once", dupAccept)
	}
	svc, err := review.Open(context.Background(), review.Options{DB: dbPath, DataDir: dataDir, StatusRate: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	verified := 0
	for _, a := range apps {
		var state string
		if err := db.QueryRow(`SELECT state FROM applications WHERE receipt = ?`, a.Receipt.String()).Scan(&state); err != nil {
			t.Errorf("%s: %v", a.Receipt, err)
			continue
		}
		for _, m := range a.Materials {
			var present int
			if err := db.QueryRow(`SELECT present FROM materials WHERE receipt = ? AND sha256 = ?`, a.Receipt.String(), m.SHA256).Scan(&present); err != nil || present != 1 {
				t.Errorf("%s material %s: present %d, %v", a.Receipt, m.SHA256[:8], present, err)
				continue
			}
			b, err := svc.Material(m.SHA256) // sealed at rest: read back through the service's key
			if err != nil {
				t.Errorf("%s: blob: %v", a.Receipt, err)
				continue
			}
			h := sha256.Sum256(b)
			if hex.EncodeToString(h[:]) != m.SHA256 || int64(len(b)) != m.Size {
				t.Errorf("%s: blob %s does not match its hash", a.Receipt, m.SHA256[:8])
				continue
			}
			verified++
		}
	}
	t.Logf("server: %d applications, %d accepted, %d material blobs verified", nApps, nAccepted, verified)
}

// storeCheck verifies that the kiosk queue shows every application delivered and accepted.
func storeCheck(t *testing.T, st *store.Store, apps []kiosk.Application) {
	t.Helper()
	ctx := context.Background()
	c, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Queued != 0 || c.Dead != 0 || c.Delivered != len(apps) {
		t.Errorf("kiosk counts %+v, want %d delivered", c, len(apps))
	}
	items, err := st.List(ctx, len(apps)+10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.State != kiosk.StateAccepted || it.AcceptedAt.IsZero() || it.DueAt.IsZero() {
			t.Errorf("%s: state %s accepted %v due %v", it.Receipt, it.State, it.AcceptedAt, it.DueAt)
		}
	}
}

// restartable is a review service on SQLite whose process can be stopped and started again on the same
// database and blob folder.
type restartable struct {
	t       *testing.T
	dir     string
	db      string
	dataDir string
	kiosk   string
	secret  []byte
	svc     *review.Service
	srv     *httptest.Server
}

func startRestartable(t *testing.T) *restartable {
	env := reviewtest.Start(t)
	r := &restartable{t: t, dir: env.Dir, db: filepath.Join(env.Dir, "review.db"), dataDir: filepath.Join(env.Dir, "data"),
		kiosk: env.KioskID, secret: env.Secret, svc: env.Service}
	// Take over from reviewtest's server: stop it, reopen the same files under our control.
	env.Close()
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start() {
	s, err := review.Open(context.Background(), review.Options{DB: r.db, DataDir: r.dataDir, StatusRate: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		r.t.Fatalf("reopen review service: %v", err)
	}
	r.svc, r.srv = s, httptest.NewServer(s.Handler())
}

func (r *restartable) stop() {
	if r.srv == nil {
		return
	}
	r.srv.CloseClientConnections() // abrupt, as a crash or restart is
	r.srv.Close()
	r.svc.Close()
	r.srv, r.svc = nil, nil
}

func (r *restartable) URL() string { return r.srv.URL }

// TestExactlyOnceUnderFaults sends 300 applications (3 materials each) from a real kiosk queue through a
// proxy that fails about 30% of requests in every way it can, restarts the review service mid-run, and checks
// that the server accepted each exactly once with every material verified and the kiosk shows all delivered.
// HUREN_SOAK=1 sends 1,000.
func TestExactlyOnceUnderFaults(t *testing.T) {
	n := 300
	if os.Getenv("HUREN_SOAK") == "1" {
		n = 1000
	}
	if testing.Short() {
		n = 60
	}
	rs := startRestartable(t)
	proxy := newFaultProxy(t, rs.URL(), 0.30, 42)
	clk := newVClock()
	st := openStore(t, clk)
	apps := queueApps(t, st, n, 3, 20<<10, 1)
	c, err := NewClient(Options{BaseURL: proxy.URL(), KioskID: rs.kiosk, Secret: rs.secret, Version: "test",
		ResponseTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var mu gosync.Mutex
	delivered, restarted := 0, false
	check := make(chan struct{}, 1)
	restart := make(chan struct{})
	w := NewWorker(st, c, WorkerOptions{Clock: clk, After: clk.After, Version: "test",
		OnDelivery: func(_ kiosk.Receipt, err error) {
			mu.Lock()
			if err == nil {
				delivered++
			}
			if delivered >= n/3 && !restarted {
				restarted = true
				close(restart)
			}
			mu.Unlock()
			notify(check)
		}})
	// The restart happens while the worker keeps going: stopped, then started on a new port.
	restartDone := make(chan struct{})
	go func() {
		defer close(restartDone)
		<-restart
		proxy.setUpstream("")
		rs.stop()
		rs.start()
		proxy.setUpstream(rs.URL())
	}()
	runUntil(t, w, check, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return delivered >= n // storeCheck below confirms it in the queue
	})
	<-restartDone
	t.Logf("proxy faults: %s", proxy.stats())
	t.Logf("forwarded OK: manifest %d, material %d, submit %d (for %d applications, %d materials)",
		proxy.forwardedCount("PUT manifest"), proxy.forwardedCount("PUT material"),
		proxy.forwardedCount("POST submit"), n, 3*n)
	storeCheck(t, st, apps)
	rs.stop()
	serverCheck(t, rs.db, rs.dataDir, apps)
}

// TestConflictGoesDeadAndIsVisible: the server holds a different manifest for a receipt; the row goes dead
// with the server's message (admin mode lists it), the other rows are delivered, and RetryDead after the
// conflict is resolved is not needed for them.
func TestConflictGoesDeadAndIsVisible(t *testing.T) {
	env := reviewtest.Start(t)
	clk := newVClock()
	st := openStore(t, clk)
	apps := queueApps(t, st, 3, 1, 1000, 2)
	// Someone else's manifest under the first receipt (e.g. a restored kiosk database that reused a number).
	m, _, _ := reviewtest.SampleApplication(apps[0].Receipt.String(), "李四", 1, clk.Now())
	m.Kiosk = env.KioskID
	c := newTestClient(t, env.URL, env.Secret)
	if _, err := c.PutManifest(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(st, c, WorkerOptions{Clock: clk, After: clk.After})
	if err := w.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	cnt, _ := st.Counts(context.Background())
	if cnt.Dead != 1 || cnt.Delivered != 2 || cnt.Queued != 0 {
		t.Fatalf("counts %+v", cnt)
	}
	items, _ := st.List(context.Background(), 10)
	found := false
	for _, it := range items {
		if it.Receipt == apps[0].Receipt {
			found = true
			if it.State != kiosk.StateDead || !strings.Contains(it.LastError, "409") || !strings.Contains(it.LastError, "该回执已有不同的申请内容") {
				t.Errorf("dead row: state %s last error %q", it.State, it.LastError)
			}
		}
	}
	if !found {
		t.Fatal("dead row not listed")
	}
	// Staff retry (admin mode) puts it back; it fails the same way, still visible, nothing else changes.
	if err := st.RetryDead(context.Background(), apps[0].Receipt); err != nil {
		t.Fatal(err)
	}
	if err := w.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cnt, _ := st.Counts(context.Background()); cnt.Dead != 1 || cnt.Delivered != 2 {
		t.Fatalf("after retry: %+v", cnt)
	}
}

// skewClock is the system clock off by a fixed amount.
type skewClock struct{ d time.Duration }

func (s skewClock) Now() time.Time { return time.Now().Add(s.d) }

// TestClockSkewRecovers: a kiosk clock 10 minutes off is refused with 401, corrected from the server's Date
// header, and everything is delivered.
func TestClockSkewRecovers(t *testing.T) {
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		env := reviewtest.Start(t)
		clk := newVClock()
		st := openStore(t, clk)
		apps := queueApps(t, st, 5, 2, 1000, 3)
		c, err := NewClient(Options{BaseURL: env.URL, KioskID: env.KioskID, Secret: env.Secret, Clock: skewClock{skew}})
		if err != nil {
			t.Fatal(err)
		}
		w := NewWorker(st, c, WorkerOptions{Clock: clk, After: clk.After})
		if err := w.SyncNow(context.Background()); err != nil {
			t.Fatalf("skew %v: %v", skew, err)
		}
		if off := c.ClockOffset() + skew; off > 5*time.Second || off < -5*time.Second {
			t.Errorf("skew %v: learnt offset %v", skew, c.ClockOffset())
		}
		storeCheck(t, st, apps)
		c.Close()
		env.Close()
		serverCheck(t, filepath.Join(env.Dir, "review.db"), filepath.Join(env.Dir, "data"), apps)
	}
}

// TestServerDownWholeRun: with the review service unreachable for the whole run (many virtual hours of
// retries), everything stays queued with attempts and a last error, nothing goes dead, and the worker
// reports ErrOffline.
func TestServerDownWholeRun(t *testing.T) {
	env := reviewtest.Start(t)
	url := env.URL
	env.Close() // nothing listens there now
	clk := newVClock()
	start := clk.Now()
	st := openStore(t, clk)
	queueApps(t, st, 10, 1, 1000, 4)
	c := newTestClient(t, url, env.Secret)
	check := make(chan struct{}, 1)
	w := NewWorker(st, c, WorkerOptions{Clock: clk, After: clk.After,
		OnDelivery: func(kiosk.Receipt, error) { notify(check) }})
	runUntil(t, w, check, func() bool { return clk.Now().Sub(start) > 12*time.Hour })
	cnt, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cnt.Queued != 10 || cnt.Dead != 0 || cnt.Delivered != 0 {
		t.Fatalf("counts after 12 virtual hours offline: %+v", cnt)
	}
	items, _ := st.List(context.Background(), 20)
	for _, it := range items {
		if it.State != kiosk.StateQueued || it.Attempts < 2 || it.LastError == "" {
			t.Errorf("%s: state %s attempts %d last error %q", it.Receipt, it.State, it.Attempts, it.LastError)
		}
	}
	if !errors.Is(w.LastError(), ErrOffline) {
		t.Errorf("LastError %v, want ErrOffline", w.LastError())
	}
	if _, err := c.Status(context.Background(), items[0].Receipt, "x"); !errors.Is(err, ErrOffline) {
		t.Errorf("status while offline: %v", err)
	}
}

// TestWorkerWithRealService covers config caching, heartbeat, updates and the status query against the real
// review service.
func TestWorkerWithRealService(t *testing.T) {
	env := reviewtest.Start(t)
	clk := newVClock()
	st := openStore(t, clk)
	apps := queueApps(t, st, 2, 1, 500, 5)
	var cfgs []wire.KioskConfig
	c := newTestClient(t, env.URL, env.Secret)
	w := NewWorker(st, c, WorkerOptions{Clock: clk, After: clk.After, Version: "7.7",
		HealthFunc: func() []kiosk.Health { return []kiosk.Health{{Device: "printer", OK: false, Detail: "缺纸"}} },
		OnConfig:   func(cfg wire.KioskConfig) { cfgs = append(cfgs, cfg) }})
	if err := w.SyncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg, ok := w.Config()
	if !ok || len(cfgs) != 1 || cfg.NoticeVersion == "" {
		t.Fatalf("config %+v ok %v callbacks %d", cfg, ok, len(cfgs))
	}
	if cur, err := st.Cursor(context.Background(), UpdatesCursor); err != nil || cur == 0 {
		t.Errorf("updates cursor %d %v", cur, err)
	}
	kiosks, err := env.Service.Kiosks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kiosks {
		if k.ID == env.KioskID && (k.LastSeen.IsZero() || k.Version != "7.7" || len(k.Devices) != 1 || k.Devices[0].OK) {
			t.Errorf("heartbeat not recorded: %+v", k)
		}
	}
	stt, err := c.Status(context.Background(), apps[0].Receipt, apps[0].StatusToken)
	if err != nil || stt.State != string(kiosk.StateAccepted) {
		t.Fatalf("status %+v %v", stt, err)
	}
	if _, err := c.Status(context.Background(), apps[0].Receipt, "wrong"); !errors.Is(err, ErrNotFound) {
		t.Errorf("wrong token: %v", err)
	}
	// A restarted kiosk with the service down starts from the cached config.
	env.Close()
	w2 := NewWorker(st, newTestClient(t, env.URL, env.Secret), WorkerOptions{Clock: clk, After: clk.After})
	if ok, err := w2.LoadCachedConfig(context.Background()); !ok || err != nil {
		t.Fatalf("cached config %v %v", ok, err)
	}
	if got, _ := w2.Config(); got.NoticeVersion != cfg.NoticeVersion {
		t.Errorf("cached config %+v", got)
	}
}
