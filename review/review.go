// Package review is Huren's central review service: the kiosk intake API of protocol v1 (package sync/wire),
// the working-day SLA workflow, the reviewer web UI, the notification outbox (SMS, provincial push) and the
// public status page. One store schema runs on SQLite (default) and PostgreSQL.
package review

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"huren/kiosk"
	"huren/kiosk/workday"
	"huren/sync/wire"
)

// Options configure Open.
type Options struct {
	DB        string // SQLite file path (default ./huren-review.db) or postgres://…
	DataDir   string // blobs/ and server.key live here (default: the SQLite file's folder, else ./huren-review-data)
	PublicURL string // base of status links, e.g. https://huren.example.gov.cn
	Clock     kiosk.Clock
	Calendar  *workday.Calendar
	Logger    *slog.Logger
	SMS       SMSSender      // nil: a FileSMS at DataDir/sms.jsonl
	Province  ProvincePusher // nil: a FileProvince at DataDir/province.jsonl

	// Additions beyond the contract.
	Registry   Registry // provincial registration records; nil: the demo table filled by DemoSeed
	KeyFile    string   // server key (32 bytes, 0600) that encrypts kiosk secrets at rest; default DataDir/server.key
	StatusRate float64  // status lookups per second per client address (burst 4×, at least 1); 0 = 10, negative = unlimited
	// StatusCache is how long a status answer may be served from memory (each change made by this process
	// drops it at once; the TTL bounds staleness between instances sharing PostgreSQL). 0 = 1 s, negative = off.
	StatusCache time.Duration
	// NoticeVersion is the notice-and-commitment text version handed to kiosks (default "2023-1").
	NoticeVersion string
}

// Service is the running review service. Create it with Open; it is safe for concurrent use.
type Service struct {
	o        Options
	db       *db
	blobs    *blobStore
	cal      *workday.Calendar
	log      *slog.Logger
	clock    kiosk.Clock
	sms      SMSSender
	province ProvincePusher
	registry Registry
	key      []byte
	nonces   *nonceCache
	limiter  *rateLimiter
	metrics  *metrics
	handler  http.Handler
	web      *web
	cache    *statusCache
	// statusStmt is the prepared hot query of status lookups.
	statusStmt *sql.Stmt
	closeMu    gosync.Mutex
	closed     bool
}

// Open opens (and migrates) the store, the blob store and the server key, creating what is missing.
// Errors come from the database, the file system or a malformed key file.
func Open(ctx context.Context, o Options) (*Service, error) {
	if o.DB == "" {
		o.DB = "./huren-review.db"
	}
	if o.DataDir == "" {
		if isPostgresDSN(o.DB) {
			o.DataDir = "./huren-review-data"
		} else {
			o.DataDir = filepath.Join(filepath.Dir(o.DB), "huren-review-data")
		}
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.Calendar == nil {
		o.Calendar = workday.Default()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:8443"
	}
	if o.NoticeVersion == "" {
		o.NoticeVersion = "2023-1"
	}
	if o.KeyFile == "" {
		o.KeyFile = filepath.Join(o.DataDir, "server.key")
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, err := loadOrCreateKey(o.KeyFile)
	if err != nil {
		return nil, err
	}
	blobs, err := newBlobStore(filepath.Join(o.DataDir, "blobs"), key)
	if err != nil {
		return nil, err
	}
	d, err := openDB(ctx, o.DB)
	if err != nil {
		return nil, err
	}
	s := &Service{
		o: o, db: d, blobs: blobs, cal: o.Calendar, log: o.Logger, clock: o.Clock, key: key,
		sms: o.SMS, province: o.Province, registry: o.Registry,
		nonces: newNonceCache(),
	}
	if s.sms == nil {
		s.sms = NewFileSMS(filepath.Join(o.DataDir, "sms.jsonl"))
	}
	if s.province == nil {
		s.province = NewFileProvince(filepath.Join(o.DataDir, "province.jsonl"))
	}
	if s.registry == nil {
		s.registry = dbRegistry{s.db}
	}
	rate := o.StatusRate
	if rate == 0 {
		rate = 10
	}
	if s.statusStmt, err = d.r.PrepareContext(ctx, d.rb(statusQuery)); err != nil {
		d.close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	ttl := o.StatusCache
	if ttl == 0 {
		ttl = time.Second
	}
	s.cache = newStatusCache(ttl, 100000)
	s.limiter = newRateLimiter(rate, max(4*rate, 1))
	s.metrics = newMetrics(s)
	if s.web, err = newWeb(s); err != nil {
		d.close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Close closes the store. It is safe to call more than once.
func (s *Service) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.statusStmt.Close()
	return s.db.close()
}

// Handler serves /api/v1/…, /s/…, the reviewer UI under /review/, /healthz and /metrics.
func (s *Service) Handler() http.Handler { return s.handler }

func (s *Service) now() time.Time { return s.clock.Now() }

// loadOrCreateKey reads the 32-byte server key, creating it (0600) when missing.
func loadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("server key %s: want 32 bytes, have %d", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("server key: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process made it first
			return loadOrCreateKey(path)
		}
		return nil, fmt.Errorf("server key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("server key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("server key: %w", err)
	}
	return b, f.Close()
}

// seal encrypts with AES-256-GCM under the server key, id as associated data (a kiosk id for kiosk secrets,
// manifestAD(receipt) for manifests).
func (s *Service) seal(id string, secret []byte) ([]byte, error) {
	blk, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return g.Seal(nonce, nonce, secret, []byte(id)), nil
}

func (s *Service) open(id string, enc []byte) ([]byte, error) {
	blk, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	if len(enc) < g.NonceSize() {
		return nil, errors.New("short ciphertext")
	}
	return g.Open(nil, enc[:g.NonceSize()], enc[g.NonceSize():], []byte(id))
}

var kioskIDRe = regexp.MustCompile(`^K[0-9]{3}$`)

// ErrKioskID is returned (wrapped) by AddKiosk for an id that is not K followed by three digits (K001…K999).
var ErrKioskID = errors.New("kiosk id must be K followed by 3 digits (K001…K999)")

// ErrExists is returned (wrapped) when a kiosk or reviewer of that name already exists.
var ErrExists = errors.New("already exists")

// kioskNo is the receipt kiosk number of id (K007 → 7).
func kioskNo(id string) int {
	if !kioskIDRe.MatchString(id) {
		return 0
	}
	n, _ := strconv.Atoi(id[1:])
	return n
}

// AddKiosk registers kiosk id (K001…K999) and returns its new secret as 64 hex characters (shown once). The
// secret is kept encrypted under the server key so requests can be verified. Errors wrap ErrKioskID or
// ErrExists, or come from the store.
func (s *Service) AddKiosk(ctx context.Context, id, name string) (string, error) {
	if kioskNo(id) == 0 {
		return "", fmt.Errorf("add kiosk %q: %w", id, ErrKioskID)
	}
	secret := make([]byte, wire.SecretLen)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("add kiosk: %w", err)
	}
	enc, err := s.seal(id, secret)
	if err != nil {
		return "", fmt.Errorf("add kiosk: %w", err)
	}
	err = s.db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := s.db.row(ctx, tx, `SELECT COUNT(*) FROM kiosks WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		if _, err := s.db.exec(ctx, tx, `INSERT INTO kiosks (id, name, secret_enc, created_at) VALUES (?, ?, ?, ?)`,
			id, name, enc, tm(s.now())); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, "admin", "kiosk.add", "", id)
	})
	if err != nil {
		return "", fmt.Errorf("add kiosk %s: %w", id, err)
	}
	return hex.EncodeToString(secret), nil
}

// KioskInfo is one kiosk of the fleet.
type KioskInfo struct {
	ID, Name     string
	Disabled     bool
	CreatedAt    time.Time
	LastSeen     time.Time
	Version      string
	QueueDepth   int
	Dead         int
	OldestUnsent time.Duration
	Devices      []wire.DeviceHealth
	Offline      bool // no heartbeat for 10 minutes
}

// Kiosks lists every kiosk. Errors come from the store.
func (s *Service) Kiosks(ctx context.Context) ([]KioskInfo, error) {
	rows, err := s.db.query(ctx, s.db.r, `SELECT id, name, disabled, created_at, last_seen, version, queue_depth, dead, oldest_unsent, devices FROM kiosks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list kiosks: %w", err)
	}
	defer rows.Close()
	var out []KioskInfo
	now := s.now()
	for rows.Next() {
		var k KioskInfo
		var dis int
		var created, seen, oldest int64
		var devices string
		if err := rows.Scan(&k.ID, &k.Name, &dis, &created, &seen, &k.Version, &k.QueueDepth, &k.Dead, &oldest, &devices); err != nil {
			return nil, fmt.Errorf("list kiosks: %w", err)
		}
		k.Disabled = dis != 0
		k.CreatedAt, k.LastSeen = fromTM(created), fromTM(seen)
		k.OldestUnsent = time.Duration(oldest) * time.Second
		_ = jsonUnmarshal([]byte(devices), &k.Devices)
		k.Offline = k.LastSeen.IsZero() || now.Sub(k.LastSeen) > 10*time.Minute
		out = append(out, k)
	}
	return out, rows.Err()
}

// DisableKiosk stops kiosk id from authenticating. Errors wrap ErrNotFound or come from the store.
func (s *Service) DisableKiosk(ctx context.Context, id string) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := s.db.exec(ctx, tx, `UPDATE kiosks SET disabled = 1 WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("disable kiosk: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("disable kiosk %s: %w", id, ErrNotFound)
		}
		return s.auditTx(ctx, tx, "admin", "kiosk.disable", "", id)
	})
}

// kioskSecret returns the secret of an enabled kiosk, or ErrNotFound.
func (s *Service) kioskSecret(ctx context.Context, id string) ([]byte, error) {
	var enc []byte
	var dis int
	err := s.db.row(ctx, s.db.r, `SELECT secret_enc, disabled FROM kiosks WHERE id = ?`, id).Scan(&enc, &dis)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && dis != 0) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.open(id, enc)
}

// AddReviewer adds a reviewer with an argon2id password hash. The password must have at least 8 characters.
// Errors wrap ErrExists or come from the store.
func (s *Service) AddReviewer(ctx context.Context, name, password string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 {
		return errors.New("add reviewer: name must be 1 to 64 bytes")
	}
	if len([]rune(password)) < 8 {
		return errors.New("add reviewer: password must have at least 8 characters")
	}
	h := hashPassword(password)
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := s.db.row(ctx, tx, `SELECT COUNT(*) FROM reviewers WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("add reviewer: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("add reviewer %s: %w", name, ErrExists)
		}
		if _, err := s.db.exec(ctx, tx, `INSERT INTO reviewers (name, hash, created_at) VALUES (?, ?, ?)`, name, h, tm(s.now())); err != nil {
			return fmt.Errorf("add reviewer: %w", err)
		}
		return s.auditTx(ctx, tx, "admin", "reviewer.add", "", name)
	})
}

// SetStaffPIN sets the admin-mode PIN of a kiosk staff member (argon2id), handed to kiosks with their config.
// Errors come from the store.
func (s *Service) SetStaffPIN(ctx context.Context, staff, pin string) error {
	h := hashPassword(pin)
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.db.exec(ctx, tx, `DELETE FROM staff_pins WHERE staff = ?`, staff); err != nil {
			return err
		}
		if _, err := s.db.exec(ctx, tx, `INSERT INTO staff_pins (staff, hash) VALUES (?, ?)`, staff, h); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, "admin", "staff_pin.set", "", staff)
	})
}

// auditTx appends one audit entry inside tx.
func (s *Service) auditTx(ctx context.Context, tx execer, actor, action, receipt, detail string) error {
	_, err := s.db.exec(ctx, tx, `INSERT INTO audit (at, actor, action, receipt, detail) VALUES (?, ?, ?, ?, ?)`,
		tm(s.now()), actor, action, receipt, detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID                             int64
	At                             time.Time
	Actor, Action, Receipt, Detail string
}

// AuditLog returns the newest limit entries. Errors come from the store.
func (s *Service) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.db.query(ctx, s.db.r, `SELECT id, at, actor, action, receipt, detail FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Receipt, &e.Detail); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = fromTM(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EnsureKiosk is AddKiosk for embedded (demo) use: when kiosk id already exists it returns its current
// secret instead of failing, so a demo that restarts keeps working. Errors are AddKiosk's, or ErrNotFound when
// the kiosk exists but is disabled.
func (s *Service) EnsureKiosk(ctx context.Context, id, name string) (string, error) {
	secret, err := s.AddKiosk(ctx, id, name)
	if !errors.Is(err, ErrExists) {
		return secret, err
	}
	b, err := s.kioskSecret(ctx, id)
	if err != nil {
		return "", fmt.Errorf("kiosk %s: %w", id, err)
	}
	return hex.EncodeToString(b), nil
}
