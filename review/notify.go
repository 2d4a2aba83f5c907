package review

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	gosync "sync"
	"time"

	"huren/kiosk"
	"huren/kiosk/eligibility"
	"huren/sync/wire"
)

// SMS is one text message to an applicant.
type SMS struct {
	To      string `json:"to"`
	Receipt string `json:"receipt"`
	Text    string `json:"text"`
}

// SMSSender sends text messages (the free SMS of the work plan).
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) error
}

// ProvincePermit is the e-permit record pushed to the provincial big-data platform.
type ProvincePermit struct {
	PermitNo         string    `json:"permit_no"`
	Receipt          string    `json:"receipt"`
	IDNumber         string    `json:"id_number"`
	Name             string    `json:"name"`
	ValidFrom        string    `json:"valid_from"`
	ValidTo          string    `json:"valid_to"`
	Address          string    `json:"address"`
	Route            string    `json:"route"`
	Condition        string    `json:"condition"`
	IssuedAt         time.Time `json:"issued_at"`
	IssuingAuthority string    `json:"issuing_authority"`
}

// ProvincePusher pushes issued e-permits to the provincial platform.
type ProvincePusher interface {
	PushPermit(ctx context.Context, p ProvincePermit) error
}

// jsonl appends JSON lines to a file, fsyncing each.
type jsonl struct {
	mu   gosync.Mutex
	path string
}

func (j *jsonl) append(v any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	b := append(mustJSON(v), '\n')
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// FileSMS is the demo SMS driver: one JSON line per message.
type FileSMS struct{ j jsonl }

// NewFileSMS returns a FileSMS appending to path.
func NewFileSMS(path string) *FileSMS { return &FileSMS{jsonl{path: path}} }

// Path is the file the messages go to.
func (f *FileSMS) Path() string { return f.j.path }

// SendSMS appends m. Errors come from the file system.
func (f *FileSMS) SendSMS(ctx context.Context, m SMS) error {
	if err := f.j.append(struct {
		SMS
		At time.Time `json:"at"`
	}{m, time.Now()}); err != nil {
		return fmt.Errorf("file sms: %w", err)
	}
	return nil
}

// FileProvince is the demo provincial push driver: one JSON line per permit.
type FileProvince struct{ j jsonl }

// NewFileProvince returns a FileProvince appending to path.
func NewFileProvince(path string) *FileProvince { return &FileProvince{jsonl{path: path}} }

// Path is the file the permits go to.
func (f *FileProvince) Path() string { return f.j.path }

// PushPermit appends p. Errors come from the file system.
func (f *FileProvince) PushPermit(ctx context.Context, p ProvincePermit) error {
	if err := f.j.append(p); err != nil {
		return fmt.Errorf("file province: %w", err)
	}
	return nil
}

// HTTPPoster POSTs JSON signed with HMAC-SHA256: headers X-Huren-Timestamp and X-Huren-Signature =
// hex(HMAC(secret, timestamp "\n" hex(SHA-256(body)))). Any 2xx is success.
type HTTPPoster struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// ErrRemote is returned (wrapped) when the remote answers with a non-2xx status.
var ErrRemote = errors.New("remote refused")

func (h *HTTPPoster) post(ctx context.Context, v any) error {
	body := mustJSON(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, h.Secret)
	io.WriteString(m, ts+"\n"+wire.BodyHash(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(wire.HeaderTimestamp, ts)
	req.Header.Set(wire.HeaderSignature, hex.EncodeToString(m.Sum(nil)))
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %d: %w", h.URL, resp.StatusCode, ErrRemote)
	}
	return nil
}

// HTTPSMS sends SMS through an HTTP gateway.
type HTTPSMS struct{ HTTPPoster }

// NewHTTPSMS returns an HTTP SMS driver posting to url, signed with secret.
func NewHTTPSMS(url string, secret []byte) *HTTPSMS {
	return &HTTPSMS{HTTPPoster{URL: url, Secret: secret}}
}

// SendSMS posts m. Errors wrap ErrRemote or come from the network.
func (h *HTTPSMS) SendSMS(ctx context.Context, m SMS) error {
	if err := h.post(ctx, m); err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	return nil
}

// HTTPProvince pushes permits to the provincial platform over HTTP.
type HTTPProvince struct{ HTTPPoster }

// NewHTTPProvince returns an HTTP provincial push driver posting to url, signed with secret.
func NewHTTPProvince(url string, secret []byte) *HTTPProvince {
	return &HTTPProvince{HTTPPoster{URL: url, Secret: secret}}
}

// PushPermit posts p. Errors wrap ErrRemote or come from the network.
func (h *HTTPProvince) PushPermit(ctx context.Context, p ProvincePermit) error {
	if err := h.post(ctx, p); err != nil {
		return fmt.Errorf("province push: %w", err)
	}
	return nil
}

var (
	_ SMSSender      = (*FileSMS)(nil)
	_ SMSSender      = (*HTTPSMS)(nil)
	_ ProvincePusher = (*FileProvince)(nil)
	_ ProvincePusher = (*HTTPProvince)(nil)
)

// ---- provincial registry (pre-check) ----

// Registry looks up the provincial residence registration record of an ID number.
type Registry interface {
	Lookup(ctx context.Context, idNumber string) (wire.Precheck, error) // Known=false when there is none
}

type dbRegistry struct{ db *db }

var _ Registry = dbRegistry{}

func (r dbRegistry) Lookup(ctx context.Context, id string) (wire.Precheck, error) {
	var p wire.Precheck
	var has int
	err := r.db.row(ctx, r.db.r, `SELECT has_permit, permit_city, registered_since, months FROM registry WHERE id_number = ?`, id).
		Scan(&has, &p.PermitCity, &p.RegisteredSince, &p.Months)
	if errors.Is(err, sql.ErrNoRows) {
		return wire.Precheck{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("registry: %w", err)
	}
	p.Known, p.HasPermit = true, has != 0
	return p, nil
}

// SetRegistryRecord stores a record of the demo provincial registry. Errors come from the store.
func (s *Service) SetRegistryRecord(ctx context.Context, id string, p wire.Precheck) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.db.exec(ctx, tx, `DELETE FROM registry WHERE id_number = ?`, id); err != nil {
			return err
		}
		has := 0
		if p.HasPermit {
			has = 1
		}
		_, err := s.db.exec(ctx, tx, `INSERT INTO registry (id_number, has_permit, permit_city, registered_since, months) VALUES (?, ?, ?, ?, ?)`,
			id, has, p.PermitCity, p.RegisteredSince, p.Months)
		return err
	})
}

// reviewReasons are refusal reasons only a reviewer can find (the kiosk's rules cannot see them).
var reviewReasons = []wire.Reason{
	{Code: "material_unreadable", Message: "所提交的证明材料图像不清晰，无法核实。", Remedy: "请携带材料原件到自助终端重新拍摄提交，或到人工窗口办理。"},
	{Code: "material_mismatch", Message: "证明材料内容与申请信息不一致（如姓名、地址、有效期）。", Remedy: "请核对后提交与本人申请信息一致、在有效期内的证明材料。"},
	{Code: "registry_mismatch", Message: "省级居住登记信息与申请所填情况不符。", Remedy: "请到居住地派出所或社区核实居住登记信息后再申请。"},
}

// reasonCatalogue is the eligibility package's catalogue in wire form (refusals and notes) followed by the
// reviewer-only reasons.
func reasonCatalogue() []wire.Reason {
	var out []wire.Reason
	for _, r := range eligibility.Catalogue() {
		out = append(out, wire.Reason{Code: r.Code, Message: r.Message, Remedy: r.Remedy})
	}
	return append(out, reviewReasons...)
}

// refusalReasons is the catalogue without notes: what a reviewer may reject with.
func refusalReasons() []wire.Reason {
	var out []wire.Reason
	for _, r := range reasonCatalogue() {
		if !eligibility.IsNote(r.Code) {
			out = append(out, r)
		}
	}
	return out
}

// ---- outbox ----

const (
	outboxSMS      = "sms"
	outboxProvince = "province"
)

func (s *Service) enqueue(ctx context.Context, tx execer, kind, receipt string, payload any, now time.Time) error {
	_, err := s.db.exec(ctx, tx, `INSERT INTO outbox (kind, receipt, payload, next_at, created_at) VALUES (?, ?, ?, ?, ?)`,
		kind, receipt, mustJSON(payload), tm(now), tm(now))
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// backoff is the wait before attempt n+1: 10 s doubling up to one hour.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

type outboxRow struct {
	id       int64
	kind     string
	receipt  string
	payload  []byte
	attempts int
}

// ProcessOutbox sends every due outbox item once (SMS and provincial push) and returns how many were sent.
// Failures are rescheduled with backoff. Errors come from the store only.
func (s *Service) ProcessOutbox(ctx context.Context) (int, error) {
	now := s.now()
	var items []outboxRow
	// Claim due items by pushing their next attempt 5 minutes out (a lease against other instances).
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := s.db.query(ctx, tx, `SELECT id, kind, receipt, payload, attempts FROM outbox WHERE done_at = 0 AND next_at <= ? ORDER BY next_at, id LIMIT 50`, tm(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var it outboxRow
			if err := rows.Scan(&it.id, &it.kind, &it.receipt, &it.payload, &it.attempts); err != nil {
				rows.Close()
				return err
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, it := range items {
			if _, err := s.db.exec(ctx, tx, `UPDATE outbox SET next_at = ? WHERE id = ?`, tm(now.Add(5*time.Minute)), it.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox claim: %w", err)
	}
	sent := 0
	for _, it := range items {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s.deliver(sctx, it)
		cancel()
		if err == nil {
			_, err = s.db.exec(ctx, s.db.w, `UPDATE outbox SET done_at = ?, attempts = ?, last_error = '' WHERE id = ?`, tm(s.now()), it.attempts+1, it.id)
			if err != nil {
				return sent, fmt.Errorf("outbox done: %w", err)
			}
			sent++
			s.metrics.outboxSent.WithLabelValues(it.kind).Inc()
			continue
		}
		s.log.Warn("outbox delivery failed", "kind", it.kind, "receipt", it.receipt, "attempt", it.attempts+1, "err", err)
		s.metrics.outboxFail.WithLabelValues(it.kind).Inc()
		next := s.now().Add(backoff(it.attempts + 1))
		msg := err.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if _, err := s.db.exec(ctx, s.db.w, `UPDATE outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`, it.attempts+1, tm(next), msg, it.id); err != nil {
			return sent, fmt.Errorf("outbox retry: %w", err)
		}
	}
	return sent, nil
}

func (s *Service) deliver(ctx context.Context, it outboxRow) error {
	switch it.kind {
	case outboxSMS:
		var m SMS
		if err := json.Unmarshal(it.payload, &m); err != nil {
			return err
		}
		return s.sms.SendSMS(ctx, m)
	case outboxProvince:
		var p ProvincePermit
		if err := json.Unmarshal(it.payload, &p); err != nil {
			return err
		}
		return s.province.PushPermit(ctx, p)
	}
	return fmt.Errorf("unknown outbox kind %q", it.kind)
}

// OutboxItem is one pending notification, for the UI and tests.
type OutboxItem struct {
	ID        int64
	Kind      string
	Receipt   string
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	Done      bool
}

// Outbox lists the newest limit outbox items. Errors come from the store.
func (s *Service) Outbox(ctx context.Context, limit int) ([]OutboxItem, error) {
	rows, err := s.db.query(ctx, s.db.r, `SELECT id, kind, receipt, attempts, next_at, last_error, created_at, done_at FROM outbox ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var o OutboxItem
		var next, created, done int64
		if err := rows.Scan(&o.ID, &o.Kind, &o.Receipt, &o.Attempts, &next, &o.LastError, &created, &done); err != nil {
			return nil, err
		}
		o.NextAt, o.CreatedAt, o.Done = fromTM(next), fromTM(created), done != 0
		out = append(out, o)
	}
	return out, rows.Err()
}

// Run works in the background until ctx ends: it sends the outbox (SMS, provincial push) with retry and
// backoff and refreshes the queue, overdue and outbox-lag gauges. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.ProcessOutbox(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("outbox", "err", err)
		}
		if err := s.purgeNonces(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("nonces", "err", err)
		}
		if _, err := s.FlagOverdue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("overdue", "err", err)
		}
		if err := s.refreshGauges(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("gauges", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// QueueStats are the numbers behind the gauges.
type QueueStats struct {
	Open, Overdue, DueToday, AwaitingMaterials int
	OutboxPending                              int
	OutboxOldest                               time.Time
}

// Stats counts open work. Errors come from the store.
func (s *Service) Stats(ctx context.Context) (QueueStats, error) {
	var q QueueStats
	now := s.now()
	day := now.In(kiosk.Shanghai)
	endOfDay := time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 999999999, kiosk.Shanghai)
	err := s.db.row(ctx, s.db.r, `SELECT
		COALESCE(SUM(CASE WHEN state IN ('accepted','in_review') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('accepted','in_review') AND due_at < ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('accepted','in_review') AND due_at >= ? AND due_at <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('awaiting_materials','received') THEN 1 ELSE 0 END), 0)
		FROM applications`, tm(now), tm(now), tm(endOfDay)).Scan(&q.Open, &q.Overdue, &q.DueToday, &q.AwaitingMaterials)
	if err != nil {
		return q, fmt.Errorf("stats: %w", err)
	}
	var oldest int64
	if err := s.db.row(ctx, s.db.r, `SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM outbox WHERE done_at = 0`).Scan(&q.OutboxPending, &oldest); err != nil {
		return q, fmt.Errorf("stats: %w", err)
	}
	q.OutboxOldest = fromTM(oldest)
	return q, nil
}

func (s *Service) refreshGauges(ctx context.Context) error {
	q, err := s.Stats(ctx)
	if err != nil {
		return err
	}
	s.metrics.queue.Set(float64(q.Open))
	s.metrics.overdue.Set(float64(q.Overdue))
	lag := 0.0
	if !q.OutboxOldest.IsZero() {
		lag = s.now().Sub(q.OutboxOldest).Seconds()
	}
	s.metrics.outboxLag.Set(lag)
	s.metrics.outboxPending.Set(float64(q.OutboxPending))
	return nil
}

// VerifyPosterSignature checks the signature an HTTPPoster puts on body (for receivers and tests).
func VerifyPosterSignature(secret []byte, timestamp string, body []byte, sigHex string) bool {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, timestamp+"\n"+wire.BodyHash(body))
	want := m.Sum(nil)
	got, err := hex.DecodeString(sigHex)
	return err == nil && hmac.Equal(want, got)
}

// FlagOverdue marks open applications past their due time (once each), audits and logs them, and returns
// how many it newly flagged. The queue highlights them whether flagged yet or not. Errors come from the store.
func (s *Service) FlagOverdue(ctx context.Context) (int, error) {
	now := s.now()
	var receipts []string
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := s.db.query(ctx, tx, `SELECT receipt FROM applications WHERE state IN ('accepted','in_review') AND due_at < ? AND overdue_at = 0 ORDER BY due_at LIMIT 1000`, tm(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return err
			}
			receipts = append(receipts, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range receipts {
			if _, err := s.db.exec(ctx, tx, `UPDATE applications SET overdue_at = ? WHERE receipt = ?`, tm(now), r); err != nil {
				return err
			}
			if err := s.auditTx(ctx, tx, "system", "sla.overdue", r, "past the 2-working-day deadline"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("flag overdue: %w", err)
	}
	for _, r := range receipts {
		s.log.Warn("application overdue", "receipt", r)
	}
	return len(receipts), nil
}
