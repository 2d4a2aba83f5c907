package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	gosync "sync"
	"sync/atomic"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// Item is one queued or delivered application as admin mode lists it: masked, no material bytes.
type Item struct {
	Receipt      kiosk.Receipt
	State        kiosk.State
	Attempts     int
	LastError    string
	MaskedName   string // empty once purged
	MaskedNumber string // empty once purged
	Purged       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	NextAttempt  time.Time // zero unless waiting for (re)delivery
	AcceptedAt   time.Time
	DueAt        time.Time
}

// Counts summarises the queue for admin mode and the heartbeat.
type Counts struct {
	Queued       int       // waiting for delivery to the review service
	Dead         int       // delivery given up; staff may retry
	Delivered    int       // the review service has them, no final decision yet
	Decided      int       // approved or rejected
	OldestUnsent time.Time // created-at of the oldest queued or dead application; zero if none
}

// dayKey is the receipt day as stored: YYYY-MM-DD in Asia/Shanghai.
func dayKey(t time.Time) string { return t.In(kiosk.Shanghai).Format("2006-01-02") }

// Submit commits a (its materials as blobs, and an outbox row for the review service) in one durable
// transaction and returns it with Receipt (this kiosk, today in Shanghai, the next daily sequence number)
// and CreatedAt (the store's clock) set and every material's SHA256 and Size filled in. It returns only
// after the commit is on disk. a.StatusToken must be set. Errors: a *kiosk.UserError wrapping
// kiosk.ErrBacklog when the store is damaged; an error for a material whose given SHA256 or Size does not
// match its data, for an exhausted daily sequence (9999), and SQLite errors (nothing is stored then).
func (s *Store) Submit(ctx context.Context, a kiosk.Application) (kiosk.Application, error) {
	var out kiosk.Application
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.Submit(a)
		return err
	})
	if err != nil {
		return kiosk.Application{}, err
	}
	return out, nil
}

// Submit is Store.Submit inside the caller's transaction; durability comes with Update's commit.
func (t *Tx) Submit(a kiosk.Application) (kiosk.Application, error) {
	s, ctx, tx := t.s, t.ctx, t.tx
	if s.damaged != nil {
		return kiosk.Application{}, s.CanAccept(ctx)
	}
	if a.StatusToken == "" {
		return kiosk.Application{}, errors.New("submit: status token not set")
	}
	mats := make([]kiosk.Material, len(a.Materials))
	copy(mats, a.Materials)
	sums := make([]string, len(mats))
	parallel(len(mats), func(i int) {
		sum := sha256.Sum256(mats[i].Data)
		sums[i] = hex.EncodeToString(sum[:])
	})
	for i := range mats {
		m := &mats[i]
		h := sums[i]
		if m.SHA256 == "" {
			m.SHA256 = h
		} else if m.SHA256 != h {
			return kiosk.Application{}, fmt.Errorf("submit: material %d (%s page %d): sha256 does not match its data", i, m.Kind, m.Page)
		}
		if m.Size == 0 {
			m.Size = int64(len(m.Data))
		} else if m.Size != int64(len(m.Data)) {
			return kiosk.Application{}, fmt.Errorf("submit: material %d (%s page %d): size %d, data %d bytes", i, m.Kind, m.Page, m.Size, len(m.Data))
		}
	}
	a.Materials = mats
	now := s.clock.Now()
	a.CreatedAt = now
	day := dayKey(now)

	var seq int
	err := tx.QueryRowContext(ctx, `INSERT INTO day_counters (kiosk, day, seq) VALUES (?, ?, 1)
		ON CONFLICT (kiosk, day) DO UPDATE SET seq = seq + 1 RETURNING seq`, s.o.KioskNo, day).Scan(&seq)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("submit: next sequence: %w", err)
	}
	if seq > 9999 {
		return kiosk.Application{}, fmt.Errorf("submit: daily receipt sequence exhausted (%d on %s)", seq, day)
	}
	a.Receipt = kiosk.NewReceipt(s.o.KioskNo, now, seq)
	rs := a.Receipt.String()

	manifest, err := marshalManifest(a)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("submit: %w", err)
	}
	tn := ns(now)
	res, err := tx.ExecContext(ctx, `INSERT INTO applications
		(receipt, kiosk, day, seq, state, sealed, n_materials, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rs, s.o.KioskNo, day, seq, string(kiosk.StateQueued), s.seal(manifest, rs), len(mats), tn, tn)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("submit: insert application: %w", err)
	}
	appID, err := res.LastInsertId()
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("submit: %w", err)
	}
	if len(mats) > 0 {
		// Sealed copies go into pooled buffers: SQLite copies bound blobs, so they are free again once the
		// insert returns (this saves allocating and zeroing megabytes per submit).
		boxes := make([]*[]byte, len(mats))
		parallel(len(mats), func(i int) {
			boxes[i] = getBuf()
			*boxes[i] = s.sealTo((*boxes[i])[:0], mats[i].Data, rs)
		})
		defer func() {
			for _, b := range boxes {
				putBuf(b)
			}
		}()
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO materials (app_id, idx, kind, page, size, sha256, data)
			VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return kiosk.Application{}, fmt.Errorf("submit: %w", err)
		}
		defer stmt.Close()
		for i, m := range mats {
			if _, err := stmt.ExecContext(ctx, appID, i, string(m.Kind), m.Page, m.Size, m.SHA256, *boxes[i]); err != nil {
				return kiosk.Application{}, fmt.Errorf("submit: insert material %d: %w", i, err)
			}
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox
		(app_id, receipt, downstream, state, attempts, next_attempt, lease_until, created_at, updated_at)
		VALUES (?, ?, ?, 'pending', 0, ?, 0, ?, ?)`, appID, rs, DownstreamReview, tn, tn, tn)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("submit: insert outbox: %w", err)
	}
	return a, nil
}

// marshalManifest serialises a without material bytes.
func marshalManifest(a kiosk.Application) ([]byte, error) {
	m := a
	m.Materials = make([]kiosk.Material, len(a.Materials))
	for i, x := range a.Materials {
		x.Data = nil
		m.Materials[i] = x
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal manifest: %w", err)
	}
	return b, nil
}

func (s *Store) unmarshalManifest(box []byte, receipt string) (kiosk.Application, error) {
	plain, err := s.open(box, receipt)
	if err != nil {
		return kiosk.Application{}, err
	}
	var a kiosk.Application
	if err := json.Unmarshal(plain, &a); err != nil {
		return kiosk.Application{}, fmt.Errorf("%w: manifest of %s: %v", ErrCorrupt, receipt, err)
	}
	clear(plain)
	if a.Receipt.String() != receipt {
		return kiosk.Application{}, fmt.Errorf("%w: manifest of %s names %s", ErrCorrupt, receipt, a.Receipt)
	}
	return a, nil
}

// Get returns the application with its materials, decrypted and checked against their hashes.
// Errors: ErrNotFound, ErrPurged (decided and purged), ErrCorrupt (decryption or hash failure).
func (s *Store) Get(ctx context.Context, r kiosk.Receipt) (kiosk.Application, error) {
	rs := r.String()
	var (
		id       int64
		sealed   []byte
		purgedAt int64
		nMat     int
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, sealed, purged_at, n_materials FROM applications WHERE receipt = ?`, rs).
		Scan(&id, &sealed, &purgedAt, &nMat)
	if errors.Is(err, sql.ErrNoRows) {
		return kiosk.Application{}, fmt.Errorf("get %s: %w", rs, ErrNotFound)
	}
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("get %s: %w", rs, err)
	}
	if purgedAt != 0 || sealed == nil {
		return kiosk.Application{}, fmt.Errorf("get %s: %w", rs, ErrPurged)
	}
	a, err := s.unmarshalManifest(sealed, rs)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("get: %w", err)
	}
	if len(a.Materials) != nMat {
		return kiosk.Application{}, fmt.Errorf("get %s: %w: manifest lists %d materials, row says %d", rs, ErrCorrupt, len(a.Materials), nMat)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT idx, sha256, data FROM materials WHERE app_id = ? ORDER BY idx`, id)
	if err != nil {
		return kiosk.Application{}, fmt.Errorf("get %s: materials: %w", rs, err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var (
			idx  int
			sum  string
			data []byte
		)
		if err := rows.Scan(&idx, &sum, &data); err != nil {
			return kiosk.Application{}, fmt.Errorf("get %s: materials: %w", rs, err)
		}
		if idx < 0 || idx >= len(a.Materials) || a.Materials[idx].Data != nil || a.Materials[idx].SHA256 != sum {
			return kiosk.Application{}, fmt.Errorf("get %s: %w: material row %d does not match the manifest", rs, ErrCorrupt, idx)
		}
		plain, err := s.open(data, rs)
		if err != nil {
			return kiosk.Application{}, fmt.Errorf("get: material %d: %w", idx, err)
		}
		h := sha256.Sum256(plain)
		if hex.EncodeToString(h[:]) != sum || int64(len(plain)) != a.Materials[idx].Size {
			return kiosk.Application{}, fmt.Errorf("get %s: %w: material %d hash or size mismatch", rs, ErrCorrupt, idx)
		}
		a.Materials[idx].Data = plain
		seen++
	}
	if err := rows.Err(); err != nil {
		return kiosk.Application{}, fmt.Errorf("get %s: materials: %w", rs, err)
	}
	if seen != len(a.Materials) {
		return kiosk.Application{}, fmt.Errorf("get %s: %w: %d of %d materials present", rs, ErrCorrupt, seen, len(a.Materials))
	}
	return a, nil
}

// List returns up to limit applications (limit ≤ 0: 100), newest first, with masked name and ID number
// (decrypted from the manifest; empty once purged). Errors come from SQLite; an undecryptable manifest
// is listed with the masked fields set to "?" rather than failing the whole list.
func (s *Store) List(ctx context.Context, limit int) ([]Item, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.receipt, a.state, a.sealed, a.purged_at, a.created_at, a.updated_at,
			a.accepted_at, a.due_at, COALESCE(o.attempts, 0), o.last_error, COALESCE(o.state, ''), COALESCE(o.next_attempt, 0)
		FROM applications a LEFT JOIN outbox o ON o.app_id = a.id AND o.downstream = ?
		ORDER BY a.id DESC LIMIT ?`, DownstreamReview, limit)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		var (
			it                                         Item
			rs, state, ostate                          string
			sealed, lastErr                            []byte
			purgedAt, created, updated, acc, due, next int64
		)
		if err := rows.Scan(&rs, &state, &sealed, &purgedAt, &created, &updated, &acc, &due, &it.Attempts, &lastErr, &ostate, &next); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		r, err := kiosk.ParseReceipt(rs)
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		it.Receipt, it.State = r, kiosk.State(state)
		it.CreatedAt, it.UpdatedAt, it.AcceptedAt, it.DueAt = fromNS(created), fromNS(updated), fromNS(acc), fromNS(due)
		if ostate == "pending" {
			it.NextAttempt = fromNS(next)
		}
		it.Purged = purgedAt != 0 || sealed == nil
		if !it.Purged {
			if a, err := s.unmarshalManifest(sealed, rs); err == nil {
				it.MaskedName = idcard.MaskName(a.Applicant.Name)
				it.MaskedNumber = idcard.MaskNumber(a.Applicant.Number)
			} else {
				it.MaskedName, it.MaskedNumber = "?", "?"
			}
		}
		if lastErr != nil {
			if p, err := s.open(lastErr, rs); err == nil {
				it.LastError = string(p)
			}
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return items, nil
}

// Counts returns the queue summary. Errors come from SQLite.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var (
		c      Counts
		oldest int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT
			COUNT(*) FILTER (WHERE o.state = 'pending'),
			COUNT(*) FILTER (WHERE o.state = 'dead'),
			COUNT(*) FILTER (WHERE o.state = 'delivered' AND a.state NOT IN (?, ?)),
			COUNT(*) FILTER (WHERE a.state IN (?, ?)),
			COALESCE(MIN(a.created_at) FILTER (WHERE o.state IN ('pending', 'dead')), 0)
		FROM applications a LEFT JOIN outbox o ON o.app_id = a.id AND o.downstream = ?`,
		kiosk.StateApproved, kiosk.StateRejected, kiosk.StateApproved, kiosk.StateRejected, DownstreamReview).
		Scan(&c.Queued, &c.Dead, &c.Delivered, &c.Decided, &oldest)
	if err != nil {
		return Counts{}, fmt.Errorf("counts: %w", err)
	}
	c.OldestUnsent = fromNS(oldest)
	return c, nil
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and waits for all of them.
func parallel(n int, fn func(i int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var (
		wg   gosync.WaitGroup
		next atomic.Int64
	)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// bufPool holds buffers for sealed materials.
var bufPool = gosync.Pool{New: func() any { return new([]byte) }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 8<<20 { // do not keep unusually large buffers around
		return
	}
	*b = (*b)[:0] // ciphertext only: nothing personal is left in clear
	bufPool.Put(b)
}
