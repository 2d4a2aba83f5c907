package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/sync/wire"
)

func newTestClient(t testing.TB, url string, secret []byte) *Client {
	t.Helper()
	c, err := NewClient(Options{BaseURL: url, KioskID: "K001", Secret: secret, Version: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestNewClientRejectsBadOptions(t *testing.T) {
	good := Options{BaseURL: "http://127.0.0.1:1", KioskID: "K001", Secret: make([]byte, 32)}
	for name, mod := range map[string]func(o *Options){
		"scheme": func(o *Options) { o.BaseURL = "ftp://x" },
		"kiosk":  func(o *Options) { o.KioskID = "" },
		"secret": func(o *Options) { o.Secret = make([]byte, 31) },
		"ca":     func(o *Options) { o.CAFile = filepath.Join(t.TempDir(), "none.pem") },
		"pin":    func(o *Options) { o.PinSHA256 = "abc" },
	} {
		o := good
		mod(&o)
		if _, err := NewClient(o); err == nil {
			t.Errorf("%s: NewClient accepted bad options", name)
		}
	}
	if _, err := NewClient(good); err != nil {
		t.Fatal(err)
	}
}

func TestDeliverResumesAndIsIdempotent(t *testing.T) {
	fs := newFakeServer(t)
	var mu gosync.Mutex
	puts := 0
	uas := map[string]bool{}
	fs.hook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		uas[r.UserAgent()] = true
		if strings.Contains(r.URL.Path, "/materials/") {
			puts++
			if puts == 2 { // the connection drops during the second material
				panic(http.ErrAbortHandler)
			}
		}
		return false
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newTestClient(t, srv.URL, fs.secret)
	a := testApp(1, 3, 1000)
	ctx := context.Background()
	_, err := c.Deliver(ctx, a)
	if !errors.Is(err, ErrOffline) || !Retryable(err) {
		t.Fatalf("interrupted delivery: err = %v, want retryable ErrOffline", err)
	}
	resp, err := c.Deliver(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if resp.State != "accepted" || resp.AcceptedAt.IsZero() {
		t.Fatalf("submit answer %+v", resp)
	}
	// first try: 2 PUTs (1 ok, 1 dropped); second: only the 2 still missing.
	if puts != 4 {
		t.Errorf("material PUTs = %d, want 4 (resume uploads only the missing ones)", puts)
	}
	if _, err := c.Deliver(ctx, a); err != nil || puts != 4 {
		t.Fatalf("re-delivery: err %v, puts %d (want no upload)", err, puts)
	}
	if !uas["huren-kiosk/1.2.3"] || len(uas) != 1 {
		t.Errorf("user agents %v", uas)
	}
	// A different manifest for the same receipt is a permanent 409.
	b := a
	b.Mobile = "13900139000"
	_, err = c.Deliver(ctx, b)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 409 || ae.Code != wire.CodeConflict || !Permanent(err) {
		t.Fatalf("changed manifest: err = %v, want permanent 409 conflict", err)
	}
	if !strings.Contains(ae.Message, "回执编号已存在") {
		t.Errorf("message %q lost", ae.Message)
	}
}

func TestErrorClassification(t *testing.T) {
	fs := newFakeServer(t)
	var status int
	var retryAfter, body string
	fs.hook = func(w http.ResponseWriter, r *http.Request) bool {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if body != "" {
			w.WriteHeader(status)
			w.Write([]byte(body))
			return true
		}
		writeErr(w, status, "x", "msg")
		return true
	}
	srv := httptest.NewServer(fs)
	c := newTestClient(t, srv.URL, fs.secret)
	ctx := context.Background()
	cases := []struct {
		status     int
		retryAfter string
		body       string
		permanent  bool
		offline    bool
		after      time.Duration
	}{
		{400, "", "", true, false, 0},
		{409, "", "", true, false, 0},
		{413, "", "", true, false, 0},
		{401, "", "", false, false, 0},
		{403, "", "", false, false, 0},
		{429, "7", "", false, false, 7 * time.Second},
		{500, "", "", false, false, 0},
		{502, "", "<html>bad gateway</html>", false, true, 0},
		{503, "120", "", false, true, 2 * time.Minute},
		{504, "", "", false, true, 0},
	}
	for _, tc := range cases {
		status, retryAfter, body = tc.status, tc.retryAfter, tc.body
		_, err := c.Config(ctx)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tc.status {
			t.Fatalf("%d: err %v", tc.status, err)
		}
		if Permanent(err) != tc.permanent || Retryable(err) == tc.permanent {
			t.Errorf("%d: permanent %v retryable %v", tc.status, Permanent(err), Retryable(err))
		}
		if errors.Is(err, ErrOffline) != tc.offline {
			t.Errorf("%d: offline %v", tc.status, errors.Is(err, ErrOffline))
		}
		if RetryAfter(err) != tc.after {
			t.Errorf("%d: retry after %v, want %v", tc.status, RetryAfter(err), tc.after)
		}
		if tc.body != "" && ae.Message != tc.body {
			t.Errorf("%d: non-protocol body kept as %q", tc.status, ae.Message)
		}
	}
	srv.Close()
	_, err := c.Config(ctx)
	if !errors.Is(err, ErrOffline) || !Retryable(err) || Permanent(err) {
		t.Fatalf("closed server: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Config(cctx)
	if !errors.Is(err, context.Canceled) || Retryable(err) || errors.Is(err, ErrOffline) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestTruncatedAnswerIsOffline(t *testing.T) {
	fs := newFakeServer(t)
	fs.hook = func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(200)
		w.Write([]byte(`{"version":"c1","sett`))
		return true
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	_, err := newTestClient(t, srv.URL, fs.secret).Config(context.Background())
	if !errors.Is(err, ErrOffline) || !Retryable(err) {
		t.Fatalf("truncated answer: %v", err)
	}
}

func TestClockSkewCorrected(t *testing.T) {
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		fs := newFakeServer(t)
		fs.skew = skew
		srv := httptest.NewServer(fs)
		c := newTestClient(t, srv.URL, fs.secret)
		cfg, err := c.Config(context.Background())
		if err != nil || cfg.Version != "c1" {
			t.Fatalf("skew %v: %v", skew, err)
		}
		if d := c.ClockOffset() - skew; d > 5*time.Second || d < -5*time.Second {
			t.Errorf("offset %v, want about %v", c.ClockOffset(), skew)
		}
		srv.Close()
	}
	// A 401 that is not a skew is returned as it is.
	fs := newFakeServer(t)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newTestClient(t, srv.URL, []byte(strings.Repeat("x", 32)))
	_, err := c.Config(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 401 || c.ClockOffset() != 0 {
		t.Fatalf("wrong secret: %v offset %v", err, c.ClockOffset())
	}
}

func TestTLSCustomCAAndPin(t *testing.T) {
	fs := newFakeServer(t)
	srv := httptest.NewTLSServer(fs)
	defer srv.Close()
	cert := srv.Certificate()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	der := sha256.Sum256(cert.Raw)
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	colon := strings.ToUpper(hex.EncodeToString(der[:]))
	var sb strings.Builder
	for i := 0; i < len(colon); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(colon[i : i+2])
	}
	ctx := context.Background()
	mk := func(ca, pin string) *Client {
		c, err := NewClient(Options{BaseURL: srv.URL, KioskID: "K001", Secret: fs.secret, CAFile: ca, PinSHA256: pin})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	for _, pin := range []string{"", hex.EncodeToString(spki[:]), sb.String()} {
		if _, err := mk(caFile, pin).Config(ctx); err != nil {
			t.Errorf("pin %q: %v", pin, err)
		}
	}
	wrong := sha256.Sum256([]byte("other"))
	_, err := mk(caFile, hex.EncodeToString(wrong[:])).Config(ctx)
	if !errors.Is(err, ErrPin) || !errors.Is(err, ErrOffline) {
		t.Errorf("wrong pin: %v", err)
	}
	if _, err := mk("", "").Config(ctx); err == nil || !errors.Is(err, ErrOffline) {
		t.Errorf("untrusted CA accepted: %v", err)
	}
}

func TestStatusAndPrecheck(t *testing.T) {
	fs := newFakeServer(t)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	c := newTestClient(t, srv.URL, fs.secret)
	ctx := context.Background()
	a := testApp(7, 1, 100)
	if _, err := c.Status(ctx, a.Receipt, a.StatusToken); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown receipt: %v", err)
	}
	if _, err := c.Deliver(ctx, a); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx, a.Receipt, a.StatusToken)
	if err != nil || st.State != "accepted" {
		t.Fatalf("status %+v %v", st, err)
	}
	p, err := c.Precheck(ctx, "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 1, 2, 0, 0, 0, 0, kiosk.Shanghai)
	if !p.Known || !p.HasPermit || p.Months != 30 || !p.RegisteredSince.Equal(want) {
		t.Fatalf("precheck %+v", p)
	}
	srv.Close()
	if _, err := c.Status(ctx, a.Receipt, a.StatusToken); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline status: %v", err)
	}
}

func TestBuildManifest(t *testing.T) {
	a := testApp(3, 2, 64)
	a.Applicant.ValidTo = time.Time{}
	m, err := BuildManifest(a, "K001")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(a.StatusToken))
	if m.StatusTokenHash != hex.EncodeToString(h[:]) || m.Receipt != "331122-001-261204-0003" || m.Kiosk != "K001" {
		t.Errorf("manifest %+v", m)
	}
	if m.Applicant.Birth != "1949-12-31" || m.Applicant.ValidTo != "" || m.Applicant.CardType != "resident" {
		t.Errorf("applicant %+v", m.Applicant)
	}
	if len(m.Materials) != 2 || m.Materials[1].SHA256 != a.Materials[1].SHA256 || m.Materials[1].Size != 64 {
		t.Errorf("materials %+v", m.Materials)
	}
	b := a
	b.Materials = append([]kiosk.Material(nil), a.Materials...)
	b.Materials[0].Data = append([]byte(nil), a.Materials[0].Data...)
	b.Materials[0].Data[10] ^= 1
	if _, err := BuildManifest(b, "K001"); !errors.Is(err, ErrBadMaterial) || !Permanent(err) {
		t.Errorf("corrupt material: %v", err)
	}
	b.Materials = []kiosk.Material{{Kind: kiosk.MaterialLease, Page: 1, Data: make([]byte, wire.MaxMaterialBytes+1)}}
	if _, err := BuildManifest(b, "K001"); !errors.Is(err, ErrBadMaterial) {
		t.Errorf("too large: %v", err)
	}
	b.StatusToken = ""
	if _, err := BuildManifest(b, "K001"); err == nil {
		t.Error("no token accepted")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "0": 0, "-5": 0, "30": 30 * time.Second, "999999": time.Hour, "junk": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "5", "Fri, 04 Dec 2026 12:00:00 GMT", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := parseRetryAfter(s, now); d < 0 || d > time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %v out of [0, 1h]", s, d)
		}
	})
}

func FuzzAPIErrorFrom(f *testing.F) {
	f.Add(409, []byte(`{"error":{"code":"conflict","message":"回执编号已存在"}}`))
	f.Add(502, []byte("<html>bad gateway</html>"))
	f.Add(500, []byte{0xff, 0xfe, '{'})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := apiErrorFrom(status, http.Header{"Retry-After": {"3"}}, body, time.Now())
		if e.Status != status || len(e.Message) > 3*len(body) || e.RetryAfter != 3*time.Second {
			t.Fatalf("apiErrorFrom(%d, %q) = %+v", status, body, e)
		}
		_ = e.Error()
	})
}
