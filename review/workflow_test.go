package review_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/workday"
	"huren/review"
	"huren/review/reviewtest"
	"huren/sync/wire"
)

func sh(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, kiosk.Shanghai)
}

func TestDeadlinesAcrossSpringFestivalAndNormalWeek(t *testing.T) {
	cases := []struct {
		name     string
		accepted time.Time
		due      time.Time
	}{
		// 2023 Spring Festival: holidays 21–27 January; Saturday 28 and Sunday 29 January are working days.
		{"Friday before Spring Festival", sh(2023, 1, 20, 10, 0), time.Date(2023, 1, 29, 23, 59, 59, 0, kiosk.Shanghai)},
		{"during the holiday", sh(2023, 1, 24, 9, 0), time.Date(2023, 1, 29, 23, 59, 59, 0, kiosk.Shanghai)},
		{"adjusted Saturday", sh(2023, 1, 28, 15, 0), time.Date(2023, 1, 30, 23, 59, 59, 0, kiosk.Shanghai)},
		// A normal week.
		{"Wednesday", sh(2023, 3, 15, 10, 0), time.Date(2023, 3, 17, 23, 59, 59, 0, kiosk.Shanghai)},
		{"Thursday", sh(2023, 3, 16, 17, 30), time.Date(2023, 3, 20, 23, 59, 59, 0, kiosk.Shanghai)},
		{"Friday evening", sh(2023, 3, 17, 23, 0), time.Date(2023, 3, 21, 23, 59, 59, 0, kiosk.Shanghai)},
		{"Sunday", sh(2023, 3, 19, 11, 0), time.Date(2023, 3, 21, 23, 59, 59, 0, kiosk.Shanghai)},
	}
	eachStore(t, func(t *testing.T, o review.Options) {
		e, clock := startAt(t, o, cases[0].accepted)
		for i, c := range cases {
			clock.Set(c.accepted)
			m, token, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(c.accepted, i+1), "吴九", 1, c.accepted)
			r := e.Deliver(t, m, files)
			if !r.AcceptedAt.Equal(c.accepted) || !r.DueAt.Equal(c.due) {
				t.Errorf("%s: accepted %v due %v, want due %v", c.name, r.AcceptedAt, r.DueAt, c.due)
			}
			if got := workday.Default().Deadline(c.accepted, 2); !got.Equal(c.due) {
				t.Errorf("%s: calendar says %v", c.name, got)
			}
			st, err := e.Service.Status(context.Background(), m.Receipt, token)
			if err != nil || !st.DueAt.Equal(c.due) || st.StateLabel != "已受理" {
				t.Errorf("%s: status %+v %v", c.name, st, err)
			}
		}
	})
}

// readLines reads a JSONL file.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}

func TestWorkflowSLAAndDecisions(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		ctx := context.Background()
		accepted := sh(2023, 1, 20, 10, 0) // before the Spring Festival
		e, clock := startAt(t, o, accepted)
		s := e.Service
		ma, tokA, fa := reviewtest.SampleApplication(reviewtest.SampleReceipt(accepted, 1), "郑十", 3, accepted)
		mr, tokR, fr := reviewtest.SampleApplication(reviewtest.SampleReceipt(accepted, 2), "冯十一", 1, accepted)
		e.Deliver(t, ma, fa)
		e.Deliver(t, mr, fr)

		// On the first holiday nothing is overdue; the queue is sorted by due time.
		clock.Set(sh(2023, 1, 23, 9, 0))
		st, err := s.Stats(ctx)
		if err != nil || st.Open != 2 || st.Overdue != 0 {
			t.Fatalf("stats during the holiday: %+v %v", st, err)
		}
		// On the due day (adjusted working Sunday 29 January) they are due today.
		clock.Set(sh(2023, 1, 29, 9, 0))
		q, err := s.Queue(ctx)
		if err != nil || len(q) != 2 || !q[0].DueToday || q[0].Overdue {
			t.Fatalf("queue on the due day: %+v %v", q, err)
		}
		// The Monday after they are overdue.
		clock.Set(sh(2023, 1, 30, 9, 0))
		st, _ = s.Stats(ctx)
		q, _ = s.Queue(ctx)
		if st.Overdue != 2 || !q[0].Overdue || !q[1].Overdue {
			t.Fatalf("overdue not flagged: %+v %+v", st, q)
		}
		if n, err := s.FlagOverdue(ctx); n != 2 || err != nil {
			t.Errorf("flag overdue: %d %v", n, err)
		}
		if n, _ := s.FlagOverdue(ctx); n != 0 {
			t.Errorf("flagged twice: %d", n)
		}

		// Rejection needs a reason; unknown codes are refused.
		if err := s.Decide(ctx, "reviewer", mr.Receipt, review.Decision{}); !errors.Is(err, review.ErrNoReason) {
			t.Errorf("reject without reason: %v", err)
		}
		if err := s.Decide(ctx, "reviewer", mr.Receipt, review.Decision{Reasons: []string{"nope"}}); err == nil {
			t.Error("unknown reason accepted")
		}
		if err := s.Decide(ctx, "reviewer", mr.Receipt, review.Decision{Reasons: []string{"permit_unknown"}}); err == nil {
			t.Error("a note accepted as a refusal reason")
		}
		reasons := []string{"lease_filing_missing", "registration_short"}
		if err := s.Decide(ctx, "reviewer", mr.Receipt, review.Decision{Reasons: reasons, Note: "请补充备案证明"}); err != nil {
			t.Fatalf("reject: %v", err)
		}
		if err := s.Decide(ctx, "reviewer", ma.Receipt, review.Decision{Approve: true}); err != nil {
			t.Fatalf("approve: %v", err)
		}
		// A decided application cannot be decided again.
		if err := s.Decide(ctx, "reviewer", ma.Receipt, review.Decision{Approve: true}); !errors.Is(err, review.ErrState) {
			t.Errorf("second decision: %v", err)
		}
		if err := s.Decide(ctx, "reviewer", reviewtest.SampleReceipt(accepted, 9), review.Decision{Approve: true}); !errors.Is(err, review.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		st, _ = s.Stats(ctx)
		if st.Open != 0 || st.Overdue != 0 || st.OutboxPending != 3 {
			t.Errorf("after decisions: %+v", st)
		}

		// Status: every reason (and the note), and the permit.
		sr, err := s.Status(ctx, mr.Receipt, tokR)
		if err != nil || sr.Decision != "rejected" || sr.StateLabel != "不予办理" || len(sr.Reasons) != 3 {
			t.Fatalf("rejected status: %+v %v", sr, err)
		}
		if sr.Reasons[0].Code != "lease_filing_missing" || sr.Reasons[1].Code != "registration_short" || !strings.Contains(sr.Reasons[2].Message, "请补充备案证明") {
			t.Errorf("reasons: %+v", sr.Reasons)
		}
		sa, err := s.Status(ctx, ma.Receipt, tokA)
		if err != nil || sa.Decision != "approved" || !strings.HasPrefix(sa.PermitNo, "ZJ3311222023") || sa.Next == "" {
			t.Errorf("approved status: %+v %v", sa, err)
		}

		// The updates feed: every change, in order, by cursor.
		code, b := e.Do(t, "GET", wire.BasePath+"/kiosks/K001/updates?after=0", nil, "")
		var u wire.Updates
		if err := json.Unmarshal(b, &u); err != nil || code != 200 {
			t.Fatalf("updates: %d %s", code, b)
		}
		var seq []string
		for _, up := range u.Updates {
			if up.Receipt == ma.Receipt {
				seq = append(seq, up.State)
			}
		}
		if strings.Join(seq, ",") != "awaiting_materials,received,accepted,approved" {
			t.Errorf("events of approved app: %v", seq)
		}
		last := u.Updates[len(u.Updates)-1]
		if u.Cursor != last.Cursor {
			t.Errorf("cursor %d, last %d", u.Cursor, last.Cursor)
		}
		var rej wire.Update
		for _, up := range u.Updates {
			if up.Receipt == mr.Receipt && up.State == "rejected" {
				rej = up
			}
		}
		if len(rej.Reasons) != 3 || rej.DueAt.IsZero() {
			t.Errorf("rejected update: %+v", rej)
		}
		code, b = e.Do(t, "GET", wire.BasePath+"/kiosks/K001/updates?after="+itoa(u.Cursor), nil, "")
		var u2 wire.Updates
		json.Unmarshal(b, &u2)
		if code != 200 || len(u2.Updates) != 0 || u2.Cursor != u.Cursor {
			t.Errorf("updates after cursor: %s", b)
		}
		if code, _ := e.Do(t, "GET", wire.BasePath+"/kiosks/K001/updates?after=-1", nil, ""); code != 400 {
			t.Errorf("negative cursor: %d", code)
		}

		// The outbox sends the SMS and the provincial push.
		if _, err := s.ProcessOutbox(ctx); err != nil {
			t.Fatal(err)
		}
		sms := readLines(t, e.SMSFile)
		if len(sms) != 2 {
			t.Fatalf("sms: %v", sms)
		}
		texts := map[string]string{}
		for _, m := range sms {
			texts[m["receipt"].(string)] = m["text"].(string)
			if m["to"] != "13800138000" {
				t.Errorf("sms to %v", m["to"])
			}
		}
		if tx := texts[ma.Receipt]; !strings.Contains(tx, ma.Receipt) || !strings.Contains(tx, "审核通过") || !strings.Contains(tx, sa.PermitNo) {
			t.Errorf("approval sms: %s", tx)
		}
		tx := texts[mr.Receipt]
		for _, want := range []string{mr.Receipt, "不予办理", "租赁登记备案证明", "连续居住登记不满六个月", "请补充备案证明"} {
			if !strings.Contains(tx, want) {
				t.Errorf("rejection sms lacks %q: %s", want, tx)
			}
		}
		prov := readLines(t, e.ProvinceFile)
		if len(prov) != 1 || prov[0]["permit_no"] != sa.PermitNo || prov[0]["id_number"] != reviewtest.SampleNumber {
			t.Errorf("province: %v", prov)
		}
		st, _ = s.Stats(ctx)
		if st.OutboxPending != 0 {
			t.Errorf("outbox pending after send: %+v", st)
		}
		// Every action is audited.
		log, _ := s.AuditLog(ctx, 100)
		actions := map[string]int{}
		for _, a := range log {
			actions[a.Action]++
		}
		if actions["review.approved"] != 1 || actions["review.rejected"] != 1 || actions["intake.submit"] != 2 || actions["sla.overdue"] != 2 {
			t.Errorf("audit: %v", actions)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// flakySMS fails the first n sends.
type flakySMS struct {
	mu   gosync.Mutex
	fail int
	sent []review.SMS
}

var _ review.SMSSender = (*flakySMS)(nil)

func (f *flakySMS) SendSMS(ctx context.Context, m review.SMS) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("gateway down")
	}
	f.sent = append(f.sent, m)
	return nil
}

func TestOutboxRetryWithBackoff(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		ctx := context.Background()
		sms := &flakySMS{fail: 2}
		o.SMS = sms
		e, clock := startAt(t, o, t0)
		s := e.Service
		m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "陈一", 1, t0)
		e.Deliver(t, m, files)
		if err := s.Decide(ctx, "reviewer", m.Receipt, review.Decision{Reasons: []string{"registration_short"}}); err != nil {
			t.Fatal(err)
		}
		n, err := s.ProcessOutbox(ctx)
		if err != nil || n != 0 {
			t.Fatalf("first attempt: %d %v", n, err)
		}
		items, _ := s.Outbox(ctx, 10)
		if len(items) != 1 || items[0].Attempts != 1 || items[0].LastError == "" || !items[0].NextAt.Equal(t0.Add(10*time.Second)) {
			t.Fatalf("after failure: %+v", items)
		}
		// Not due yet: nothing happens.
		clock.Add(5 * time.Second)
		if n, _ := s.ProcessOutbox(ctx); n != 0 {
			t.Error("sent before backoff elapsed")
		}
		items, _ = s.Outbox(ctx, 10)
		if items[0].Attempts != 1 {
			t.Errorf("attempted before due: %+v", items[0])
		}
		clock.Add(5 * time.Second)
		s.ProcessOutbox(ctx) // second failure: backoff doubles
		items, _ = s.Outbox(ctx, 10)
		if items[0].Attempts != 2 || !items[0].NextAt.Equal(clock.Now().Add(20*time.Second)) {
			t.Fatalf("second failure: %+v", items[0])
		}
		clock.Add(20 * time.Second)
		if n, err := s.ProcessOutbox(ctx); n != 1 || err != nil {
			t.Fatalf("third attempt: %d %v", n, err)
		}
		items, _ = s.Outbox(ctx, 10)
		if !items[0].Done || len(sms.sent) != 1 || !strings.Contains(sms.sent[0].Text, "连续居住登记不满六个月") {
			t.Errorf("after success: %+v %+v", items[0], sms.sent)
		}
	})
}

func TestHTTPDriversSign(t *testing.T) {
	secret := []byte("province-secret")
	var got []byte
	var sig, ts string
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		sig, ts = r.Header.Get(wire.HeaderSignature), r.Header.Get(wire.HeaderTimestamp)
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
		}
	})
	p := review.NewHTTPProvince(srv+"/ok", secret)
	if err := p.PushPermit(context.Background(), review.ProvincePermit{PermitNo: "ZJ1", Receipt: "r"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"permit_no":"ZJ1"`) || !review.VerifyPosterSignature(secret, ts, got, sig) {
		t.Errorf("push body %s sig %s", got, sig)
	}
	s := review.NewHTTPSMS(srv+"/fail", secret)
	if err := s.SendSMS(context.Background(), review.SMS{To: "1", Text: "x"}); !errors.Is(err, review.ErrRemote) {
		t.Errorf("503: %v", err)
	}
}

func TestConcurrentDecisions(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		ctx := context.Background()
		e, _ := startAt(t, o, t0)
		s := e.Service
		const n = 6
		var receipts []string
		for i := 1; i <= n; i++ {
			m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, i), "褚三", 1, t0)
			e.Deliver(t, m, files)
			receipts = append(receipts, m.Receipt)
		}
		// Two reviewers decide the same application at once: exactly one wins.
		errs := make(chan error, 2)
		for i := 0; i < 2; i++ {
			go func(i int) {
				errs <- s.Decide(ctx, "r"+itoa(int64(i)), receipts[0], review.Decision{Approve: i == 0, Reasons: []string{"registration_short"}})
			}(i)
		}
		var ok, state int
		for i := 0; i < 2; i++ {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, review.ErrState):
				state++
			default:
				t.Errorf("decide: %v", err)
			}
		}
		if ok != 1 || state != 1 {
			t.Errorf("same application decided %d times (%d refused)", ok, state)
		}
		// Approvals of different applications at once get distinct permit numbers.
		var wg gosync.WaitGroup
		for _, r := range receipts[1:] {
			wg.Add(1)
			go func(r string) {
				defer wg.Done()
				if err := s.Decide(ctx, "reviewer", r, review.Decision{Approve: true}); err != nil {
					t.Errorf("approve %s: %v", r, err)
				}
			}(r)
		}
		wg.Wait()
		s.ProcessOutbox(ctx)
		seen := map[string]bool{}
		for _, p := range readLines(t, e.ProvinceFile) {
			no := p["permit_no"].(string)
			if seen[no] {
				t.Errorf("permit number %s issued twice", no)
			}
			seen[no] = true
		}
		if len(seen) < n-1 {
			t.Errorf("%d permits pushed, want at least %d", len(seen), n-1)
		}
	})
}
