package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/store"
	"huren/sync/wire"
)

// vclock is a virtual clock whose After advances it at once: backoff costs no real time.
type vclock struct {
	mu gosync.Mutex
	t  time.Time
}

func newVClock() *vclock { return &vclock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, kiosk.Shanghai)} }

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *vclock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *vclock) After(d time.Duration) <-chan time.Time {
	c.Advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// fakeOutbox is an in-memory Outbox for unit tests.
type fakeOutbox struct {
	mu     gosync.Mutex
	clock  kiosk.Clock
	apps   map[string]kiosk.Application
	rows   []*fakeRow
	cursor map[string]int64
	cfg    []byte
	purged int
}

type fakeRow struct {
	item               store.OutboxItem
	state              kiosk.State
	next               time.Time
	lastErr            string
	acceptedAt, dueAt  time.Time
	delivered, updated int
}

var _ Outbox = (*fakeOutbox)(nil)

func newFakeOutbox(clock kiosk.Clock) *fakeOutbox {
	return &fakeOutbox{clock: clock, apps: map[string]kiosk.Application{}, cursor: map[string]int64{}}
}

func (f *fakeOutbox) add(a kiosk.Application) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[a.Receipt.String()] = a
	f.rows = append(f.rows, &fakeRow{item: store.OutboxItem{ID: int64(len(f.rows) + 1), Receipt: a.Receipt,
		Downstream: store.DownstreamReview}, state: kiosk.StateQueued, next: f.clock.Now()})
}

func (f *fakeOutbox) row(id int64) *fakeRow { return f.rows[id-1] }

func (f *fakeOutbox) Claim(ctx context.Context, ds string, lease time.Duration) (store.OutboxItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	var best *fakeRow
	for _, r := range f.rows {
		if r.state != kiosk.StateQueued || r.next.After(now) || r.item.LeaseUntil.After(now) {
			continue
		}
		if best == nil || r.next.Before(best.next) {
			best = r
		}
	}
	if best == nil {
		return store.OutboxItem{}, store.ErrNoWork
	}
	best.item.LeaseUntil = now.Add(lease)
	best.item.Attempts++ // as the store does: a claim counts as an attempt
	return best.item, nil
}

func (f *fakeOutbox) DueNow(ctx context.Context, ds string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now, n := f.clock.Now(), 0
	for _, r := range f.rows {
		if r.state == kiosk.StateQueued && r.next.After(now) {
			r.next, n = now, n+1
		}
	}
	return n, nil
}

func (f *fakeOutbox) NextDue(ctx context.Context, ds string) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t time.Time
	ok := false
	for _, r := range f.rows {
		if r.state != kiosk.StateQueued {
			continue
		}
		n := r.next
		if r.item.LeaseUntil.After(n) {
			n = r.item.LeaseUntil
		}
		if !ok || n.Before(t) {
			t, ok = n, true
		}
	}
	return t, ok, nil
}

func (f *fakeOutbox) Get(ctx context.Context, r kiosk.Receipt) (kiosk.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.apps[r.String()]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}

func (f *fakeOutbox) Delivered(ctx context.Context, id int64, st kiosk.State, acc, due time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.row(id)
	r.state, r.acceptedAt, r.dueAt, r.item.LeaseUntil = st, acc, due, time.Time{}
	r.delivered++
	return nil
}

func (f *fakeOutbox) Retry(ctx context.Context, id int64, next time.Time, lastErr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.row(id)
	r.next, r.lastErr, r.item.LeaseUntil = next, lastErr, time.Time{}
	return nil
}

func (f *fakeOutbox) Dead(ctx context.Context, id int64, lastErr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.row(id)
	r.state, r.lastErr, r.item.LeaseUntil = kiosk.StateDead, lastErr, time.Time{}
	return nil
}

func (f *fakeOutbox) ApplyUpdate(ctx context.Context, rc kiosk.Receipt, st kiosk.State, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.item.Receipt.String() == rc.String() {
			r.state = st
			r.updated++
			return nil
		}
	}
	return store.ErrNotFound
}

func (f *fakeOutbox) Cursor(ctx context.Context, name string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursor[name], nil
}

func (f *fakeOutbox) SetCursor(ctx context.Context, name string, v int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursor[name] = v
	return nil
}

func (f *fakeOutbox) Purge(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.purged++
	return 0, nil
}

func (f *fakeOutbox) SaveConfig(ctx context.Context, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cfg = append([]byte(nil), b...)
	return nil
}

func (f *fakeOutbox) LoadConfig(ctx context.Context) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg == nil {
		return nil, store.ErrNotFound
	}
	return f.cfg, nil
}

func (f *fakeOutbox) Counts(ctx context.Context) (store.Counts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var c store.Counts
	for _, r := range f.rows {
		switch r.state {
		case kiosk.StateQueued:
			c.Queued++
		case kiosk.StateDead:
			c.Dead++
		default:
			c.Delivered++
		}
	}
	return c, nil
}

// testApp makes application seq of kiosk 1 with n materials of size bytes (deterministic content).
func testApp(seq, n, size int) kiosk.Application {
	day := time.Date(2026, 12, 4, 0, 0, 0, 0, kiosk.Shanghai)
	a := kiosk.Application{
		Receipt:     kiosk.NewReceipt(1, day, seq),
		StatusToken: fmt.Sprintf("tok-%06d-abcdefghijkl", seq),
		Applicant: kiosk.Applicant{Name: "张三", Number: "11010519491231002X", Sex: "男", Nation: "汉",
			Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, kiosk.Shanghai), CardType: idcard.TypeResident,
			ValidFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, kiosk.Shanghai)},
		Route: kiosk.RoutePermit, Condition: kiosk.ConditionResidence, Mobile: "13800138000",
		Address:       kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城北社区", Detail: "1幢101室"},
		NoticeVersion: "2026-1",
		CreatedAt:     day.Add(9 * time.Hour),
	}
	for i := 0; i < n; i++ {
		data := materialBytes(seq, i, size)
		h := sha256.Sum256(data)
		a.Materials = append(a.Materials, kiosk.Material{Kind: kiosk.MaterialProperty, Page: i + 1,
			ContentType: wire.ContentJPEG, Data: data, SHA256: hex.EncodeToString(h[:]), Size: int64(len(data))})
	}
	return a
}

// materialBytes is a JPEG-looking deterministic byte string unique to (seq, i).
func materialBytes(seq, i, size int) []byte {
	b := make([]byte, size)
	x := uint64(seq)*1000003 + uint64(i)*7919 + 1
	for j := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[j] = byte(x)
	}
	if size >= 4 {
		copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	}
	return b
}

// fakeServer is a small protocol v1 server for the client's unit tests (the integration tests use the real
// review service).
type fakeServer struct {
	t      testing.TB
	secret []byte
	kiosk  string

	mu        gosync.Mutex
	skew      time.Duration // server clock = real + skew
	manifests map[string][]byte
	blobs     map[string][]byte
	accepted  map[string]time.Time
	nonces    map[string]bool
	updates   []wire.Update
	beats     []wire.Heartbeat
	cfg       wire.KioskConfig
	// hook may answer instead of the server: return true when it wrote the answer.
	hook func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeServer(t testing.TB) *fakeServer {
	return &fakeServer{t: t, secret: []byte(strings.Repeat("k", 32)), kiosk: "K001",
		manifests: map[string][]byte{}, blobs: map[string][]byte{}, accepted: map[string]time.Time{},
		nonces: map[string]bool{}, cfg: wire.KioskConfig{Version: "c1", Settings: map[string]string{"hotline": "12345"}}}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(wire.ErrorBody{Error: wire.ErrorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hook, now := s.hook, time.Now().Add(s.skew)
	s.mu.Unlock()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if hook != nil && hook(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, wire.MaxMaterialBytes+1))
	if err != nil {
		return
	}
	path := strings.TrimPrefix(r.URL.Path, wire.BasePath)
	if strings.HasPrefix(path, "/status/") {
		s.mu.Lock()
		_, ok := s.accepted[strings.TrimPrefix(path, "/status/")]
		s.mu.Unlock()
		if !ok {
			writeErr(w, 404, wire.CodeNotFound, "无此回执")
			return
		}
		writeJSON(w, wire.Status{Receipt: strings.TrimPrefix(path, "/status/"), State: "accepted"})
		return
	}
	cr, err := wire.ParseCredentials(r.Header)
	if err != nil || cr.Kiosk != s.kiosk {
		writeErr(w, 401, wire.CodeUnauthorized, "bad credentials")
		return
	}
	if err := wire.Verify(cr, s.secret, r.Method, wire.PathAndQuery(r), wire.BodyHash(body), now); err != nil {
		writeErr(w, 401, wire.CodeUnauthorized, err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces[cr.Nonce] {
		writeErr(w, 401, wire.CodeUnauthorized, "nonce replay")
		return
	}
	s.nonces[cr.Nonce] = true
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == "PUT" && len(parts) == 2 && parts[0] == "applications":
		var m wire.Manifest
		if err := json.Unmarshal(body, &m); err != nil {
			writeErr(w, 400, wire.CodeInvalid, "bad manifest")
			return
		}
		if old, ok := s.manifests[parts[1]]; ok && string(old) != string(body) {
			writeErr(w, 409, wire.CodeConflict, "回执编号已存在且内容不同")
			return
		}
		s.manifests[parts[1]] = body
		resp := wire.ManifestResponse{State: "received", Missing: []string{}}
		for _, mr := range m.Materials {
			if _, ok := s.blobs[mr.SHA256]; !ok {
				resp.Missing = append(resp.Missing, mr.SHA256)
			}
		}
		if _, ok := s.accepted[parts[1]]; ok {
			resp.State = "accepted"
		}
		writeJSON(w, resp)
	case r.Method == "PUT" && len(parts) == 4 && parts[2] == "materials":
		if _, ok := s.manifests[parts[1]]; !ok {
			writeErr(w, 404, wire.CodeNotFound, "no manifest")
			return
		}
		if wire.BodyHash(body) != parts[3] {
			writeErr(w, 400, wire.CodeInvalid, "hash mismatch")
			return
		}
		s.blobs[parts[3]] = body
		w.WriteHeader(204)
	case r.Method == "POST" && len(parts) == 3 && parts[2] == "submit":
		raw, ok := s.manifests[parts[1]]
		if !ok {
			writeErr(w, 404, wire.CodeNotFound, "no manifest")
			return
		}
		var m wire.Manifest
		json.Unmarshal(raw, &m)
		for _, mr := range m.Materials {
			if _, ok := s.blobs[mr.SHA256]; !ok {
				writeErr(w, 409, wire.CodeConflict, "materials missing")
				return
			}
		}
		at, ok := s.accepted[parts[1]]
		if !ok {
			at = now.Truncate(time.Second)
			s.accepted[parts[1]] = at
			s.updates = append(s.updates, wire.Update{Cursor: int64(len(s.updates) + 1), Receipt: parts[1],
				State: "accepted", At: at})
		}
		writeJSON(w, wire.SubmitResponse{State: "accepted", AcceptedAt: at, DueAt: at.Add(48 * time.Hour)})
	case r.Method == "GET" && len(parts) == 3 && parts[2] == "updates":
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		out := wire.Updates{Updates: []wire.Update{}, Cursor: after}
		for _, u := range s.updates {
			if u.Cursor > after && len(out.Updates) < 50 {
				out.Updates = append(out.Updates, u)
				out.Cursor = u.Cursor
			}
		}
		writeJSON(w, out)
	case r.Method == "GET" && len(parts) == 3 && parts[2] == "config":
		writeJSON(w, s.cfg)
	case r.Method == "POST" && len(parts) == 3 && parts[2] == "heartbeat":
		var hb wire.Heartbeat
		json.Unmarshal(body, &hb)
		s.beats = append(s.beats, hb)
		w.WriteHeader(204)
	case r.Method == "POST" && path == "/precheck":
		writeJSON(w, wire.Precheck{Known: true, HasPermit: true, PermitCity: "330100", RegisteredSince: "2024-01-02", Months: 30})
	default:
		writeErr(w, 404, wire.CodeNotFound, "no route")
	}
}

func (s *fakeServer) acceptedReceipts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for r := range s.accepted {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}
