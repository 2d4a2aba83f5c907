// Package store is the kiosk's local queue: a single SQLite file (WAL, synchronous=FULL) holding every
// submitted application with its materials until the review service has it, the delivery outbox, the
// hash-chained audit log, the admin PIN lockout, the cached kiosk configuration and sync cursors.
//
// Durability: an application, all its materials and its outbox row are committed in one transaction, and
// Submit returns only after that commit is on disk. Receipt sequence numbers are taken from a per-day
// counter inside the same transaction, so a crash can neither lose nor duplicate a number.
//
// Privacy: every personal field (the whole application manifest), every material and every delivery error
// text is sealed with AES-256-GCM under a per-kiosk 32-byte key file (mode 0600), the receipt number as
// associated data. Only receipt numbers, states, kinds, sizes, hashes and times are stored in clear.
// After a final decision and the retention delay, Purge deletes personal data and materials; the
// connection runs with secure_delete so freed pages are zeroed.
//
// Connections: one writer (IMMEDIATE transactions, so writers never deadlock on lock upgrades), a small
// query-only read pool, and a background checkpointer that copies the WAL into the database file while
// the kiosk is idle. Callers that must combine several writes atomically use Update and the methods of Tx.
package store

import (
	"context"
	"crypto/cipher"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	gosync "sync"

	"golang.org/x/sys/unix"

	"github.com/mattn/go-sqlite3"

	"huren/kiosk"
)

// DownstreamReview names the outbox of deliveries to the review service.
const DownstreamReview = "review"

// Defaults for Options.
const (
	DefaultMaxUnsent    = 200
	DefaultMinFreeBytes = 500 << 20
	DefaultRetention    = 7 * 24 * time.Hour
	busyTimeoutMillis   = 10000
	readPoolSize        = 4

	// pageSize is set when the file is created: 64 KiB pages keep a material's overflow chain short
	// (fewer WAL frames and write calls per submit). Existing files keep their page size.
	pageSize = 65536
	// walCheckpointBytes: the background checkpointer copies the WAL into the database once it is this
	// large, or after checkpointIdle without writes, whichever comes first; SQLite's own auto-checkpoint
	// (run inside a commit) is only the safety net at walAutoCheckpointBytes.
	walCheckpointBytes     = 64 << 20
	walAutoCheckpointBytes = 256 << 20
	checkpointIdle         = time.Second
)

// Per-connection settings that have no DSN parameter, run by the drivers' connect hooks.
//   - cache_spill=OFF: a submit's pages (several MiB) stay in the page cache until the commit instead of
//     being spilled to the WAL mid-transaction and read back; cache_size is the cache kept between
//     transactions (bounded memory on a kiosk).
//   - journal_size_limit: the WAL file is truncated back to this size after a checkpoint resets it.
const (
	writerPragmas = `PRAGMA cache_spill = OFF; PRAGMA cache_size = -8192; PRAGMA journal_size_limit = 67108864;`
	readerPragmas = `PRAGMA cache_size = -2048;`
)

var registerDrivers = gosync.OnceFunc(func() {
	hook := func(pragmas string, autockpt bool) func(c *sqlite3.SQLiteConn) error {
		return func(c *sqlite3.SQLiteConn) error {
			if _, err := c.Exec(pragmas, nil); err != nil {
				return fmt.Errorf("connection settings: %w", err)
			}
			if autockpt {
				rows, err := c.Query("PRAGMA page_size", nil)
				if err != nil {
					return fmt.Errorf("connection settings: %w", err)
				}
				dest := []driver.Value{nil}
				err = rows.Next(dest)
				_ = rows.Close()
				ps, ok := dest[0].(int64)
				if err != nil || !ok || ps <= 0 {
					return fmt.Errorf("connection settings: page size: %v", err)
				}
				if _, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walAutoCheckpointBytes/ps), nil); err != nil {
					return fmt.Errorf("connection settings: %w", err)
				}
			}
			return nil
		}
	}
	sql.Register(driverWriter, &sqlite3.SQLiteDriver{ConnectHook: hook(writerPragmas, true)})
	sql.Register(driverReader, &sqlite3.SQLiteDriver{ConnectHook: hook(readerPragmas, false)})
})

const (
	driverWriter = "huren-sqlite3-writer"
	driverReader = "huren-sqlite3-reader"
)

// Errors returned (possibly wrapped) by the store. Classify them with errors.Is.
var (
	// ErrNotFound: no such application, outbox row, or cached configuration.
	ErrNotFound = errors.New("store: not found")
	// ErrPurged: the application was decided and its personal data and materials were deleted.
	ErrPurged = errors.New("store: personal data purged after the decision")
	// ErrNoWork: nothing in the outbox is due.
	ErrNoWork = errors.New("store: no outbox work due")
	// ErrCorrupt: stored data could not be decrypted or did not match its hash (wrong key, tampering).
	ErrCorrupt = errors.New("store: stored data failed to decrypt or verify")
	// ErrKey: the key file is missing, of the wrong size, readable by others, or not this database's key.
	ErrKey = errors.New("store: bad key file")
	// ErrDamaged: PRAGMA integrity_check did not answer "ok" at open.
	ErrDamaged = errors.New("store: database integrity check failed")
)

// Options configure Open.
type Options struct {
	Path         string        // SQLite file; its folder is created (0700) if missing
	KeyFile      string        // 32-byte AES key, mode 0600 or stricter (see CreateKey)
	KioskNo      int           // 1..999, part of every receipt number
	Clock        kiosk.Clock   // nil: kiosk.SystemClock
	MaxUnsent    int           // CanAccept refuses when more are unsent; 0: 200; negative: no limit
	MinFreeBytes int64         // CanAccept refuses below this free space; 0: 500 MB; negative: no limit
	Retention    time.Duration // how long personal data stays after a final decision; 0: 7 days

	// FreeSpace reports the bytes available to the kiosk in dir. nil: statfs(2). Tests inject their own.
	FreeSpace func(dir string) (int64, error)
	// Logger for store events (never personal data); nil: slog.Default().
	Logger *slog.Logger
}

// Store is the kiosk's local queue. It is safe for concurrent use.
type Store struct {
	o       Options
	clock   kiosk.Clock
	log     *slog.Logger
	dir     string
	w       *sql.DB // the one writer connection
	r       *sql.DB // read pool
	c       *sql.DB // the checkpointer's connection (copies the WAL into the database; no transactions)
	aead    cipher.AEAD
	damaged error // non-nil when integrity_check failed at open

	kick      chan struct{} // a write committed: the checkpointer may have work
	stop      chan struct{}
	ckptDone  chan struct{}
	closeOnce gosync.Once
	closeErr  error
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// dsn builds the connection string: the settings every connection gets. write selects the writer's
// IMMEDIATE transactions (the read pool adds _query_only).
func dsn(path string, write bool) string {
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_synchronous", "FULL")
	v.Set("_fk", "on")
	v.Set("_busy_timeout", strconv.Itoa(busyTimeoutMillis))
	v.Set("_secure_delete", "on")
	if write {
		v.Set("_txlock", "immediate")
	} else {
		v.Set("_txlock", "deferred")
	}
	return path + "?" + v.Encode()
}

// Open opens (creating if needed) the store at o.Path with the key in o.KeyFile, applies pending migrations
// and runs PRAGMA integrity_check. A failed integrity check does not fail Open (so admin mode can show it);
// it makes CanAccept and Submit refuse, and Damaged report it. Errors: ErrKey (wrapped) for a bad key file;
// others wrap the SQLite error.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" || strings.ContainsRune(o.Path, '?') {
		return nil, fmt.Errorf("open store: bad path %q", o.Path)
	}
	if o.KioskNo < 1 || o.KioskNo > 999 {
		return nil, fmt.Errorf("open store: kiosk number %d not in 1..999", o.KioskNo)
	}
	if o.Clock == nil {
		o.Clock = kiosk.SystemClock{}
	}
	if o.MaxUnsent == 0 {
		o.MaxUnsent = DefaultMaxUnsent
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = DefaultMinFreeBytes
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.FreeSpace == nil {
		o.FreeSpace = StatfsFree
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	aead, err := loadKey(o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	dir := filepath.Dir(o.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := createFile(ctx, o.Path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	registerDrivers()

	s := &Store{o: o, clock: o.Clock, log: o.Logger, dir: dir, aead: aead,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), ckptDone: make(chan struct{})}
	s.w, err = sql.Open(driverWriter, dsn(o.Path, true))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.checkSettings(ctx); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.damaged = s.integrityCheck(ctx)
	if err := s.migrate(ctx); err != nil {
		if s.damaged == nil {
			_ = s.w.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
		s.damaged = fmt.Errorf("%w; migrate: %v", s.damaged, err)
	}
	if err := s.checkKey(ctx); err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.damaged != nil {
		s.log.Error("store damaged: refusing new applications", "path", o.Path, "err", s.damaged)
	}
	s.r, err = sql.Open(driverReader, dsn(o.Path, false)+"&_query_only=on")
	if err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.r.SetMaxOpenConns(readPoolSize)
	s.r.SetMaxIdleConns(readPoolSize)
	s.c, err = sql.Open("sqlite3", dsn(o.Path, false))
	if err != nil {
		_ = s.r.Close()
		_ = s.w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.c.SetMaxOpenConns(1)
	s.c.SetMaxIdleConns(1)
	go s.checkpointer()
	if err := s.r.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open store: read pool: %w", err)
	}
	return s, nil
}

const keyCheckAD, keyCheckText = "key_check", "huren kiosk store key check v1"

// checkKey verifies that the key opens the database's key-check box (made on first open), so that a
// store is never used with another kiosk's key. Errors wrap ErrKey on a mismatch. A damaged store skips
// the check when the meta table cannot be read (admin must still see it).
func (s *Store) checkKey(ctx context.Context) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error {
		var box []byte
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&box)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('key_check', ?)`,
				s.seal([]byte(keyCheckText), keyCheckAD))
			return err
		case err != nil:
			if s.damaged != nil {
				return nil
			}
			return err
		}
		if p, err := s.open(box, keyCheckAD); err != nil || string(p) != keyCheckText {
			return fmt.Errorf("%w: the key file does not belong to this database", ErrKey)
		}
		return nil
	})
}

// createFile creates the database file (mode 0600, which SQLite passes on to the -wal and -shm files)
// with the store's page size and WAL mode, unless it already has content.
func createFile(ctx context.Context, path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	_ = f.Close()
	if err != nil || st.Size() > 0 {
		return err
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		return err
	}
	defer db.Close()
	// page_size only takes effect before the first write; journal_mode=WAL is that first write.
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL;", pageSize)); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// checkpointer copies the WAL into the database file in the background (PASSIVE: it never blocks a
// writer or reader) after checkpointIdle without writes or as soon as the WAL exceeds walCheckpointBytes,
// so a submit normally pays for one WAL append and one fsync only.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	for {
		select {
		case <-s.stop:
			idle.Stop()
			return
		case <-s.kick:
			if st, err := os.Stat(s.o.Path + "-wal"); err == nil && st.Size() >= walCheckpointBytes {
				s.checkpoint()
				continue
			}
			idle.Reset(checkpointIdle)
		case <-idle.C:
			s.checkpoint()
		}
	}
}

func (s *Store) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := s.Checkpoint(ctx); err != nil {
		s.log.Warn("store checkpoint failed", "err", err)
	}
}

// Checkpoint copies everything in the WAL into the database file now (PASSIVE: it blocks neither readers
// nor the writer) and reports how many WAL frames there were and how many are now in the database. After a
// complete copy it makes a tiny write so SQLite restarts the WAL from its beginning now: the restart
// writes and fsyncs a new WAL header, and that fsync is then paid here, while the kiosk is idle, instead
// of by the next applicant's submit. The background checkpointer calls it; errors come from SQLite.
func (s *Store) Checkpoint(ctx context.Context) (walFrames, checkpointed int, err error) {
	var busy int
	err = s.c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &checkpointed)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %w", err)
	}
	if busy == 0 && walFrames > 0 && checkpointed == walFrames {
		err := s.writeTxQuiet(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('checkpoint_at', ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value`, []byte(strconv.FormatInt(s.clock.Now().Unix(), 10)))
			return err
		})
		if err != nil {
			return walFrames, checkpointed, fmt.Errorf("checkpoint: restart wal: %w", err)
		}
	}
	return walFrames, checkpointed, nil
}

// checkSettings verifies the DSN settings really took on the writer connection (WAL in particular:
// journal_mode silently stays on the old mode when it cannot change).
func (s *Store) checkSettings(ctx context.Context) error {
	checks := []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"},
		{"foreign_keys", "1"},
		{"secure_delete", "1"},
	}
	for _, c := range checks {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			return fmt.Errorf("check %s: %w", c.pragma, err)
		}
		if strings.ToLower(got) != c.want {
			return fmt.Errorf("check %s: got %q, want %q", c.pragma, got, c.want)
		}
	}
	return nil
}

// integrityCheck runs PRAGMA integrity_check and returns nil when it answers "ok", else an error wrapping
// ErrDamaged with (the first lines of) SQLite's findings.
func (s *Store) integrityCheck(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if len(lines) < 5 {
			lines = append(lines, l)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(lines) == 1 && lines[0] == "ok" {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrDamaged, strings.Join(lines, "; "))
}

// IntegrityCheck runs PRAGMA integrity_check now. It returns nil when SQLite answers "ok", else an error
// wrapping ErrDamaged.
func (s *Store) IntegrityCheck(ctx context.Context) error { return s.integrityCheck(ctx) }

// Damaged returns the integrity-check failure found at Open (wrapping ErrDamaged), or nil. Admin mode shows it.
func (s *Store) Damaged() error { return s.damaged }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := filepath.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with NNNN_", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migration %d defined twice", ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies every embedded migration not yet recorded, each in one transaction with its record.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var maxApplied int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&maxApplied); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(ms) > 0 && maxApplied > ms[len(ms)-1].version {
		return fmt.Errorf("migrate: database schema %d is newer than this program's %d", maxApplied, ms[len(ms)-1].version)
	}
	for _, m := range ms {
		err := s.writeTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, ns(s.clock.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

// Close stops the checkpointer and closes the connection pools (the last close checkpoints the WAL
// into the database file). It is safe to call more than once; do not call other methods after it.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.ckptDone
		var errs []error
		for _, db := range []*sql.DB{s.c, s.r, s.w} {
			if db != nil {
				errs = append(errs, db.Close())
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// writeTx runs fn in one IMMEDIATE transaction on the writer connection and commits it (durably:
// synchronous=FULL). fn's error rolls it back and is returned as is.
func (s *Store) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.writeTxQuiet(ctx, fn); err != nil {
		return err
	}
	select { // wake the checkpointer
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// writeTxQuiet is writeTx without waking the checkpointer (for the checkpointer's own write).
func (s *Store) writeTxQuiet(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// StatfsFree returns the bytes available to unprivileged users in the file system holding dir.
func StatfsFree(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Backlog messages (Chinese first); the cause is wrapped for staff.
const (
	backlogZh = "暂停受理，请联系工作人员"
	backlogEn = "New applications are paused. Please ask a member of staff."
)

// CanAccept reports whether the kiosk may take a new application: nil, or a *kiosk.UserError wrapping
// kiosk.ErrBacklog (and the cause) when the store is damaged, more than MaxUnsent applications are unsent
// (queued or dead), or the data folder has less than MinFreeBytes free.
func (s *Store) CanAccept(ctx context.Context) error {
	if s.damaged != nil {
		return &kiosk.UserError{
			Zh:  backlogZh + "（本机数据存储检查未通过）。",
			En:  backlogEn + " (The local data store failed its integrity check.)",
			Err: fmt.Errorf("%w: %w", kiosk.ErrBacklog, s.damaged),
		}
	}
	if s.o.MaxUnsent > 0 {
		var unsent int
		err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE downstream = ? AND state IN ('pending', 'dead')`,
			DownstreamReview).Scan(&unsent)
		if err != nil {
			return fmt.Errorf("can accept: %w", err)
		}
		if unsent > s.o.MaxUnsent {
			return &kiosk.UserError{
				Zh:  backlogZh + "（待上传的申请过多，网络恢复后即可继续办理）。",
				En:  backlogEn + " (Too many applications are waiting to be uploaded.)",
				Err: fmt.Errorf("%w: %d unsent applications, limit %d", kiosk.ErrBacklog, unsent, s.o.MaxUnsent),
			}
		}
	}
	if s.o.MinFreeBytes > 0 {
		free, err := s.o.FreeSpace(s.dir)
		if err != nil {
			return &kiosk.UserError{
				Zh:  backlogZh + "（无法检查本机存储空间）。",
				En:  backlogEn + " (The free disk space cannot be checked.)",
				Err: fmt.Errorf("%w: %w", kiosk.ErrBacklog, err),
			}
		}
		if free < s.o.MinFreeBytes {
			return &kiosk.UserError{
				Zh:  backlogZh + "（本机存储空间不足）。",
				En:  backlogEn + " (The kiosk's disk is nearly full.)",
				Err: fmt.Errorf("%w: %d bytes free in %s, need %d", kiosk.ErrBacklog, free, s.dir, s.o.MinFreeBytes),
			}
		}
	}
	return nil
}

// ns converts a time to the stored form (Unix nanoseconds; 0 for the zero time).
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNS converts the stored form back (the zero time for 0), in Asia/Shanghai.
func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).In(kiosk.Shanghai)
}
