package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"huren/app"
	"huren/kiosk"
	"huren/kiosk/capture"
	"huren/kiosk/idcard/sam"
	"huren/kiosk/idcard/samsim"
	"huren/kiosk/places"
	"huren/kiosk/store"
	"huren/kiosk/workday"
	"huren/printing"
	"huren/resources"
	"huren/review"
	hsync "huren/sync"
	"huren/sync/wire"
)

// system is a wired kiosk: every part built from the configuration, ready for a GUI.
type system struct {
	cfg    Config
	log    *slog.Logger
	store  *store.Store
	client *hsync.Client
	worker *hsync.Worker
	deps   app.Deps

	closers []func() error
	review  *demoReview // demo mode only
}

func (s *system) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.log.Warn("close", "err", err)
		}
	}
	s.closers = nil
}

// runKiosk wires the kiosk and runs its window until ctx ends, the window closes, or the autopilot is done.
func runKiosk(ctx context.Context, o options, logger *slog.Logger, stdout io.Writer) error {
	start := time.Now()
	// A kiosk is a small machine with one job: keep the Go heap near its live size instead of letting it
	// double between collections after each full-resolution page (override with GOMEMLIMIT).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(kioskMemoryLimit)
	}
	var cfg Config
	var err error
	if o.demo {
		dir := o.dataDir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "huren-demo-"); err != nil {
				return fmt.Errorf("demo data folder: %w", err)
			}
		}
		cfg = demoConfig(dir)
	} else {
		if cfg, err = loadConfig(o.configPath); err != nil {
			return err
		}
		if o.dataDir != "" {
			cfg.DataDir = o.dataDir
		}
	}
	if o.server != "" {
		cfg.ServerURL = o.server
	}
	if o.fullscreenSet {
		cfg.Fullscreen = o.fullscreen
	}
	if cfg.FontPath != "" {
		resources.SetFontPath(cfg.FontPath)
	}
	if err := places.LoadFiles(cfg.Communities, cfg.Schools); err != nil {
		return err
	}
	// The font is checked before any window opens: a kiosk without Chinese text is useless.
	if _, err := resources.ChineseFont(); err != nil {
		return fmt.Errorf("chinese font: %w", err)
	}

	sys, err := buildSystem(ctx, cfg, o.demo, logger)
	if err != nil {
		return err
	}
	sys.deps.LogTail = o.logTail
	defer sys.Close()

	fa := fyneapp.NewWithID("cn.gov.jinyun.huren")
	k := app.New(fa, sys.deps)
	w := k.Window()
	w.SetFullScreen(sys.cfg.Fullscreen)
	if !sys.cfg.Fullscreen {
		w.Resize(fyne.NewSize(1280, 1024))
	}

	workerCtx, stopWorker := context.WithCancel(ctx)
	defer stopWorker()
	go func() {
		if err := sys.worker.Run(workerCtx); !errors.Is(err, context.Canceled) {
			logger.Error("sync worker stopped", "err", err)
		}
	}()

	fa.Lifecycle().SetOnStarted(func() {
		logger.Info("home shown", "startup_ms", since(start), "kiosk", sys.cfg.KioskID, "version", version)
	})
	var autoErr error
	go func() {
		<-ctx.Done()
		fyne.Do(fa.Quit)
	}()
	if o.autopilot > 0 {
		go logRuntime(ctx, logger, 2*time.Second)
		go func() {
			defer fyne.Do(fa.Quit)
			actx, cancel := context.WithTimeout(ctx, time.Duration(o.autopilot)*2*time.Minute+2*time.Minute)
			defer cancel()
			autoErr = k.Autopilot(actx, o.autopilot, stdout)
		}()
	}
	k.Show()
	fa.Run()
	k.Close()
	stopWorker()
	logger.Info("kiosk stopped")
	if o.autopilot > 0 && autoErr != nil {
		return fmt.Errorf("autopilot: %w", autoErr)
	}
	return nil
}

// buildSystem opens the store, the devices, the review client and uploader (and in demo mode the embedded
// review service) and fills app.Deps. On error everything opened so far is closed.
func buildSystem(ctx context.Context, cfg Config, demo bool, logger *slog.Logger) (_ *system, err error) {
	sys := &system{cfg: cfg, log: logger}
	defer func() {
		if err != nil {
			sys.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	var secret []byte
	if demo {
		dr, err := startDemoReview(ctx, filepath.Join(cfg.DataDir, "review"), cfg.KioskID, logger)
		if err != nil {
			return nil, err
		}
		sys.review = dr
		sys.closers = append(sys.closers, dr.Close)
		sys.cfg.ServerURL = dr.URL
		sys.cfg.PublicBaseURL = dr.URL
		secret = dr.Secret
		if !fileExists(sys.cfg.KeyFile) {
			if err := store.CreateKey(sys.cfg.KeyFile); err != nil {
				return nil, fmt.Errorf("demo key: %w", err)
			}
		}
	} else {
		b, err := os.ReadFile(sys.cfg.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("kiosk secret: %w", err)
		}
		if secret, err = wire.ParseSecret(string(b)); err != nil {
			return nil, fmt.Errorf("kiosk secret %s: %w", sys.cfg.SecretFile, err)
		}
	}
	cfg = sys.cfg

	st, err := store.Open(ctx, store.Options{
		Path:         filepath.Join(cfg.DataDir, "queue.db"),
		KeyFile:      cfg.KeyFile,
		KioskNo:      cfg.KioskNo,
		MaxUnsent:    cfg.Limits.MaxUnsent,
		MinFreeBytes: int64(cfg.Limits.MinFreeMB) << 20,
		Retention:    time.Duration(cfg.Limits.RetentionDays) * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	sys.store = st
	sys.closers = append(sys.closers, st.Close)

	reader, err := openReader(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	if c, ok := reader.(io.Closer); ok {
		sys.closers = append(sys.closers, c.Close)
	}
	camera, err := openCamera(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if c, ok := camera.(io.Closer); ok {
		sys.closers = append(sys.closers, c.Close)
	}
	printer, err := openPrinter(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Printer.Driver == "pdf" {
		logger.Info("receipts are written as PDF files", "folder", cfg.Printer.PDFDir)
	}

	client, err := hsync.NewClient(hsync.Options{
		BaseURL: cfg.ServerURL, KioskID: cfg.KioskID, Secret: secret,
		CAFile: cfg.TLS.CAFile, PinSHA256: cfg.TLS.PinSHA256, Version: version,
	})
	if err != nil {
		return nil, fmt.Errorf("review client: %w", err)
	}
	sys.client = client
	health := func() []kiosk.Health { return deviceHealth(reader, camera) }
	// The review service's calendar (sent with the kiosk config, cached for offline starts) replaces the
	// embedded one, so a new year's State Council notice reaches kiosks without a software update.
	var cal atomic.Pointer[workday.Calendar]
	onConfig := func(c wire.KioskConfig) {
		if len(c.Calendar) == 0 {
			return
		}
		wc, err := workday.Load(bytes.NewReader(c.Calendar))
		if err != nil {
			logger.Warn("config: holiday calendar refused", "err", err)
			return
		}
		cal.Store(wc)
	}
	worker := hsync.NewWorker(st, client, hsync.WorkerOptions{Logger: logger, HealthFunc: health, Version: version,
		OnConfig: onConfig})
	sys.worker = worker

	sys.deps = app.Deps{
		Reader: reader, Camera: camera, Printer: printer, Queue: st, Remote: client, Syncer: worker,
		Normalize:       capture.Normalize,
		CurrentCalendar: cal.Load,
		Logger:          logger,
		KioskNo:         cfg.KioskNo, Hotline: cfg.Hotline, PublicURL: cfg.PublicBaseURL,
		StaffPINs: func() []wire.StaffPIN {
			c, _ := worker.Config()
			return c.StaffPINs
		},
		LocalPINHash: cfg.Admin.LocalPINHash,
		Health:       func(context.Context) []kiosk.Health { return health() },
		SyncNow:      worker.SyncNow,
		IsOffline:    func(err error) bool { return errors.Is(err, hsync.ErrOffline) },
		AtHome:       releaseMemory,
	}
	sys.deps.WaitAccepted = sys.waitAccepted
	if cfg.Printer.Driver == "pdf" {
		sys.deps.ReceiptFolder = cfg.Printer.PDFDir
	}
	return sys, nil
}

func openReader(ctx context.Context, cfg Config, logger *slog.Logger) (kiosk.CardReader, error) {
	switch cfg.Reader.Driver {
	case "demo":
		r, err := samsim.NewDemoReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo card reader: %w", err)
		}
		return r, nil
	case "serial":
		// AllowAbsent: the kiosk starts with the reader unplugged; admin health shows it and it is reopened.
		r, err := sam.OpenWith(ctx, cfg.Reader.Port, sam.Options{Baud: cfg.Reader.Baud, AllowAbsent: true, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("card reader %s: %w", cfg.Reader.Port, err)
		}
		return r, nil
	case "usb":
		r, err := sam.OpenWith(ctx, "usb", sam.Options{AllowAbsent: true, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("usb card reader: %w", err)
		}
		return r, nil
	}
	return nil, fmt.Errorf("reader.driver %q unknown", cfg.Reader.Driver)
}

func openCamera(ctx context.Context, cfg Config) (kiosk.Camera, error) {
	switch cfg.Camera.Driver {
	case "demo":
		return capture.NewDemoCamera(), nil
	case "v4l2":
		c, err := capture.OpenV4L2(ctx, cfg.Camera.Device)
		if err != nil {
			return nil, fmt.Errorf("document camera %s: %w", cfg.Camera.Device, err)
		}
		return c, nil
	case "hotfolder":
		c, err := capture.NewHotFolder(cfg.Camera.HotFolder)
		if err != nil {
			return nil, fmt.Errorf("hot folder %s: %w", cfg.Camera.HotFolder, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("camera.driver %q unknown", cfg.Camera.Driver)
}

func openPrinter(cfg Config) (kiosk.Printer, error) {
	size := printing.Roll80
	if cfg.Printer.Paper != "" {
		s, err := printing.ParseSize(cfg.Printer.Paper)
		if err != nil {
			return nil, fmt.Errorf("printer.paper: %w", err)
		}
		size = s
	}
	switch cfg.Printer.Driver {
	case "pdf":
		p, err := printing.NewPDFFolder(cfg.Printer.PDFDir)
		if err != nil {
			return nil, fmt.Errorf("receipt folder: %w", err)
		}
		p.SetSize(size)
		return p, nil
	case "cups":
		p := printing.NewCUPS(cfg.Printer.Queue)
		p.SetSize(size)
		// A stuck job must not keep the applicant waiting: after 30 s the receipt is shown on screen.
		p.SetJobTimeout(30 * time.Second)
		return p, nil
	case "escpos":
		p, err := printing.NewESCPOS(cfg.Printer.Target)
		if err != nil {
			return nil, fmt.Errorf("escpos printer %s: %w", cfg.Printer.Target, err)
		}
		return p, nil
	}
	return nil, fmt.Errorf("printer.driver %q unknown", cfg.Printer.Driver)
}

// deviceHealth asks the devices that report their own health (the printer is asked by the GUI directly).
func deviceHealth(devs ...any) []kiosk.Health {
	var out []kiosk.Health
	for _, d := range devs {
		if h, ok := d.(interface{ Health() kiosk.Health }); ok {
			out = append(out, h.Health())
		}
	}
	return out
}

// demoReview is the embedded review service of demo mode, on a loopback port.
type demoReview struct {
	URL     string
	Secret  []byte
	Service *review.Service
	srv     *http.Server
	cancel  context.CancelFunc
	done    chan struct{}
}

func startDemoReview(ctx context.Context, dir, kioskID string, logger *slog.Logger) (*demoReview, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("review folder: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("review listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	svc, err := review.Open(ctx, review.Options{
		DB: filepath.Join(dir, "huren-review.db"), DataDir: dir, PublicURL: url, Logger: logger.With("component", "review"),
		SMS: review.NewFileSMS(filepath.Join(dir, "sms.jsonl")), Province: review.NewFileProvince(filepath.Join(dir, "province.jsonl")),
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("open review service: %w", err)
	}
	secretFile := filepath.Join(dir, "kiosk.secret")
	var secret []byte
	if b, err := os.ReadFile(secretFile); err == nil {
		secret, err = wire.ParseSecret(string(b))
		if err != nil {
			svc.Close()
			ln.Close()
			return nil, fmt.Errorf("demo kiosk secret: %w", err)
		}
	} else {
		hexSecret, err := svc.AddKiosk(ctx, kioskID, "演示终端 Demo kiosk")
		if err == nil {
			err = os.WriteFile(secretFile, []byte(hexSecret+"\n"), 0o600)
		}
		if err == nil {
			secret, err = wire.ParseSecret(hexSecret)
		}
		if err == nil {
			err = svc.DemoSeed(ctx)
		}
		if err != nil {
			svc.Close()
			ln.Close()
			return nil, fmt.Errorf("demo review setup: %w", err)
		}
	}
	rctx, cancel := context.WithCancel(context.Background())
	d := &demoReview{URL: url, Secret: secret, Service: svc, cancel: cancel, done: make(chan struct{}),
		srv: &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := svc.Run(rctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("review background work stopped", "err", err)
		}
	}()
	go func() {
		defer close(d.done)
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("review service stopped", "err", err)
		}
	}()
	logger.Info("review service listening", "url", url, "reviewer_ui", url+"/review/", "reviewer", review.DemoReviewer,
		"password", review.DemoReviewerPassword, "staff_pin", review.DemoStaffPIN, "status_pages", url+"/s/{receipt}?t={token}")
	return d, nil
}

// waitAccepted asks the review service over HTTP, as anyone holding the receipt would, until receipt is
// accepted or decided (the autopilot's check that an application really arrived).
func (s *system) waitAccepted(ctx context.Context, r kiosk.Receipt) (kiosk.State, error) {
	a, err := s.store.Get(ctx, r)
	if err != nil {
		return "", fmt.Errorf("wait for %s: %w", r, err)
	}
	token := a.StatusToken
	a = kiosk.Application{} // drop the personal data at once
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var st kiosk.State
	for {
		s.worker.Wake()
		if res, err := s.client.Status(ctx, r, token); err == nil {
			st = kiosk.State(res.State)
			switch st {
			case kiosk.StateAccepted, kiosk.StateInReview, kiosk.StateApproved, kiosk.StateRejected:
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("wait for %s accepted: %w", r, ctx.Err())
		case <-t.C:
		}
	}
}

func (d *demoReview) Close() error {
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.srv.Shutdown(sctx)
	<-d.done
	d.cancel()
	return errors.Join(err, d.Service.Close())
}

// logRuntime logs goroutine and heap figures every period until ctx ends (autopilot runs: the soak checks
// they stay flat).
func logRuntime(ctx context.Context, logger *slog.Logger, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			logger.Info("runtime", "goroutines", runtime.NumGoroutine(), "heap_inuse", m.HeapInuse, "sys", m.Sys)
		}
	}
}
