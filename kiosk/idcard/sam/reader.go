package sam

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// Options tune a Reader; the zero value gives the defaults.
type Options struct {
	Baud     int           // serial speed; DefaultBaud when zero
	Interval time.Duration // between find-card polls; 300 ms when zero
	Timeout  time.Duration // per command exchange; DefaultTimeout when zero
	Reopen   time.Duration // between attempts to reopen a vanished port; 1 s when zero
	Retries  int           // read attempts of one placed card before 请重新放置身份证; 3 when zero
	Logger   *slog.Logger  // slog.Default() when nil
	// AllowAbsent makes OpenWith succeed when the reader is missing or silent at start (ErrIO, ErrTimeout):
	// Read then keeps trying to open it and Health reports it as not connected. Module faults still fail.
	AllowAbsent bool
	// OpenPort opens the transport; sam.OpenPort when nil (tests inject fakes).
	OpenPort func(path string, baud int) (Port, error)
}

func (o *Options) fill() {
	if o.Baud <= 0 {
		o.Baud = DefaultBaud
	}
	if o.Interval <= 0 {
		o.Interval = 300 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Reopen <= 0 {
		o.Reopen = time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OpenPort == nil {
		o.OpenPort = OpenPort
	}
}

// Errors of Read and Open. Applicant-facing errors are *kiosk.UserError values (请重新放置身份证;
// 读卡器故障，请联系工作人员) whose cause wraps one of these; classify with errors.Is.
var (
	ErrRetriesExhausted = errors.New("sam: card read failed repeatedly") // 请重新放置身份证
	ErrReaderClosed     = errors.New("sam: reader closed")
)

func replaceCard(cause error) error {
	return kiosk.NewUserError("请重新放置身份证", "Please place your ID card on the reader again",
		fmt.Errorf("%w: %w", ErrRetriesExhausted, cause))
}

// readerFault wraps a module fault (cause wraps ErrModule).
func readerFault(cause error) error {
	return kiosk.NewUserError("读卡器故障，请联系工作人员", "The card reader has a fault. Please ask a member of staff", cause)
}

// Reader reads ID cards through a SAM module. It implements kiosk.CardReader. Read and Health may be called
// from different goroutines; Reads are serialised.
type Reader struct {
	path string
	opt  Options
	log  *slog.Logger

	io   sync.Mutex // held during port I/O
	conn *Conn      // nil while the port is gone (under io)

	// card state (under io)
	present bool // a card was reported (or failed) and has not been removed since
	misses  int  // consecutive "no card" answers while present

	cmu     sync.Mutex
	closed  bool
	done    chan struct{}
	current Port // the open port, so Close can interrupt a blocked read

	hmu    sync.Mutex
	health kiosk.Health
}

var _ kiosk.CardReader = (*Reader)(nil)

// Open opens the reader on port (a serial device such as /dev/ttyUSB0, or "usb" for a 0400:C35A USB reader)
// at baud (DefaultBaud when <= 0), resets the SAM module and checks its self-test. Errors: wrapping ErrIO when
// the port cannot be opened, a *kiosk.UserError wrapping ErrModule when the module fails its self-test, ctx.Err().
func Open(ctx context.Context, port string, baud int) (*Reader, error) {
	return OpenWith(ctx, port, Options{Baud: baud})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, port string, o Options) (*Reader, error) {
	o.fill()
	r := &Reader{path: port, opt: o, log: o.Logger.With("device", "reader", "port", port), done: make(chan struct{})}
	r.health = kiosk.Health{Device: "reader", Detail: "未连接"}
	r.io.Lock()
	defer r.io.Unlock()
	if err := r.connect(ctx); err != nil {
		if o.AllowAbsent && ctx.Err() == nil && (errors.Is(err, ErrIO) || errors.Is(err, ErrTimeout)) {
			r.log.Warn("card reader not available yet", "err", err)
			return r, nil
		}
		return nil, err
	}
	return r, nil
}

func (r *Reader) setHealth(ok bool, detail string) {
	r.hmu.Lock()
	defer r.hmu.Unlock()
	r.health.OK, r.health.Detail, r.health.Checked = ok, detail, time.Now()
}

// Health returns the reader's state for admin mode. When no Read is running it probes the module (SAM status)
// and, if the port had vanished, tries to reopen it.
func (r *Reader) Health() kiosk.Health {
	if r.io.TryLock() {
		func() {
			defer r.io.Unlock()
			if r.isClosed() {
				r.setHealth(false, "读卡器已关闭")
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*r.opt.Timeout)
			defer cancel()
			if r.conn == nil {
				_ = r.connect(ctx)
				return
			}
			if err := r.probe(ctx); err != nil {
				r.fail(err)
			}
		}()
	}
	r.hmu.Lock()
	defer r.hmu.Unlock()
	return r.health
}

func (r *Reader) isClosed() bool {
	r.cmu.Lock()
	defer r.cmu.Unlock()
	return r.closed
}

// connect opens the port, resets the module and checks its status (under io).
func (r *Reader) connect(ctx context.Context) error {
	p, err := r.opt.OpenPort(r.path, r.opt.Baud)
	if err != nil {
		r.setHealth(false, "读卡器未连接: "+err.Error())
		return err
	}
	r.cmu.Lock()
	if r.closed {
		r.cmu.Unlock()
		p.Close()
		return ErrReaderClosed
	}
	r.current = p
	r.cmu.Unlock()
	c := &Conn{Port: p, Timeout: r.opt.Timeout}
	if err := r.init(ctx, c); err != nil {
		r.drop(c)
		r.setHealth(false, "读卡器初始化失败: "+err.Error())
		if errors.Is(err, ErrModule) {
			return readerFault(err)
		}
		return err
	}
	r.conn = c
	r.present, r.misses = false, 0
	r.setHealth(true, "正常")
	r.log.Info("card reader ready")
	return nil
}

func (r *Reader) init(ctx context.Context, c *Conn) error {
	for _, cmd := range []Command{CmdReset, CmdSAMStatus} {
		resp, err := c.Do(ctx, cmd, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		clear(resp.Data)
		if err := resp.Err(cmd); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) probe(ctx context.Context) error {
	resp, err := r.conn.Do(ctx, CmdSAMStatus, nil)
	if err != nil {
		return err
	}
	clear(resp.Data)
	if err := resp.Err(CmdSAMStatus); err != nil {
		return err
	}
	r.setHealth(true, "正常")
	return nil
}

// drop closes a connection (under io).
func (r *Reader) drop(c *Conn) {
	r.cmu.Lock()
	if r.current == c.Port {
		r.current = nil
	}
	r.cmu.Unlock()
	c.Close()
	if r.conn == c {
		r.conn = nil
	}
}

// fail records a transport or module failure (under io); on transport failure the port is closed so the
// next step reopens it.
func (r *Reader) fail(err error) {
	switch {
	case errors.Is(err, ErrIO):
		r.log.Warn("card reader disconnected", "err", err)
		if r.conn != nil {
			r.drop(r.conn)
		}
		r.setHealth(false, "读卡器连接中断，正在重新连接: "+err.Error())
	case errors.Is(err, ErrModule):
		r.setHealth(false, "读卡器安全模块故障: "+err.Error())
	case errors.Is(err, ErrTimeout):
		r.setHealth(false, "读卡器无响应: "+err.Error())
	case errors.Is(err, ErrChecksum), errors.Is(err, ErrLinkCorrupt), errors.Is(err, ErrLength):
		r.setHealth(false, "读卡器通信数据错误（请检查波特率和线缆）: "+err.Error())
	}
}

// Close closes the port; a Read in progress returns ErrReaderClosed.
func (r *Reader) Close() error {
	r.cmu.Lock()
	if r.closed {
		r.cmu.Unlock()
		return nil
	}
	r.closed = true
	close(r.done)
	p := r.current
	r.current = nil
	r.cmu.Unlock()
	var err error
	if p != nil {
		err = p.Close()
	}
	r.io.Lock() // wait for a Read to notice
	r.conn = nil
	r.io.Unlock()
	r.setHealth(false, "读卡器已关闭")
	return err
}

func (r *Reader) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-r.done:
		return ErrReaderClosed
	case <-t.C:
		return nil
	}
}

// Read blocks until a card newly placed on the reader has been read and its number validated, then returns
// it; a card that stays on the reader is reported once. It returns ctx.Err() when ctx ends, ErrReaderClosed
// after Close, a *kiosk.UserError (请重新放置身份证) wrapping ErrRetriesExhausted after the configured number of
// failed attempts on one placed card (the card must then be removed before it is read again), and one
// (读卡器故障) wrapping ErrModule when the SAM module reports a fault. A vanished port is reopened (see Health) while Read keeps waiting.
func (r *Reader) Read(ctx context.Context) (idcard.Card, error) {
	r.io.Lock()
	defer r.io.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	failures := 0
	var lastErr error
	for {
		if r.isClosed() {
			return idcard.Card{}, ErrReaderClosed
		}
		if err := ctx.Err(); err != nil {
			return idcard.Card{}, r.ctxErr(ctx, err)
		}
		if r.conn == nil {
			if err := r.connect(ctx); err != nil {
				if ctx.Err() != nil {
					return idcard.Card{}, r.ctxErr(ctx, ctx.Err())
				}
				if errors.Is(err, ErrModule) {
					return idcard.Card{}, err
				}
				if err := r.sleep(ctx, r.opt.Reopen); err != nil {
					return idcard.Card{}, r.ctxErr(ctx, err)
				}
				continue
			}
		}
		card, found, err := r.attempt(ctx)
		switch {
		case err == nil:
			r.present, r.misses = true, 0
			r.setHealth(true, "正常")
			r.log.Info("card read", "type", card.Type.String(), "number", idcard.MaskNumber(card.Number))
			return card, nil
		case ctx.Err() != nil:
			return idcard.Card{}, r.ctxErr(ctx, ctx.Err())
		case errors.Is(err, errNoNewCard):
			failures = 0
		case errors.Is(err, ErrIO):
			r.fail(err)
			failures = 0
			continue // reopen at once, then every Reopen interval
		case errors.Is(err, ErrModule):
			r.fail(err)
			return idcard.Card{}, readerFault(err)
		case !found:
			// No card involved yet: the link or the module misbehaves. Tell admin health; after a timeout
			// reopen the port (which resets the module). The applicant keeps waiting.
			r.fail(err)
			if errors.Is(err, ErrTimeout) && r.conn != nil {
				r.drop(r.conn)
			}
			failures = 0
		default:
			if errors.Is(err, ErrTimeout) {
				r.fail(err)
			}
			failures++
			lastErr = err
			r.log.Warn("card read failed", "attempt", failures, "err", err)
			if failures >= r.opt.Retries {
				r.present, r.misses = true, 0 // wait for the card to be removed
				return idcard.Card{}, replaceCard(lastErr)
			}
		}
		if err := r.sleep(ctx, r.opt.Interval); err != nil {
			return idcard.Card{}, r.ctxErr(ctx, err)
		}
	}
}

func (r *Reader) ctxErr(ctx context.Context, err error) error {
	if r.isClosed() {
		return ErrReaderClosed
	}
	return err
}

// errNoNewCard: no card, or the card already reported is still there.
var errNoNewCard = errors.New("sam: no new card")

// attempt runs one find; when a new card is there it selects and reads it (under io). found tells whether a
// new card answered the find (so an error is the card's, not the link's).
func (r *Reader) attempt(ctx context.Context) (card idcard.Card, found bool, err error) {
	resp, err := r.conn.Do(ctx, CmdFind, nil)
	if err != nil {
		return idcard.Card{}, false, err
	}
	clear(resp.Data)
	if err := resp.Err(CmdFind); err != nil {
		if errors.Is(err, ErrNoCard) {
			if r.present {
				// Two "no card" answers in a row: removed (one alone may be the card busy after a read).
				if r.misses++; r.misses >= 2 {
					r.present, r.misses = false, 0
				}
			}
			return idcard.Card{}, false, errNoNewCard
		}
		return idcard.Card{}, false, err
	}
	if r.present {
		r.misses = 0
		return idcard.Card{}, false, errNoNewCard
	}
	if resp, err = r.conn.Do(ctx, CmdSelect, nil); err != nil {
		return idcard.Card{}, true, err
	}
	clear(resp.Data)
	if err := resp.Err(CmdSelect); err != nil {
		return idcard.Card{}, true, err
	}
	if resp, err = r.conn.Do(ctx, CmdReadText, nil); err != nil {
		return idcard.Card{}, true, err
	}
	defer clear(resp.Data)
	if err := resp.Err(CmdReadText); err != nil {
		if errors.Is(err, ErrNoCard) {
			return idcard.Card{}, true, errNoNewCard // removed between select and read
		}
		return idcard.Card{}, true, err
	}
	card, err = DecodeReadText(resp.Data)
	if err != nil {
		return idcard.Card{}, true, err
	}
	if err := ValidateCard(card); err != nil {
		card.Wipe()
		return idcard.Card{}, true, fmt.Errorf("validate number: %w", err)
	}
	return card, true, nil
}

// DecodeReadText decodes the data of a 30 01 answer (text length, photo length, text, photo) into a Card.
// The photo is never decoded or kept; data is zeroed before DecodeReadText returns, whatever the outcome.
// Errors wrap ErrMalformed.
func DecodeReadText(data []byte) (idcard.Card, error) {
	defer clear(data)
	if len(data) < 4 {
		return idcard.Card{}, fmt.Errorf("%w: 30 01 answer of %d bytes", ErrMalformed, len(data))
	}
	tl := int(data[0])<<8 | int(data[1])
	pl := int(data[2])<<8 | int(data[3])
	if tl != TextLen || pl > PhotoLen || len(data) != 4+tl+pl {
		return idcard.Card{}, fmt.Errorf("%w: 30 01 answer: text %d, photo %d, %d bytes", ErrMalformed, tl, pl, len(data))
	}
	return DecodeText(data[4 : 4+tl])
}

// ReadTextData builds the data of a 30 01 answer from a text block and a photo (for the simulator and tests).
func ReadTextData(text, photo []byte) []byte {
	d := make([]byte, 0, 4+len(text)+len(photo))
	d = append(d, byte(len(text)>>8), byte(len(text)), byte(len(photo)>>8), byte(len(photo)))
	d = append(d, text...)
	return append(d, photo...)
}
