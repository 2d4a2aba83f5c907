package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"huren/kiosk"
)

// Tx is one write transaction on the store, for callers that must combine steps atomically (for example
// applying a batch of server updates together with the new sync cursor). Get one from Update; its methods
// do what the Store methods of the same name do, without committing.
type Tx struct {
	s   *Store
	ctx context.Context
	tx  *sql.Tx
}

// Update runs fn in one write transaction (BEGIN IMMEDIATE on the single writer connection) and commits it
// durably when fn returns nil; fn's error rolls everything back and is returned unchanged. Do not use tx
// after fn returns, nor call Store write methods from inside fn (the writer connection is held: deadlock).
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.writeTx(ctx, func(tx *sql.Tx) error { return fn(&Tx{s: s, ctx: ctx, tx: tx}) })
}

// OutboxItem is one claimed delivery.
type OutboxItem struct {
	ID         int64
	Receipt    kiosk.Receipt
	Downstream string
	Attempts   int       // including this claim (1 on the first)
	LeaseUntil time.Time // the claim comes back to Claim after this
}

// Claim takes the oldest due outbox row of downstream (pending, next attempt reached, no live lease),
// counts the attempt and leases it until now+lease. A worker that crashes loses its claim when the lease
// expires. Errors: ErrNoWork when nothing is due; SQLite errors.
func (s *Store) Claim(ctx context.Context, downstream string, lease time.Duration) (OutboxItem, error) {
	var it OutboxItem
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		it, err = tx.Claim(downstream, lease)
		return err
	})
	return it, err
}

// Claim is Store.Claim inside the transaction.
func (t *Tx) Claim(downstream string, lease time.Duration) (OutboxItem, error) {
	now := t.s.clock.Now()
	n := ns(now)
	var (
		it OutboxItem
		rs string
	)
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, receipt, attempts FROM outbox
		WHERE downstream = ? AND state = 'pending' AND next_attempt <= ? AND lease_until <= ?
		ORDER BY next_attempt, id LIMIT 1`, downstream, n, n).Scan(&it.ID, &rs, &it.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, ErrNoWork
	}
	if err != nil {
		return OutboxItem{}, fmt.Errorf("claim: %w", err)
	}
	r, err := kiosk.ParseReceipt(rs)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("claim: %w", err)
	}
	it.Receipt, it.Downstream = r, downstream
	it.Attempts++
	it.LeaseUntil = now.Add(lease)
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET attempts = ?, lease_until = ?, updated_at = ? WHERE id = ?`,
		it.Attempts, ns(it.LeaseUntil), n, it.ID); err != nil {
		return OutboxItem{}, fmt.Errorf("claim: %w", err)
	}
	return it, nil
}

// NextDue returns the earliest time a pending row of downstream becomes claimable (its next attempt or
// the end of its lease, whichever is later), and false when there is none. Errors come from SQLite.
func (s *Store) NextDue(ctx context.Context, downstream string) (time.Time, bool, error) {
	var n sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(MAX(next_attempt, lease_until)) FROM outbox
		WHERE downstream = ? AND state = 'pending'`, downstream).Scan(&n)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !n.Valid {
		return time.Time{}, false, nil
	}
	if n.Int64 == 0 {
		return time.Unix(0, 0).In(kiosk.Shanghai), true, nil
	}
	return fromNS(n.Int64), true, nil
}

// rank orders states along the workflow so a late or repeated answer never moves an application back.
func rank(s kiosk.State) int {
	switch s {
	case kiosk.StateReceived:
		return 1
	case kiosk.StateAwaitingMaterials:
		return 2
	case kiosk.StateAccepted:
		return 3
	case kiosk.StateInReview:
		return 4
	case kiosk.StateApproved, kiosk.StateRejected:
		return 5
	}
	return 0 // queued, dead, unknown
}

// outboxRow loads what the outbox mutations need.
func (t *Tx) outboxRow(id int64) (appID int64, receipt, state string, err error) {
	err = t.tx.QueryRowContext(t.ctx, `SELECT app_id, receipt, state FROM outbox WHERE id = ?`, id).Scan(&appID, &receipt, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", "", fmt.Errorf("outbox %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, "", "", fmt.Errorf("outbox %d: %w", id, err)
	}
	return appID, receipt, state, nil
}

// Delivered marks outbox row id delivered and records what the server answered: the application's state
// (never moving it back along the workflow), and acceptedAt/dueAt when not zero. A final state schedules
// the purge after Retention. Errors: ErrNotFound for an unknown id; SQLite errors.
func (s *Store) Delivered(ctx context.Context, id int64, state kiosk.State, acceptedAt, dueAt time.Time) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Delivered(id, state, acceptedAt, dueAt) })
}

// Delivered is Store.Delivered inside the transaction.
func (t *Tx) Delivered(id int64, state kiosk.State, acceptedAt, dueAt time.Time) error {
	appID, _, _, err := t.outboxRow(id)
	if err != nil {
		return fmt.Errorf("delivered: %w", err)
	}
	now := t.s.clock.Now()
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET state = 'delivered', lease_until = 0, last_error = NULL,
		updated_at = ? WHERE id = ?`, ns(now), id); err != nil {
		return fmt.Errorf("delivered: %w", err)
	}
	if err := t.setAppState(appID, state, now, acceptedAt, dueAt, false); err != nil {
		return fmt.Errorf("delivered: %w", err)
	}
	return nil
}

// setAppState moves an application to state (unless force is false and that would move it back), sets
// accepted/due when given, and schedules the purge when the state is final.
func (t *Tx) setAppState(appID int64, state kiosk.State, at, acceptedAt, dueAt time.Time, force bool) error {
	var cur string
	if err := t.tx.QueryRowContext(t.ctx, `SELECT state FROM applications WHERE id = ?`, appID).Scan(&cur); err != nil {
		return err
	}
	if !force && rank(state) < rank(kiosk.State(cur)) {
		state = kiosk.State(cur)
	}
	if acceptedAt.IsZero() && state == kiosk.StateAccepted {
		acceptedAt = at
	}
	var decided, purgeAfter int64
	if state.Final() {
		decided, purgeAfter = ns(at), ns(at.Add(t.s.o.Retention))
	}
	_, err := t.tx.ExecContext(t.ctx, `UPDATE applications SET state = ?, updated_at = ?,
			accepted_at = CASE WHEN ? != 0 THEN ? ELSE accepted_at END,
			due_at      = CASE WHEN ? != 0 THEN ? ELSE due_at END,
			decided_at  = CASE WHEN ? != 0 AND decided_at = 0 THEN ? ELSE decided_at END,
			purge_after = CASE WHEN ? != 0 AND purge_after = 0 THEN ? ELSE purge_after END
		WHERE id = ?`,
		string(state), ns(at),
		ns(acceptedAt), ns(acceptedAt), ns(dueAt), ns(dueAt), decided, decided, purgeAfter, purgeAfter, appID)
	return err
}

// Retry gives a claimed row back for another attempt at next, recording lastErr (sealed; shown masked in
// admin mode, so it may quote the server). Errors: ErrNotFound; SQLite errors.
func (s *Store) Retry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Retry(id, next, lastErr) })
}

// Retry is Store.Retry inside the transaction.
func (t *Tx) Retry(id int64, next time.Time, lastErr string) error {
	_, rs, state, err := t.outboxRow(id)
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if state != "pending" {
		return nil // delivered or dead meanwhile: nothing to retry
	}
	_, err = t.tx.ExecContext(t.ctx, `UPDATE outbox SET next_attempt = ?, lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ?`, ns(next), t.s.sealError(lastErr, rs), ns(t.s.clock.Now()), id)
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	return nil
}

func (s *Store) sealError(msg, receipt string) []byte {
	if msg == "" {
		return nil
	}
	return s.seal([]byte(msg), receipt)
}

// Dead gives up delivering row id (the server refused it for good): the outbox row and the application
// become dead until staff retry them (RetryDead). Errors: ErrNotFound; SQLite errors.
func (s *Store) Dead(ctx context.Context, id int64, lastErr string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Dead(id, lastErr) })
}

// Dead is Store.Dead inside the transaction.
func (t *Tx) Dead(id int64, lastErr string) error {
	appID, rs, _, err := t.outboxRow(id)
	if err != nil {
		return fmt.Errorf("dead: %w", err)
	}
	now := ns(t.s.clock.Now())
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET state = 'dead', lease_until = 0, last_error = ?, updated_at = ?
		WHERE id = ?`, t.s.sealError(lastErr, rs), now, id); err != nil {
		return fmt.Errorf("dead: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE applications SET state = ?, updated_at = ? WHERE id = ?`,
		string(kiosk.StateDead), now, appID); err != nil {
		return fmt.Errorf("dead: %w", err)
	}
	return nil
}

// RetryDead puts the dead delivery of r back in the queue, due now, with its attempts reset.
// Errors: ErrNotFound when r has no dead delivery; SQLite errors.
func (s *Store) RetryDead(ctx context.Context, r kiosk.Receipt) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.RetryDead(r) })
}

// DueNow makes every pending row of downstream due at once, skipping its backoff (admin mode's "sync now"
// after the network came back). Leased rows keep their lease. Errors come from SQLite.
func (s *Store) DueNow(ctx context.Context, downstream string) (int, error) {
	var n int
	err := s.Update(ctx, func(tx *Tx) error {
		now := ns(tx.s.clock.Now())
		res, err := tx.tx.ExecContext(tx.ctx, `UPDATE outbox SET next_attempt = ?, updated_at = ?
			WHERE downstream = ? AND state = 'pending' AND next_attempt > ?`, now, now, downstream, now)
		if err != nil {
			return fmt.Errorf("due now: %w", err)
		}
		c, _ := res.RowsAffected()
		n = int(c)
		return nil
	})
	return n, err
}

// RetryDead is Store.RetryDead inside the transaction.
func (t *Tx) RetryDead(r kiosk.Receipt) error {
	now := ns(t.s.clock.Now())
	res, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt = ?, lease_until = 0,
		updated_at = ? WHERE receipt = ? AND state = 'dead'`, now, now, r.String())
	if err != nil {
		return fmt.Errorf("retry dead: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("retry dead %s: %w", r, ErrNotFound)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE applications SET state = ?, updated_at = ? WHERE receipt = ? AND state = ?`,
		string(kiosk.StateQueued), now, r.String(), string(kiosk.StateDead)); err != nil {
		return fmt.Errorf("retry dead: %w", err)
	}
	return nil
}

// ApplyUpdate records a state change the server reported for r at time at. An unknown receipt is ignored
// (nil): the server may know applications this store never had or already forgot. The server is the
// source of truth, so the state is set as given; a final state schedules the purge at at+Retention.
// Errors come from SQLite.
func (s *Store) ApplyUpdate(ctx context.Context, r kiosk.Receipt, state kiosk.State, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.ApplyUpdate(r, state, at) })
}

// ApplyUpdate is Store.ApplyUpdate inside the transaction.
func (t *Tx) ApplyUpdate(r kiosk.Receipt, state kiosk.State, at time.Time) error {
	var id int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id FROM applications WHERE receipt = ?`, r.String()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("apply update %s: %w", r, err)
	}
	if at.IsZero() {
		at = t.s.clock.Now()
	}
	if err := t.setAppState(id, state, at, time.Time{}, time.Time{}, true); err != nil {
		return fmt.Errorf("apply update %s: %w", r, err)
	}
	return nil
}

// Purge deletes the personal data (manifest) and materials of every application whose retention after the
// final decision has run out, keeping receipt, state and times, and returns how many it purged. Freed
// pages are zeroed (secure_delete). Each purge run that purges something is audited. Errors from SQLite.
func (s *Store) Purge(ctx context.Context) (int, error) {
	var n int
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.Purge()
		return err
	})
	return n, err
}

// Purge is Store.Purge inside the transaction.
func (t *Tx) Purge() (int, error) {
	now := ns(t.s.clock.Now())
	const due = `SELECT id FROM applications WHERE purge_after > 0 AND purge_after <= ? AND purged_at = 0`
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM materials WHERE app_id IN (`+due+`)`, now); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET last_error = NULL WHERE app_id IN (`+due+`)`, now); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	res, err := t.tx.ExecContext(t.ctx, `UPDATE applications SET sealed = NULL, purged_at = ?
		WHERE purge_after > 0 AND purge_after <= ? AND purged_at = 0`, now, now)
	if err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := t.Audit("system", "purge", "", fmt.Sprintf("%d applications purged after retention", n)); err != nil {
			return 0, fmt.Errorf("purge: %w", err)
		}
	}
	return int(n), nil
}
