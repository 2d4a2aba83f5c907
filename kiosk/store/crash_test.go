package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"huren/kiosk"
)

// The crash-safety test re-executes the test binary as a child (TestMain sees crashChildEnv) that submits
// applications in a loop and appends each receipt to a side file (fsynced) after Submit returned. The
// parent SIGKILLs it at random moments and checks the store after every kill.
const (
	crashChildEnv = "HUREN_STORE_CRASH_CHILD" // folder of the store under test
	crashDayEnv   = "HUREN_STORE_CRASH_DAY"   // day offset of the child's clock
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		os.Exit(0) // not reached: the parent kills the child
	}
	os.Exit(m.Run())
}

// crashBase is the child's clock at day offset 0; each run uses base + offset days so the daily
// sequence never runs out however long the soak.
var crashBase = time.Date(2026, 12, 4, 8, 0, 0, 0, kiosk.Shanghai)

type offsetClock struct {
	base  time.Time
	start time.Time
}

func (c offsetClock) Now() time.Time { return c.base.Add(time.Since(c.start)) }

func crashOptions(dir string, clock kiosk.Clock) Options {
	return Options{
		Path: filepath.Join(dir, "queue.db"), KeyFile: filepath.Join(dir, "kiosk.key"), KioskNo: 12, Clock: clock,
		MinFreeBytes: -1, MaxUnsent: -1, Logger: slog.New(slog.DiscardHandler),
	}
}

func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	day, _ := strconv.Atoi(os.Getenv(crashDayEnv))
	clock := offsetClock{base: crashBase.AddDate(0, 0, day), start: time.Now()}
	ctx := context.Background()
	s, err := Open(ctx, crashOptions(dir, clock))
	if err != nil {
		fail(err)
	}
	side, err := os.OpenFile(filepath.Join(dir, "side.txt"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fail(err)
	}
	fmt.Println("ready")
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	for i := 0; ; i++ {
		a := kiosk.Application{
			StatusToken: kiosk.NewStatusToken(),
			Applicant:   kiosk.Applicant{Name: "崩溃测试", Number: "33112219900101123X"},
			Route:       kiosk.RoutePermit, Condition: kiosk.ConditionResidence, Mobile: "13900000000",
		}
		for j := 0; j < 1+rnd.IntN(3); j++ {
			data := make([]byte, 512+rnd.IntN(16<<10))
			for k := range data {
				data[k] = byte(rnd.Uint32())
			}
			a.Materials = append(a.Materials, kiosk.Material{Kind: kiosk.MaterialLease, Page: j + 1, ContentType: "image/jpeg", Data: data})
		}
		got, err := s.Submit(ctx, a)
		if err != nil {
			fail(err)
		}
		sums := make([]string, len(got.Materials))
		for j, m := range got.Materials {
			sums[j] = m.SHA256
		}
		// One write(2) per line, then fsync: a line in the side file means Submit had returned.
		if _, err := side.WriteString(got.Receipt.String() + " " + strings.Join(sums, ",") + "\n"); err != nil {
			fail(err)
		}
		if err := side.Sync(); err != nil {
			fail(err)
		}
		// Some other write traffic in between: deliveries and audit rows.
		if i%4 == 3 {
			if it, err := s.Claim(ctx, DownstreamReview, time.Minute); err == nil {
				if err := s.Delivered(ctx, it.ID, kiosk.StateReceived, time.Time{}, time.Time{}); err != nil {
					fail(err)
				}
			} else if !errors.Is(err, ErrNoWork) {
				fail(err)
			}
			if err := s.Audit(ctx, "system", "crash_test", got.Receipt.String(), "i="+strconv.Itoa(i)); err != nil {
				fail(err)
			}
		}
	}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short")
	}
	kills := 30
	if os.Getenv("HUREN_SOAK") == "1" {
		kills = 500
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := CreateKey(filepath.Join(dir, "kiosk.key")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	verified := map[string]bool{} // receipts already checked in an earlier round
	purged := map[string]bool{}   // receipts decided and purged after their check
	var lastSide int
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	for round := 0; round < kills; round++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashDayEnv+"="+strconv.Itoa(round/5))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		rw := &readyWriter{ready: make(chan struct{})}
		cmd.Stdout = rw
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		// One round in five kills at a random moment from process start (possibly during Open and its
		// recovery); the others wait until the child submits, then kill within the next 0–250 ms.
		if round%5 != 4 {
			select {
			case <-rw.ready:
			case <-exited:
				t.Fatalf("round %d: child did not start: %s", round, stderr.String())
			}
			time.Sleep(time.Duration(rnd.IntN(250_000)) * time.Microsecond)
		} else {
			time.Sleep(time.Duration(rnd.IntN(300_000)) * time.Microsecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			<-exited
			t.Fatalf("round %d: child exited before the kill: %v: %s", round, err, stderr.String())
		}
		<-exited
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended otherwise than by SIGKILL (%v): %s", round, cmd.ProcessState, stderr.String())
		}
		lastSide = checkAfterCrash(t, ctx, dir, round, verified, purged, lastSide)
	}
	if lastSide == 0 {
		t.Fatalf("no submit recorded over %d rounds: the test did not exercise the store", kills)
	}
	t.Logf("%d kills, %d submits recorded in the side file", kills, lastSide)
}

// checkAfterCrash reopens the store and checks every invariant; it returns the number of side-file lines.
func checkAfterCrash(t *testing.T, ctx context.Context, dir string, round int, verified, purged map[string]bool, lastSide int) int {
	t.Helper()
	s, err := Open(ctx, crashOptions(dir, kiosk.SystemClock{}))
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer s.Close()
	if err := s.Damaged(); err != nil {
		t.Fatalf("round %d: damaged at open: %v", round, err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}

	b, err := os.ReadFile(filepath.Join(dir, "side.txt"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	lines = lines[:len(lines)-1] // the part after the last newline is incomplete (or empty)
	if len(lines) < lastSide {
		t.Fatalf("round %d: side file shrank", round)
	}
	inSide := map[string]bool{}
	for _, l := range lines {
		rs, sums, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("round %d: bad side line %q", round, l)
		}
		if inSide[rs] {
			t.Fatalf("round %d: receipt %s handed out twice", round, rs)
		}
		inSide[rs] = true
		if verified[rs] {
			continue
		}
		r, err := kiosk.ParseReceipt(rs)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Get(ctx, r)
		if err != nil {
			t.Fatalf("round %d: receipt %s from the side file: %v", round, rs, err)
		}
		var got []string
		for _, m := range a.Materials {
			got = append(got, m.SHA256)
		}
		if strings.Join(got, ",") != sums || a.Applicant.Name != "崩溃测试" {
			t.Fatalf("round %d: %s incomplete: materials %v, want %s", round, rs, got, sums)
		}
		verified[rs] = true
	}

	// Whole-store invariants.
	q := func(what, query string) {
		t.Helper()
		var n int
		if err := s.r.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("round %d: %s: %v", round, what, err)
		}
		if n != 0 {
			t.Fatalf("round %d: %s: %d rows", round, what, n)
		}
	}
	q("applications without manifest", `SELECT COUNT(*) FROM applications WHERE sealed IS NULL AND purged_at = 0`)
	q("half applications (material count)", `SELECT COUNT(*) FROM applications a
		WHERE a.purged_at = 0 AND a.n_materials != (SELECT COUNT(*) FROM materials m WHERE m.app_id = a.id)`)
	q("materials left after purge", `SELECT COUNT(*) FROM materials m JOIN applications a ON a.id = m.app_id
		WHERE a.purged_at != 0`)
	q("applications without outbox row", `SELECT COUNT(*) FROM applications a
		WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.app_id = a.id AND o.receipt = a.receipt)`)
	q("duplicate sequence numbers", `SELECT COUNT(*) FROM (SELECT 1 FROM applications GROUP BY kiosk, day, seq HAVING COUNT(*) > 1)`)
	q("gaps in sequence numbers", `SELECT COUNT(*) FROM (SELECT day, COUNT(*) AS n, MAX(seq) AS mx FROM applications
		GROUP BY kiosk, day HAVING n != mx)`)
	q("counters out of step", `SELECT COUNT(*) FROM day_counters c
		WHERE c.seq != (SELECT COUNT(*) FROM applications a WHERE a.kiosk = c.kiosk AND a.day = c.day)`)
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}

	// Applications the child committed but had no time to record (at most one per crash) must be whole too.
	rows, err := s.r.QueryContext(ctx, `SELECT receipt FROM applications`)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for rows.Next() {
		var rs string
		if err := rows.Scan(&rs); err != nil {
			t.Fatal(err)
		}
		all = append(all, rs)
	}
	rows.Close()
	if extra := len(all) - len(inSide); extra < 0 || extra > round+1 {
		t.Fatalf("round %d: %d applications stored, %d recorded", round, len(all), len(inSide))
	}
	var fresh []kiosk.Receipt
	for _, rs := range all {
		r, _ := kiosk.ParseReceipt(rs)
		if !verified[rs] {
			if _, err := s.Get(ctx, r); err != nil {
				t.Fatalf("round %d: unrecorded application %s: %v", round, rs, err)
			}
			verified[rs] = true
		}
		if !purged[rs] {
			fresh = append(fresh, r)
			purged[rs] = true
		}
	}
	// Decide and purge everything checked so far: it keeps the database (and the integrity checks at
	// every start) small over a long soak, and the child's next run reuses the freed pages.
	err = s.Update(ctx, func(tx *Tx) error {
		for _, r := range fresh {
			if err := tx.ApplyUpdate(r, kiosk.StateApproved, time.Now().Add(-2*DefaultRetention)); err != nil {
				return err
			}
		}
		_, err := tx.Purge()
		return err
	})
	if err != nil {
		t.Fatalf("round %d: purge: %v", round, err)
	}
	return len(lines)
}

// readyWriter is the child's stdout: it closes ready when the child says "ready".
type readyWriter struct {
	once  gosync.Once
	ready chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("ready")) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}
