package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	gosync "sync"
	"time"

	"huren/kiosk"
	"huren/kiosk/store"
	"huren/sync/wire"
)

// Outbox is what the worker needs of the kiosk's queue; *store.Store meets it.
type Outbox interface {
	Claim(ctx context.Context, downstream string, lease time.Duration) (store.OutboxItem, error)
	NextDue(ctx context.Context, downstream string) (time.Time, bool, error)
	Get(ctx context.Context, r kiosk.Receipt) (kiosk.Application, error)
	Delivered(ctx context.Context, id int64, state kiosk.State, acceptedAt, dueAt time.Time) error
	Retry(ctx context.Context, id int64, next time.Time, lastErr string) error
	Dead(ctx context.Context, id int64, lastErr string) error
	ApplyUpdate(ctx context.Context, r kiosk.Receipt, state kiosk.State, at time.Time) error
	Cursor(ctx context.Context, name string) (int64, error)
	SetCursor(ctx context.Context, name string, v int64) error
	Purge(ctx context.Context) (int, error)
	SaveConfig(ctx context.Context, b []byte) error
	LoadConfig(ctx context.Context) ([]byte, error)
	Counts(ctx context.Context) (store.Counts, error)
	DueNow(ctx context.Context, downstream string) (int, error)
}

// UpdatesCursor is the store cursor name under which the worker keeps its position in the server's updates.
const UpdatesCursor = "review.updates"

// WorkerOptions configure a Worker; zero values take the defaults in parentheses.
type WorkerOptions struct {
	Downstream string      // outbox downstream (store.DownstreamReview)
	Version    string      // kiosk software version for the heartbeat ("dev")
	Clock      kiosk.Clock // the STORE's clock: next-attempt times are computed on it (SystemClock)
	// After returns a channel that delivers once d has passed on Clock (time.After). Tests inject a virtual
	// sleeper that advances a virtual clock, so backoff costs no real time.
	After func(d time.Duration) <-chan time.Time
	// Jitter returns a uniform random number in [0,1) for full-jitter backoff (math/rand/v2).
	Jitter func() float64

	Lease          time.Duration // how long a claimed row stays ours (5 min)
	BaseDelay      time.Duration // first backoff ceiling (1 s)
	MaxDelay       time.Duration // backoff cap (10 min)
	HeartbeatEvery time.Duration // (60 s)
	ConfigEvery    time.Duration // (15 min)
	UpdatesEvery   time.Duration // pull of state updates and purge (60 s)

	HealthFunc func() []kiosk.Health      // device health for the heartbeat; nil: none
	OnConfig   func(wire.KioskConfig)     // called with the cached config at start and each changed fetch
	Logger     *slog.Logger               // (slog.Default)
	OnDelivery func(kiosk.Receipt, error) // optional: called after each attempt is recorded, with its error (nil: delivered)
}

// Worker delivers the outbox to the review service and keeps the kiosk in step with it. Its methods are safe
// for concurrent use; Run and SyncNow never deliver at the same time.
type Worker struct {
	st  Outbox
	c   *Client
	o   WorkerOptions
	log *slog.Logger

	wake chan struct{}
	pass gosync.Mutex // held while working (Run's tick or SyncNow)

	// fields below are guarded by pass
	fails         int // consecutive retryable failures (global pause)
	pauseUntil    time.Time
	nextHeartbeat time.Time
	nextConfig    time.Time
	nextUpdates   time.Time

	mu       gosync.Mutex // guards the fields below
	cfg      wire.KioskConfig
	cfgRaw   []byte
	haveCfg  bool
	lastSync time.Time
	lastErr  error
}

// NewWorker returns a worker that delivers st's rows with c.
func NewWorker(st Outbox, c *Client, o WorkerOptions) *Worker {
	if o.Downstream == "" {
		o.Downstream = store.DownstreamReview
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Lease, 5*time.Minute)
	def(&o.BaseDelay, time.Second)
	def(&o.MaxDelay, 10*time.Minute)
	def(&o.HeartbeatEvery, time.Minute)
	def(&o.ConfigEvery, 15*time.Minute)
	def(&o.UpdatesEvery, time.Minute)
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Worker{st: st, c: c, o: o, log: log.With("component", "sync"), wake: make(chan struct{}, 1)}
}

// Wake asks the worker to deliver now (a new application was committed). It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// LastSync is the time of the last successful exchange with the review service (zero: none yet).
func (w *Worker) LastSync() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSync
}

// LastError is the error of the last failed exchange, or nil once a later delivery or update pull succeeded.
func (w *Worker) LastError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// Config returns the kiosk config last fetched or loaded from the store's cache, and whether there is one.
func (w *Worker) Config() (wire.KioskConfig, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cfg, w.haveCfg
}

func (w *Worker) noteOK() {
	w.mu.Lock()
	w.lastSync = w.o.Clock.Now()
	w.mu.Unlock()
}

func (w *Worker) noteErr(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

func (w *Worker) clearErr() {
	w.mu.Lock()
	w.lastErr = nil
	w.mu.Unlock()
}

// LoadCachedConfig loads the config cached in the store (so the kiosk starts offline with the last one) and
// calls OnConfig with it. Run calls it first; it reports whether there was one. Errors come from the store or
// a damaged cache.
func (w *Worker) LoadCachedConfig(ctx context.Context) (bool, error) {
	b, err := w.st.LoadConfig(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(b) == 0) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load cached config: %w", err)
	}
	var cfg wire.KioskConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return false, fmt.Errorf("load cached config: %w", err)
	}
	w.setConfig(cfg, b)
	return true, nil
}

// setConfig installs cfg (raw is its JSON) and calls OnConfig when it changed.
func (w *Worker) setConfig(cfg wire.KioskConfig, raw []byte) {
	w.mu.Lock()
	changed := !w.haveCfg || !bytes.Equal(w.cfgRaw, raw)
	w.cfg, w.cfgRaw, w.haveCfg = cfg, raw, true
	w.mu.Unlock()
	if changed && w.o.OnConfig != nil {
		w.o.OnConfig(cfg)
	}
}

// Run delivers, pulls updates, fetches the config and sends heartbeats until ctx ends; then it returns
// ctx.Err(). Between work it sleeps until the next due attempt, the next periodic task or Wake.
func (w *Worker) Run(ctx context.Context) error {
	if _, err := w.LoadCachedConfig(ctx); err != nil {
		w.log.Warn("cached config unusable", "err", err)
	}
	for {
		w.pass.Lock()
		w.tick(ctx)
		at := w.nextWake(ctx)
		w.pass.Unlock()
		if err := w.sleepUntil(ctx, at); err != nil {
			return err
		}
	}
}

// SyncNow runs a full pass at once (admin mode's 同步): config, heartbeat, every due delivery, updates and
// purge, ignoring the global backoff pause. It returns the first error met (nil: everything due was
// delivered and the server was reachable). Rows that went dead are not errors here; admin mode lists them.
func (w *Worker) SyncNow(ctx context.Context) error {
	w.pass.Lock()
	defer w.pass.Unlock()
	defer w.Wake() // let Run recompute its sleep
	w.fails, w.pauseUntil = 0, time.Time{}
	var errs []error
	now := w.o.Clock.Now()
	if err := w.fetchConfig(ctx); err != nil {
		errs = append(errs, err)
	} else {
		w.nextConfig = now.Add(w.o.ConfigEvery)
	}
	if err := w.heartbeat(ctx); err != nil {
		errs = append(errs, err)
	}
	w.nextHeartbeat = now.Add(w.o.HeartbeatEvery)
	// Staff asked for it: rows waiting out their backoff go now too.
	if _, err := w.st.DueNow(ctx, w.o.Downstream); err != nil {
		errs = append(errs, err)
	}
	if err := w.drain(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := w.pullUpdates(ctx); err != nil {
		errs = append(errs, err)
	}
	w.nextUpdates = w.o.Clock.Now().Add(w.o.UpdatesEvery)
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// periodic runs the heartbeat, config and updates tasks that are due.
func (w *Worker) periodic(ctx context.Context) {
	now := w.o.Clock.Now()
	if !now.Before(w.nextConfig) {
		if err := w.fetchConfig(ctx); err != nil {
			w.nextConfig = now.Add(min(w.o.ConfigEvery, time.Minute))
		} else {
			w.nextConfig = now.Add(w.o.ConfigEvery)
		}
	}
	if !now.Before(w.nextHeartbeat) {
		w.heartbeat(ctx)
		w.nextHeartbeat = now.Add(w.o.HeartbeatEvery)
	}
	if !now.Before(w.nextUpdates) {
		w.pullUpdates(ctx)
		w.nextUpdates = now.Add(w.o.UpdatesEvery)
	}
}

// tick runs the due periodic tasks and drains the outbox unless paused.
func (w *Worker) tick(ctx context.Context) {
	w.periodic(ctx)
	if ctx.Err() != nil || w.o.Clock.Now().Before(w.pauseUntil) {
		return
	}
	w.drain(ctx)
}

// drain delivers due rows one at a time until none is due, a retryable failure pauses the worker, or ctx
// ends. Only one application is in memory at a time. It returns the error that stopped it.
func (w *Worker) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		w.periodic(ctx)
		more, err := w.deliverOne(ctx)
		if err != nil && Retryable(err) {
			w.fails++
			d := w.backoff(w.fails - 1)
			if ra := RetryAfter(err); ra > d {
				d = ra
			}
			w.pauseUntil = w.o.Clock.Now().Add(d)
			return err
		}
		if !more {
			return err
		}
	}
	return ctx.Err()
}

// backoff is the full-jitter delay after attempt failures: uniform in [0, min(MaxDelay, BaseDelay·2^attempt)).
func (w *Worker) backoff(attempt int) time.Duration {
	ceil := w.o.BaseDelay // attempt < 0 (no claim counted yet) is treated as 0
	for i := 0; i < attempt && ceil < w.o.MaxDelay; i++ {
		ceil *= 2
	}
	ceil = min(ceil, w.o.MaxDelay)
	return time.Duration(w.o.Jitter() * float64(ceil))
}

// errText is what the store keeps as a row's last error: for a server refusal its own message.
func errText(err error) string {
	var ae *APIError
	if errors.As(err, &ae) && ae.Message != "" {
		return fmt.Sprintf("%s (HTTP %d %s)", ae.Message, ae.Status, ae.Code)
	}
	return err.Error()
}

// deliverOne claims one due row and delivers it. more is false when no row was due (or the store failed).
// err is the delivery's error (nil also when the row went dead: that is the row's state, not the worker's).
func (w *Worker) deliverOne(ctx context.Context) (more bool, err error) {
	item, err := w.st.Claim(ctx, w.o.Downstream, w.o.Lease)
	if errors.Is(err, store.ErrNoWork) {
		return false, nil
	}
	if err != nil {
		err = fmt.Errorf("claim: %w", err)
		w.log.Error("outbox claim failed", "err", err)
		w.noteErr(err)
		return false, err
	}
	// Store writes after the delivery must happen even when ctx ended meanwhile.
	sctx := context.WithoutCancel(ctx)
	rcpt := item.Receipt.String()
	app, err := w.st.Get(ctx, item.Receipt)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPurged) {
		msg := "本地数据已不存在，无法上传 (application data missing locally): " + err.Error()
		if derr := w.st.Dead(sctx, item.ID, msg); derr != nil {
			return false, fmt.Errorf("mark %s dead: %w", rcpt, derr)
		}
		w.log.Error("application cannot be delivered", "receipt", rcpt, "err", err)
		return true, nil
	}
	if err != nil {
		err = fmt.Errorf("load %s: %w", rcpt, err)
		w.st.Retry(sctx, item.ID, w.o.Clock.Now().Add(w.backoff(item.Attempts-1)), err.Error())
		w.noteErr(err)
		return false, err
	}
	resp, err := w.c.Deliver(ctx, app)
	app = kiosk.Application{} // drop the materials before the next claim
	_ = app
	if w.o.OnDelivery != nil {
		defer w.o.OnDelivery(item.Receipt, err) // after the outcome is recorded
	}
	switch {
	case err == nil:
		state := kiosk.State(resp.State)
		if state == "" {
			state = kiosk.StateAccepted
		}
		if derr := w.st.Delivered(sctx, item.ID, state, resp.AcceptedAt, resp.DueAt); derr != nil {
			// The server has it; the next attempt is idempotent and will record it.
			derr = fmt.Errorf("record delivery of %s: %w", rcpt, derr)
			w.noteErr(derr)
			return false, derr
		}
		w.fails = 0
		w.noteOK()
		w.clearErr()
		w.log.Info("delivered", "receipt", rcpt, "state", state, "attempts", item.Attempts)
		return true, nil
	case ctx.Err() != nil:
		// Interrupted (shutdown): release the row for the next run.
		w.st.Retry(sctx, item.ID, w.o.Clock.Now(), "interrupted: "+err.Error())
		return false, ctx.Err()
	case Permanent(err):
		w.noteOK() // the server answered
		msg := errText(err)
		if derr := w.st.Dead(sctx, item.ID, msg); derr != nil {
			return false, fmt.Errorf("mark %s dead: %w", rcpt, derr)
		}
		w.log.Error("delivery refused; row is dead", "receipt", rcpt, "err", msg)
		return true, nil
	default:
		d := w.backoff(item.Attempts - 1)
		if ra := RetryAfter(err); ra > d {
			d = ra
		}
		next := w.o.Clock.Now().Add(d)
		if rerr := w.st.Retry(sctx, item.ID, next, errText(err)); rerr != nil {
			w.log.Error("outbox retry failed", "receipt", rcpt, "err", rerr)
		}
		w.noteErr(err)
		w.log.Warn("delivery failed; will retry", "receipt", rcpt, "attempts", item.Attempts,
			"next", next, "err", err)
		return true, err
	}
}

// fetchConfig gets the config, caches it in the store and installs it.
func (w *Worker) fetchConfig(ctx context.Context) error {
	cfg, err := w.c.Config(ctx)
	if err != nil {
		w.noteErr(err)
		return fmt.Errorf("fetch config: %w", err)
	}
	w.noteOK()
	raw, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("fetch config: %w", err)
	}
	if err := w.st.SaveConfig(ctx, raw); err != nil {
		w.log.Error("cache config", "err", err)
	}
	w.setConfig(cfg, raw)
	return nil
}

// heartbeat sends version, queue depth, oldest unsent age and device health.
func (w *Worker) heartbeat(ctx context.Context) error {
	now := w.o.Clock.Now()
	hb := wire.Heartbeat{Version: w.o.Version, At: now, Devices: []wire.DeviceHealth{}}
	if c, err := w.st.Counts(ctx); err == nil {
		hb.QueueDepth, hb.Dead = c.Queued, c.Dead
		if !c.OldestUnsent.IsZero() && now.After(c.OldestUnsent) {
			hb.OldestUnsentSecs = int64(now.Sub(c.OldestUnsent) / time.Second)
		}
	} else {
		w.log.Error("queue counts for heartbeat", "err", err)
	}
	if w.o.HealthFunc != nil {
		for _, h := range w.o.HealthFunc() {
			hb.Devices = append(hb.Devices, wire.DeviceHealth{Device: h.Device, OK: h.OK, Detail: h.Detail})
		}
	}
	if err := w.c.Heartbeat(ctx, hb); err != nil {
		w.noteErr(err)
		return fmt.Errorf("heartbeat: %w", err)
	}
	w.noteOK()
	return nil
}

// pullUpdates applies the server's state changes since the stored cursor, then purges decided applications.
func (w *Worker) pullUpdates(ctx context.Context) error {
	cur, err := w.st.Cursor(ctx, UpdatesCursor)
	if err != nil {
		return fmt.Errorf("updates cursor: %w", err)
	}
	for page := 0; page < 100; page++ {
		u, err := w.c.Updates(ctx, cur)
		if err != nil {
			w.noteErr(err)
			return fmt.Errorf("pull updates: %w", err)
		}
		w.noteOK()
		for _, up := range u.Updates {
			r, err := kiosk.ParseReceipt(up.Receipt)
			if err != nil {
				w.log.Warn("update with bad receipt ignored", "err", err)
				continue
			}
			err = w.st.ApplyUpdate(ctx, r, kiosk.State(up.State), up.At)
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrPurged) {
				continue
			}
			if err != nil {
				return fmt.Errorf("apply update %s: %w", up.Receipt, err)
			}
		}
		if u.Cursor != cur {
			if err := w.st.SetCursor(ctx, UpdatesCursor, u.Cursor); err != nil {
				return fmt.Errorf("save updates cursor: %w", err)
			}
		}
		if len(u.Updates) == 0 || u.Cursor <= cur {
			break
		}
		cur = u.Cursor
	}
	if n, err := w.st.Purge(ctx); err != nil {
		w.log.Error("purge", "err", err)
	} else if n > 0 {
		w.log.Info("purged decided applications", "n", n)
	}
	w.clearErr()
	return nil
}

// nextWake is when Run must work again: the next due row (not before the global pause) or periodic task.
func (w *Worker) nextWake(ctx context.Context) time.Time {
	at := w.nextHeartbeat
	for _, t := range []time.Time{w.nextConfig, w.nextUpdates} {
		if t.Before(at) {
			at = t
		}
	}
	due, ok, err := w.st.NextDue(ctx, w.o.Downstream)
	if err != nil {
		due, ok = w.o.Clock.Now().Add(30*time.Second), true
	}
	if ok {
		if due.Before(w.pauseUntil) {
			due = w.pauseUntil
		}
		if due.Before(at) {
			at = due
		}
	}
	return at
}

// sleepUntil waits until at (on Clock), Wake, or the end of ctx (returned).
func (w *Worker) sleepUntil(ctx context.Context, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := at.Sub(w.o.Clock.Now())
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.wake:
		w.pass.Lock()
		w.pauseUntil = time.Time{} // a new application: try now even if the server was down
		w.pass.Unlock()
		return nil
	case <-w.o.After(d):
		return nil
	}
}
