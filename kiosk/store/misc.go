package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Cursor returns the value of the named sync cursor, 0 when never set. Errors come from SQLite.
func (s *Store) Cursor(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, `SELECT value FROM cursors WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cursor %s: %w", name, err)
	}
	return v, nil
}

// SetCursor stores the value of the named sync cursor. Errors come from SQLite.
func (s *Store) SetCursor(ctx context.Context, name string, v int64) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetCursor(name, v) })
}

// SetCursor is Store.SetCursor inside the transaction.
func (t *Tx) SetCursor(name string, v int64) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO cursors (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, v)
	if err != nil {
		return fmt.Errorf("set cursor %s: %w", name, err)
	}
	return nil
}

// SaveConfig caches the kiosk configuration last fetched from the review service. Errors come from SQLite.
func (s *Store) SaveConfig(ctx context.Context, b []byte) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SaveConfig(b) })
}

// SaveConfig is Store.SaveConfig inside the transaction.
func (t *Tx) SaveConfig(b []byte) error {
	if b == nil {
		b = []byte{}
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO config (id, data, saved_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`, b, ns(t.s.clock.Now()))
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// LoadConfig returns the cached kiosk configuration. Errors: ErrNotFound when none is cached; SQLite errors.
func (s *Store) LoadConfig(ctx context.Context) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM config WHERE id = 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load config: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// Lockout is the admin PIN pad's lockout state.
type Lockout struct {
	Failures    int       // consecutive wrong PINs
	LockedUntil time.Time // zero when not locked
}

// Lockout returns the persisted lockout state (zero when never set). Errors come from SQLite.
func (s *Store) Lockout(ctx context.Context) (Lockout, error) {
	var (
		l     Lockout
		until int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT failures, locked_until FROM lockout WHERE id = 1`).Scan(&l.Failures, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return Lockout{}, nil
	}
	if err != nil {
		return Lockout{}, fmt.Errorf("lockout: %w", err)
	}
	l.LockedUntil = fromNS(until)
	return l, nil
}

// SetLockout persists the lockout state. Errors come from SQLite.
func (s *Store) SetLockout(ctx context.Context, l Lockout) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.SetLockout(l) })
}

// SetLockout is Store.SetLockout inside the transaction.
func (t *Tx) SetLockout(l Lockout) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO lockout (id, failures, locked_until) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
		l.Failures, ns(l.LockedUntil))
	if err != nil {
		return fmt.Errorf("set lockout: %w", err)
	}
	return nil
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID       int64
	At       time.Time
	Actor    string // "system", "admin", a staff name …
	Action   string // "unlock", "reprint", "purge", "retry_dead" …
	Receipt  string // empty when the event concerns no application
	Detail   string // never personal data
	PrevHash string // hex SHA-256 of the previous row ("" for the first)
	Hash     string // hex SHA-256 of this row, chained over PrevHash
}

// ErrAuditTampered is wrapped by VerifyAudit when the hash chain is broken.
var ErrAuditTampered = errors.New("store: audit log tampered with")

// auditHash chains a row: SHA-256 over the previous hash and the length-prefixed fields.
func auditHash(prev string, id, at int64, actor, action, receipt, detail string) string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	put := func(b []byte) {
		h.Write(buf[:binary.PutUvarint(buf[:], uint64(len(b)))])
		h.Write(b)
	}
	put([]byte("huren-audit-v1"))
	put([]byte(prev))
	put(binary.BigEndian.AppendUint64(nil, uint64(id)))
	put(binary.BigEndian.AppendUint64(nil, uint64(at)))
	for _, f := range []string{actor, action, receipt, detail} {
		put([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends an event to the audit log. detail must not hold personal data (mask it). Errors from SQLite.
func (s *Store) Audit(ctx context.Context, actor, action, receipt, detail string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Audit(actor, action, receipt, detail) })
}

// Audit is Store.Audit inside the transaction.
func (t *Tx) Audit(actor, action, receipt, detail string) error {
	var (
		lastID int64
		prev   string
	)
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&lastID, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: %w", err)
	}
	id := lastID + 1
	at := ns(t.s.clock.Now())
	h := auditHash(prev, id, at, actor, action, receipt, detail)
	_, err = t.tx.ExecContext(t.ctx, `INSERT INTO audit (id, at, actor, action, receipt, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, at, actor, action, receipt, detail, prev, h)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns up to limit entries (limit ≤ 0: 100), newest first. Errors come from SQLite.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor, action, receipt, detail, prev_hash, hash
		FROM audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Receipt, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.At = fromNS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// VerifyAudit walks the whole audit chain and returns an error wrapping ErrAuditTampered at the first row
// whose hash, link to the previous row, or id sequence is wrong (an edited, inserted or deleted row).
// Errors otherwise come from SQLite.
func (s *Store) VerifyAudit(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor, action, receipt, detail, prev_hash, hash FROM audit ORDER BY id`)
	if err != nil {
		return fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	var (
		prev   string
		wantID int64 = 1
	)
	for rows.Next() {
		var (
			id, at                                   int64
			actor, action, receipt, detail, ph, hash string
		)
		if err := rows.Scan(&id, &at, &actor, &action, &receipt, &detail, &ph, &hash); err != nil {
			return fmt.Errorf("verify audit: %w", err)
		}
		if id != wantID {
			return fmt.Errorf("verify audit: %w: row %d where %d was expected (row deleted or inserted)", ErrAuditTampered, id, wantID)
		}
		if ph != prev {
			return fmt.Errorf("verify audit: %w: row %d does not link to row %d", ErrAuditTampered, id, id-1)
		}
		if auditHash(prev, id, at, actor, action, receipt, detail) != hash {
			return fmt.Errorf("verify audit: %w: row %d was altered", ErrAuditTampered, id)
		}
		prev = hash
		wantID++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify audit: %w", err)
	}
	return nil
}
