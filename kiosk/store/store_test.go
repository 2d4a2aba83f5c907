package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"huren/kiosk"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSubmitGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	o := testOptions(t, clock)
	s := openTest(t, o)

	in := sampleApp(t, 1, 1000, 5000)
	got, err := s.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Receipt.String() != "331122-007-261204-0001" {
		t.Fatalf("receipt %s", got.Receipt)
	}
	if !got.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("created at %v", got.CreatedAt)
	}
	for i, m := range got.Materials {
		if m.Size != int64(len(in.Materials[i].Data)) || len(m.SHA256) != 64 {
			t.Fatalf("material %d: size %d sha %q", i, m.Size, m.SHA256)
		}
		if in.Materials[i].SHA256 != "" {
			t.Fatal("Submit modified the caller's materials")
		}
	}
	back, err := s.Get(ctx, got.Receipt)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, back) != jsonOf(t, got) {
		t.Fatalf("round trip differs:\n got %s\nwant %s", jsonOf(t, back), jsonOf(t, got))
	}

	// Sequence numbers: consecutive, restart-safe, per day.
	a2, err := s.Submit(ctx, sampleApp(t, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	if a2.Receipt.Seq != 2 {
		t.Fatalf("second seq %d", a2.Receipt.Seq)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, o)
	a3, err := s.Submit(ctx, sampleApp(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if a3.Receipt.Seq != 3 {
		t.Fatalf("seq after reopen %d", a3.Receipt.Seq)
	}
	clock.Add(24 * time.Hour)
	a4, err := s.Submit(ctx, sampleApp(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	if a4.Receipt.String() != "331122-007-261205-0001" {
		t.Fatalf("next day receipt %s", a4.Receipt)
	}
	if _, err := s.Get(ctx, a2.Receipt); err != nil {
		t.Fatalf("get after reopen: %v", err)
	}
	if _, err := s.Get(ctx, kiosk.NewReceipt(7, clock.Now(), 99)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown receipt: %v", err)
	}
}

func TestSubmitRejectsBadInputWithoutConsumingSequence(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, testOptions(t, newFakeClock()))

	a := sampleApp(t, 1, 10)
	a.StatusToken = ""
	if _, err := s.Submit(ctx, a); err == nil {
		t.Fatal("submit without status token succeeded")
	}
	a = sampleApp(t, 1, 10)
	a.Materials[0].SHA256 = strings.Repeat("0", 64)
	if _, err := s.Submit(ctx, a); err == nil {
		t.Fatal("submit with a wrong hash succeeded")
	}
	a = sampleApp(t, 1, 10)
	a.Materials[0].Size = 11
	if _, err := s.Submit(ctx, a); err == nil {
		t.Fatal("submit with a wrong size succeeded")
	}
	ok, err := s.Submit(ctx, sampleApp(t, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	if ok.Receipt.Seq != 1 {
		t.Fatalf("failed submits consumed sequence numbers: got seq %d", ok.Receipt.Seq)
	}
	// A rolled-back transaction (fn error after a submit inside it) leaves no trace either.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Submit(sampleApp(t, 2, 10)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update: %v", err)
	}
	next, err := s.Submit(ctx, sampleApp(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if next.Receipt.Seq != 2 {
		t.Fatalf("rolled-back submit consumed a sequence number: got %d", next.Receipt.Seq)
	}
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Queued != 2 {
		t.Fatalf("queued %d, want 2", c.Queued)
	}
}

func TestConcurrentSubmitsUniqueSequence(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, testOptions(t, newFakeClock()))
	const n = 24
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int]bool{}
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Submit(ctx, sampleApp(t, i, 100))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[a.Receipt.Seq] {
				t.Errorf("duplicate seq %d", a.Receipt.Seq)
			}
			seen[a.Receipt.Seq] = true
			if _, err := s.Get(ctx, a.Receipt); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Errorf("seq %d missing (gap)", i)
		}
	}
}

// TestNoPersonalDataAtRest writes applications with known personal data and scans the raw bytes of the
// database file and its WAL: none of it may appear in clear.
func TestNoPersonalDataAtRest(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t, newFakeClock())
	s := openTest(t, o)

	var needles [][]byte
	for i := 0; i < 5; i++ {
		a := sampleApp(t, i)
		marker := []byte("MATERIAL-PLAINTEXT-MARKER-" + a.Applicant.Number)
		a.Materials = append(a.Materials, kiosk.Material{Kind: kiosk.MaterialLease, Page: 1, ContentType: "image/jpeg",
			Data: bytes.Repeat(marker, 200)})
		needles = append(needles, []byte(a.Applicant.Name), []byte(a.Applicant.Number), []byte(a.Mobile),
			[]byte(a.EmployerUSCC), []byte(a.Address.Detail), []byte(a.Address.Community), []byte(a.StatusToken), marker)
		a, err := s.Submit(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Retry(ctx, int64(i+1), time.Time{}, "server said: "+a.Applicant.Number); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"欧阳", "五云街道", "城东社区"} { // fragments that appear in every application
		needles = append(needles, []byte(a))
	}
	// Also the last receipt as a positive control: it IS stored in clear, so the scan must find it.
	items, err := s.List(ctx, 1)
	if err != nil || len(items) != 1 {
		t.Fatalf("list: %v %v", items, err)
	}
	control := []byte(items[0].Receipt.String())

	scan := func(stage string, files ...string) {
		t.Helper()
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			if len(b) == 0 {
				t.Fatalf("%s: %s is empty: nothing to scan", stage, f)
			}
			for _, n := range needles {
				if i := bytes.Index(b, n); i >= 0 {
					t.Errorf("%s: %q found in clear in %s at %d", stage, n, filepath.Base(f), i)
				}
			}
			found = found || bytes.Contains(b, control)
		}
		if !found {
			t.Errorf("%s: control receipt %s not found: the scan does not see the data", stage, control)
		}
	}
	wal := o.Path + "-wal"
	if st, err := os.Stat(wal); err != nil || st.Size() == 0 {
		t.Fatalf("expected a non-empty WAL before checkpoint: %v", err)
	}
	scan("open (db + wal)", o.Path, wal)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	scan("closed (db)", o.Path)
	for _, f := range []string{o.Path, wal, o.Path + "-shm"} {
		if st, err := os.Stat(f); err == nil && st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %04o", f, st.Mode().Perm())
		}
	}
}

func TestKeyFile(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t, newFakeClock())
	st, err := os.Stat(o.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() != KeySize {
		t.Fatalf("key file mode %04o size %d", st.Mode().Perm(), st.Size())
	}
	if err := CreateKey(o.KeyFile); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("CreateKey over an existing key: %v", err)
	}

	s := openTest(t, o)
	a, err := s.Submit(ctx, sampleApp(t, 1, 100))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	if err := os.Chmod(o.KeyFile, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, o); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "0640") {
		t.Fatalf("open with a 0640 key: %v", err)
	}
	if err := os.Chmod(o.KeyFile, 0o400); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, o) // stricter than 0600 is fine
	_ = s.Close()

	short := filepath.Join(t.TempDir(), "short.key")
	if err := os.WriteFile(short, make([]byte, 16), 0o600); err != nil {
		t.Fatal(err)
	}
	o2 := o
	o2.KeyFile = short
	if _, err := Open(ctx, o2); !errors.Is(err, ErrKey) {
		t.Fatalf("open with a 16-byte key: %v", err)
	}
	o2.KeyFile = filepath.Join(t.TempDir(), "missing.key")
	if _, err := Open(ctx, o2); !errors.Is(err, ErrKey) {
		t.Fatalf("open without a key: %v", err)
	}

	// Another kiosk's key is refused at Open; and even if it got past, it could not read the data.
	other := filepath.Join(t.TempDir(), "other.key")
	if err := CreateKey(other); err != nil {
		t.Fatal(err)
	}
	o2.KeyFile = other
	if _, err := Open(ctx, o2); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "does not belong") {
		t.Fatalf("open with another kiosk's key: %v", err)
	}
	s = openTest(t, o)
	s.aead, err = loadKey(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, a.Receipt); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("get with the wrong key: %v", err)
	}
	items, err := s.List(ctx, 10)
	if err != nil || len(items) != 1 || items[0].MaskedName != "?" {
		t.Fatalf("list with the wrong key: %+v %v", items, err)
	}
}

// TestReceiptIsAssociatedData: a manifest moved to another receipt's row fails to open.
func TestReceiptIsAssociatedData(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, testOptions(t, newFakeClock()))
	a, err := s.Submit(ctx, sampleApp(t, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Submit(ctx, sampleApp(t, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE applications SET sealed = (SELECT sealed FROM applications WHERE receipt = ?) WHERE receipt = ?`,
		a.Receipt.String(), b.Receipt.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, b.Receipt); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("swapped manifest: %v", err)
	}
	if _, err := s.w.Exec(`UPDATE materials SET data = (SELECT m.data FROM materials m JOIN applications x ON x.id = m.app_id
		WHERE x.receipt = ?) WHERE app_id = (SELECT id FROM applications WHERE receipt = ?)`, b.Receipt.String(), a.Receipt.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, a.Receipt); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("swapped material: %v", err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := openTest(t, testOptions(t, clock))

	if _, err := s.Claim(ctx, DownstreamReview, time.Minute); !errors.Is(err, ErrNoWork) {
		t.Fatalf("claim on empty: %v", err)
	}
	if _, ok, err := s.NextDue(ctx, DownstreamReview); ok || err != nil {
		t.Fatalf("next due on empty: %v %v", ok, err)
	}
	a, err := s.Submit(ctx, sampleApp(t, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Submit(ctx, sampleApp(t, 2, 10))
	if err != nil {
		t.Fatal(err)
	}
	due, ok, err := s.NextDue(ctx, DownstreamReview)
	if err != nil || !ok || !due.Equal(clock.Now()) {
		t.Fatalf("next due: %v %v %v", due, ok, err)
	}

	it, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if it.Receipt != a.Receipt || it.Attempts != 1 || it.Downstream != DownstreamReview || !it.LeaseUntil.Equal(clock.Now().Add(time.Minute)) {
		t.Fatalf("first claim %+v", it)
	}
	it2, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil || it2.Receipt != b.Receipt {
		t.Fatalf("second claim %+v %v", it2, err)
	}
	if _, err := s.Claim(ctx, DownstreamReview, time.Minute); !errors.Is(err, ErrNoWork) {
		t.Fatalf("claim while all leased: %v", err)
	}
	if _, err := s.Claim(ctx, "other", time.Minute); !errors.Is(err, ErrNoWork) {
		t.Fatalf("claim of another downstream: %v", err)
	}
	due, ok, _ = s.NextDue(ctx, DownstreamReview)
	if !ok || !due.Equal(it.LeaseUntil) {
		t.Fatalf("next due while leased: %v", due)
	}

	// The worker "crashes" holding a's claim; after the lease it comes back, attempt 2.
	if err := s.Retry(ctx, it2.ID, clock.Now().Add(10*time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	clock.Add(61 * time.Second)
	it3, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil || it3.ID != it.ID || it3.Attempts != 2 {
		t.Fatalf("expired lease claim %+v %v", it3, err)
	}
	items, err := s.List(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Receipt != b.Receipt || items[0].LastError != "timeout" || items[0].Attempts != 1 ||
		!items[0].NextAttempt.Equal(time.Date(2026, 12, 4, 10, 10, 0, 0, kiosk.Shanghai)) {
		t.Fatalf("list: %+v", items)
	}
	if items[0].MaskedName != "欧****" || items[0].MaskedNumber != "331***********002X" {
		t.Fatalf("masks %q %q", items[0].MaskedName, items[0].MaskedNumber)
	}

	acc := clock.Now()
	dueAt := acc.Add(48 * time.Hour)
	if err := s.Delivered(ctx, it3.ID, kiosk.StateAccepted, acc, dueAt); err != nil {
		t.Fatal(err)
	}
	// A late, lower answer never moves it back.
	if err := s.Delivered(ctx, it3.ID, kiosk.StateReceived, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Dead(ctx, it2.ID, "409 conflict"); err != nil {
		t.Fatal(err)
	}
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Queued != 0 || c.Dead != 1 || c.Delivered != 1 || c.Decided != 0 || !c.OldestUnsent.Equal(b.CreatedAt) {
		t.Fatalf("counts %+v", c)
	}
	items, _ = s.List(ctx, 10)
	if items[1].State != kiosk.StateAccepted || !items[1].AcceptedAt.Equal(acc) || !items[1].DueAt.Equal(dueAt) || items[1].LastError != "" {
		t.Fatalf("delivered item %+v", items[1])
	}
	if items[0].State != kiosk.StateDead || items[0].LastError != "409 conflict" {
		t.Fatalf("dead item %+v", items[0])
	}
	if _, err := s.Claim(ctx, DownstreamReview, time.Minute); !errors.Is(err, ErrNoWork) {
		t.Fatalf("claim with only dead rows: %v", err)
	}

	if err := s.RetryDead(ctx, a.Receipt); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retry dead of a delivered one: %v", err)
	}
	if err := s.RetryDead(ctx, b.Receipt); err != nil {
		t.Fatal(err)
	}
	it4, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil || it4.ID != it2.ID || it4.Attempts != 1 {
		t.Fatalf("claim after retry dead %+v %v", it4, err)
	}
	if items, _ = s.List(ctx, 1); items[0].State != kiosk.StateQueued {
		t.Fatalf("state after retry dead %v", items[0].State)
	}
	for _, f := range []func() error{
		func() error { return s.Delivered(ctx, 999, kiosk.StateReceived, time.Time{}, time.Time{}) },
		func() error { return s.Retry(ctx, 999, time.Time{}, "") },
		func() error { return s.Dead(ctx, 999, "") },
	} {
		if err := f(); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown outbox id: %v", err)
		}
	}
}

func TestApplyUpdateAndPurge(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	o := testOptions(t, clock)
	o.Retention = 72 * time.Hour
	s := openTest(t, o)

	a, err := s.Submit(ctx, sampleApp(t, 1, 100, 200))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Submit(ctx, sampleApp(t, 2, 100))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyUpdate(ctx, kiosk.NewReceipt(7, clock.Now(), 500), kiosk.StateApproved, clock.Now()); err != nil {
		t.Fatalf("unknown receipt: %v", err)
	}
	if err := s.ApplyUpdate(ctx, a.Receipt, kiosk.StateAccepted, clock.Now()); err != nil {
		t.Fatal(err)
	}
	decided := clock.Now().Add(time.Hour)
	if err := s.ApplyUpdate(ctx, a.Receipt, kiosk.StateApproved, decided); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyUpdate(ctx, b.Receipt, kiosk.StateInReview, decided); err != nil {
		t.Fatal(err)
	}
	c, _ := s.Counts(ctx)
	if c.Decided != 1 {
		t.Fatalf("counts %+v", c)
	}

	clock.Add(72 * time.Hour) // decided + 72h is one hour later still
	if n, err := s.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("early purge: %d %v", n, err)
	}
	clock.Add(time.Hour)
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := s.Get(ctx, a.Receipt); !errors.Is(err, ErrPurged) {
		t.Fatalf("get purged: %v", err)
	}
	if _, err := s.Get(ctx, b.Receipt); err != nil {
		t.Fatalf("undecided one was touched: %v", err)
	}
	var nMat int
	if err := s.w.QueryRow(`SELECT COUNT(*) FROM materials m JOIN applications x ON x.id = m.app_id WHERE x.receipt = ?`,
		a.Receipt.String()).Scan(&nMat); err != nil || nMat != 0 {
		t.Fatalf("materials left after purge: %d %v", nMat, err)
	}
	items, _ := s.List(ctx, 10)
	pa := items[1]
	if pa.Receipt != a.Receipt || !pa.Purged || pa.MaskedName != "" || pa.State != kiosk.StateApproved || pa.CreatedAt.IsZero() ||
		pa.AcceptedAt.IsZero() {
		t.Fatalf("purged item %+v", pa)
	}
	if n, _ := s.Purge(ctx); n != 0 {
		t.Fatalf("second purge purged %d", n)
	}
	log, err := s.AuditLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Action != "purge" {
		t.Fatalf("audit after purge: %+v %v", log, err)
	}
	// An update after the purge still records the state.
	if err := s.ApplyUpdate(ctx, a.Receipt, kiosk.StateRejected, clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := openTest(t, testOptions(t, clock))
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatalf("empty log: %v", err)
	}
	for i, act := range []string{"unlock", "reprint", "sync_now", "lock"} {
		clock.Add(time.Second)
		if err := s.Audit(ctx, "admin", act, "331122-007-261204-0001", "n="+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	log, err := s.AuditLog(ctx, 2)
	if err != nil || len(log) != 2 || log[0].Action != "lock" || log[1].Action != "sync_now" || log[0].PrevHash != log[1].Hash {
		t.Fatalf("log %+v %v", log, err)
	}
	if _, err := s.w.Exec(`UPDATE audit SET detail = 'x' WHERE id = 2`); err == nil {
		t.Fatal("update of the audit log allowed")
	}
	if _, err := s.w.Exec(`DELETE FROM audit WHERE id = 2`); err == nil {
		t.Fatal("delete from the audit log allowed")
	}
	// An attacker with raw SQL drops the trigger and edits a row: the chain shows it.
	if _, err := s.w.Exec(`DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE audit SET actor = 'nobody' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); !errors.Is(err, ErrAuditTampered) || !strings.Contains(err.Error(), "row 2") {
		t.Fatalf("edited row: %v", err)
	}
	if _, err := s.w.Exec(`UPDATE audit SET actor = 'admin' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatalf("restored row: %v", err)
	}
	// Recomputing the edited row's own hash is not enough: the next row's link breaks.
	var e AuditEntry
	var at int64
	if err := s.w.QueryRow(`SELECT at, prev_hash FROM audit WHERE id = 2`).Scan(&at, &e.PrevHash); err != nil {
		t.Fatal(err)
	}
	h := auditHash(e.PrevHash, 2, at, "admin", "reprint", "331122-007-261204-0001", "forged")
	if _, err := s.w.Exec(`UPDATE audit SET detail = 'forged', hash = ? WHERE id = 2`, h); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); !errors.Is(err, ErrAuditTampered) || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("re-hashed row: %v", err)
	}
	if _, err := s.w.Exec(`DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id IN (2)`); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); !errors.Is(err, ErrAuditTampered) {
		t.Fatalf("deleted row: %v", err)
	}
}

func TestLockoutConfigCursor(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	o := testOptions(t, clock)
	s := openTest(t, o)

	if l, err := s.Lockout(ctx); err != nil || l != (Lockout{}) {
		t.Fatalf("initial lockout %+v %v", l, err)
	}
	until := clock.Now().Add(5 * time.Minute)
	if err := s.SetLockout(ctx, Lockout{Failures: 5, LockedUntil: until}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadConfig(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("load config with none: %v", err)
	}
	if err := s.SaveConfig(ctx, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConfig(ctx, []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Cursor(ctx, "review.updates"); err != nil || v != 0 {
		t.Fatalf("initial cursor %d %v", v, err)
	}
	if err := s.SetCursor(ctx, "review.updates", 41); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCursor(ctx, "review.updates", 42); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openTest(t, o) // all of it survives a restart

	l, err := s.Lockout(ctx)
	if err != nil || l.Failures != 5 || !l.LockedUntil.Equal(until) {
		t.Fatalf("lockout after restart %+v %v", l, err)
	}
	if b, err := s.LoadConfig(ctx); err != nil || string(b) != `{"v":2}` {
		t.Fatalf("config %q %v", b, err)
	}
	if v, err := s.Cursor(ctx, "review.updates"); err != nil || v != 42 {
		t.Fatalf("cursor %d %v", v, err)
	}
	if err := s.SetLockout(ctx, Lockout{}); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Lockout(ctx); l != (Lockout{}) {
		t.Fatalf("cleared lockout %+v", l)
	}
	// Cursor and updates in one transaction.
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.SetCursor("review.updates", 50); err != nil {
			return err
		}
		return errors.New("abort")
	})
	if err == nil {
		t.Fatal("aborted update returned nil")
	}
	if v, _ := s.Cursor(ctx, "review.updates"); v != 42 {
		t.Fatalf("cursor after rollback %d", v)
	}
}

func TestCanAccept(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t, newFakeClock())
	o.MaxUnsent = 2
	var free int64 = 10 << 30
	var probeErr error
	o.FreeSpace = func(dir string) (int64, error) { return free, probeErr }
	s := openTest(t, o)

	if err := s.CanAccept(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Submit(ctx, sampleApp(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	checkRefusal := func(what, cause string) {
		t.Helper()
		err := s.CanAccept(ctx)
		var ue *kiosk.UserError
		if !errors.As(err, &ue) || !errors.Is(err, kiosk.ErrBacklog) {
			t.Fatalf("%s: %v", what, err)
		}
		if !strings.HasPrefix(ue.Zh, "暂停受理，请联系工作人员") || ue.En == "" || !strings.Contains(err.Error(), cause) {
			t.Fatalf("%s: %q / %q / %v", what, ue.Zh, ue.En, err)
		}
	}
	checkRefusal("backlog", "3 unsent")
	it, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delivered(ctx, it.ID, kiosk.StateReceived, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.CanAccept(ctx); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	free = 100 << 20
	checkRefusal("disk", "bytes free")
	free = 10 << 30
	probeErr = errors.New("statfs broke")
	checkRefusal("probe", "statfs broke")

	// The default probe measures the real folder.
	if n, err := StatfsFree(t.TempDir()); err != nil || n <= 0 {
		t.Fatalf("statfs: %d %v", n, err)
	}
}

// TestIntegrityFailure corrupts a b-tree page: Open still succeeds (admin must see it), CanAccept and
// Submit refuse with the cause.
func TestIntegrityFailure(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t, newFakeClock())
	s := openTest(t, o)
	for i := 0; i < 20; i++ {
		if _, err := s.Submit(ctx, sampleApp(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := s.w.QueryRow(`SELECT rootpage FROM sqlite_schema WHERE name = 'outbox_due'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(o.Path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, int(pageSize)), (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	s = openTest(t, o)
	if err := s.Damaged(); !errors.Is(err, ErrDamaged) {
		t.Fatalf("damaged: %v", err)
	}
	err = s.CanAccept(ctx)
	var ue *kiosk.UserError
	if !errors.As(err, &ue) || !errors.Is(err, kiosk.ErrBacklog) || !errors.Is(err, ErrDamaged) || !strings.Contains(ue.Zh, "暂停受理") {
		t.Fatalf("can accept on a damaged store: %v", err)
	}
	if _, err := s.Submit(ctx, sampleApp(t, 99)); !errors.Is(err, ErrDamaged) {
		t.Fatalf("submit on a damaged store: %v", err)
	}
	// Admin can still look.
	if _, err := s.Counts(ctx); err != nil {
		t.Logf("counts on damaged store: %v", err)
	}
}

func TestSettingsAndMigrations(t *testing.T) {
	ctx := context.Background()
	o := testOptions(t, newFakeClock())
	s := openTest(t, o)
	for db, want := range map[string]string{"writer": "wal", "reader": "wal"} {
		d := s.w
		if db == "reader" {
			d = s.r
		}
		var mode string
		if err := d.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != want {
			t.Fatalf("%s journal mode %q %v", db, mode, err)
		}
	}
	if _, err := s.r.Exec(`INSERT INTO cursors (name, value) VALUES ('x', 1)`); err == nil {
		t.Fatal("read pool can write")
	}
	var n int
	if err := s.w.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n < 1 {
		t.Fatalf("migrations recorded: %d %v", n, err)
	}
	ms, _ := migrations()
	if n != len(ms) {
		t.Fatalf("%d migrations recorded, %d embedded", n, len(ms))
	}
	_ = s.Close()
	s = openTest(t, o)
	var n2 int
	_ = s.w.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n2)
	if n2 != n {
		t.Fatalf("reopen re-applied migrations: %d", n2)
	}
	// A database from a newer program is refused.
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if _, err := Open(ctx, o); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open a newer schema: %v", err)
	}
}

// TestPurgeZeroesFreedPages: after a purge and a checkpoint, not even the ciphertext of the purged
// material is left in the database file (secure_delete).
func TestPurgeZeroesFreedPages(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	o := testOptions(t, clock)
	s := openTest(t, o)
	a, err := s.Submit(ctx, sampleApp(t, 1, 300<<10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, sampleApp(t, 2, 1000)); err != nil { // stays
		t.Fatal(err)
	}
	var box, manifest []byte
	if err := s.w.QueryRow(`SELECT m.data, x.sealed FROM materials m JOIN applications x ON x.id = m.app_id WHERE x.receipt = ?`,
		a.Receipt.String()).Scan(&box, &manifest); err != nil {
		t.Fatal(err)
	}
	probes := [][]byte{box[1000:1064], box[len(box)/2 : len(box)/2+64], manifest[12:60]}
	if err := s.ApplyUpdate(ctx, a.Receipt, kiosk.StateRejected, clock.Now()); err != nil {
		t.Fatal(err)
	}
	clock.Add(DefaultRetention + time.Minute)
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge %d %v", n, err)
	}
	if err := s.Close(); err != nil { // the last close checkpoints and removes the WAL
		t.Fatal(err)
	}
	db, err := os.ReadFile(o.Path)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range probes {
		if bytes.Contains(db, p) {
			t.Errorf("probe %d of the purged data is still in the database file", i)
		}
	}
	if _, err := os.Stat(o.Path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Logf("WAL still present after close: %v", err)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, testOptions(t, newFakeClock()))
	if _, err := s.Submit(ctx, sampleApp(t, 1, 200<<10)); err != nil {
		t.Fatal(err)
	}
	frames, done, err := s.Checkpoint(ctx)
	if err != nil || frames == 0 || done != frames {
		t.Fatalf("checkpoint: %d of %d, %v", done, frames, err)
	}
	var ps int
	if err := s.r.QueryRow(`PRAGMA page_size`).Scan(&ps); err != nil || ps != pageSize {
		t.Fatalf("page size %d %v", ps, err)
	}
}

func TestDueNowSkipsBackoff(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := openTest(t, testOptions(t, clock))
	a, err := s.Submit(ctx, sampleApp(t, 1, 10))
	if err != nil {
		t.Fatal(err)
	}
	it, err := s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, it.ID, clock.Now().Add(10*time.Minute), "offline"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, DownstreamReview, time.Minute); !errors.Is(err, ErrNoWork) {
		t.Fatalf("claim during backoff: %v", err)
	}
	if n, err := s.DueNow(ctx, DownstreamReview); err != nil || n != 1 {
		t.Fatalf("DueNow: %d %v", n, err)
	}
	it, err = s.Claim(ctx, DownstreamReview, time.Minute)
	if err != nil || it.Receipt != a.Receipt {
		t.Fatalf("claim after DueNow: %+v %v", it, err)
	}
	if n, _ := s.DueNow(ctx, DownstreamReview); n != 0 {
		t.Fatalf("DueNow moved a leased row")
	}
}
