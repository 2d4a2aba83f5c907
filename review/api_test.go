package review_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/workday"
	"huren/review"
	"huren/review/reviewtest"
	"huren/sync/wire"
)

func TestMain(m *testing.M) {
	code := m.Run()
	reviewtest.StopPostgres()
	os.Exit(code)
}

// eachStore runs f once on SQLite and once on PostgreSQL (a throwaway cluster started by the test setup).
func eachStore(t *testing.T, f func(t *testing.T, o review.Options)) {
	t.Helper()
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			var o review.Options
			if b == "postgres" {
				o.DB = reviewtest.Postgres(t)
			}
			f(t, o)
		})
	}
}

var t0 = time.Date(2023, 3, 15, 10, 0, 0, 0, kiosk.Shanghai) // a Wednesday

func startAt(t *testing.T, o review.Options, at time.Time) (*reviewtest.Env, *reviewtest.Clock) {
	c := reviewtest.NewClock(at)
	o.Clock = c
	return reviewtest.StartWith(t, o), c
}

func errCode(t *testing.T, b []byte) string {
	t.Helper()
	var eb wire.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	if eb.Error.Message == "" {
		t.Errorf("error body without message: %s", b)
	}
	return eb.Error.Code
}

func manifestPath(receipt string) string { return wire.BasePath + "/applications/" + receipt }

func TestAuthFailures(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, clock := startAt(t, o, t0)
		path := wire.BasePath + "/kiosks/K001/updates?after=0"

		// A good request works.
		if code, b := e.Do(t, "GET", path, nil, ""); code != 200 {
			t.Fatalf("good request: %d %s", code, b)
		}
		check := func(name string, req *http.Request, want int) {
			t.Helper()
			code, b := reviewtest.Send(t, req)
			if code != want {
				t.Errorf("%s: status %d, want %d (%s)", name, code, want, b)
				return
			}
			if want == 401 && errCode(t, b) != wire.CodeUnauthorized {
				t.Errorf("%s: code %s", name, b)
			}
		}
		// No headers at all.
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		check("no headers", req, 401)
		// Unknown kiosk.
		other := bytes.Repeat([]byte{7}, 32)
		check("unknown kiosk", e.Request(t, "K999", other, "GET", wire.BasePath+"/kiosks/K999/updates", nil, ""), 401)
		// Wrong secret.
		check("wrong secret", e.Request(t, "K001", other, "GET", path, nil, ""), 401)
		// Tampered signature.
		req = e.Request(t, "K001", e.Secret, "GET", path, nil, "")
		sig := []byte(req.Header.Get(wire.HeaderSignature))
		sig[0] ^= 1
		if sig[0] > 'f' || (sig[0] > '9' && sig[0] < 'a') {
			sig[0] = '0'
		}
		req.Header.Set(wire.HeaderSignature, string(sig))
		check("tampered signature", req, 401)
		// Signed for another path (query changed after signing).
		req = e.Request(t, "K001", e.Secret, "GET", path, nil, "")
		req.URL.RawQuery = "after=5"
		check("query changed", req, 401)
		// Body changed after signing.
		m, _, _ := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "张三", 1, t0)
		body, _ := json.Marshal(m)
		req = e.Request(t, "K001", e.Secret, "PUT", manifestPath(m.Receipt), body, "application/json")
		req.Body = http.NoBody
		req.ContentLength = 0
		check("body changed", req, 401)
		// Clock skew: signed 301 s in the past and in the future.
		for _, d := range []time.Duration{-301 * time.Second, 301 * time.Second} {
			req, _ = http.NewRequest("GET", e.URL+path, nil)
			wire.SignRequest(req, "K001", e.Secret, wire.BodyHash(nil), clock.Now().Add(d))
			check("skew "+d.String(), req, 401)
		}
		// Within the window is fine.
		req, _ = http.NewRequest("GET", e.URL+path, nil)
		wire.SignRequest(req, "K001", e.Secret, wire.BodyHash(nil), clock.Now().Add(-299*time.Second))
		check("skew 299s", req, 200)
		// Replayed nonce: the same signed request twice.
		req = e.Request(t, "K001", e.Secret, "GET", path, nil, "")
		check("first use", req.Clone(context.Background()), 200)
		check("replay", req.Clone(context.Background()), 401)
		// After 10 minutes the nonce is forgotten, but then the timestamp is stale anyway.
		clock.Add(11 * time.Minute)
		check("replay after 11 min (stale)", req.Clone(context.Background()), 401)
		// Disabled kiosk.
		if err := e.Service.DisableKiosk(context.Background(), "K001"); err != nil {
			t.Fatal(err)
		}
		check("disabled kiosk", e.Request(t, "K001", e.Secret, "GET", path, nil, ""), 401)
	})
}

func TestManifestIdempotentAndConflict(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 1), "李四", 3, t0)
		body, _ := json.Marshal(m)
		var first wire.ManifestResponse
		for i := 0; i < 2; i++ {
			code, b := e.Do(t, "PUT", manifestPath(m.Receipt), body, "application/json")
			if code != 200 {
				t.Fatalf("manifest put %d: %d %s", i, code, b)
			}
			var r wire.ManifestResponse
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if r.State != "awaiting_materials" || len(r.Missing) != 3 {
				t.Fatalf("manifest answer %d: %+v", i, r)
			}
			if i == 0 {
				first = r
			} else if strings.Join(first.Missing, ",") != strings.Join(r.Missing, ",") {
				t.Errorf("missing differs: %v vs %v", first.Missing, r.Missing)
			}
		}
		// Re-marshalled with different whitespace: still the same manifest.
		var buf bytes.Buffer
		json.Indent(&buf, body, "", "  ")
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), buf.Bytes(), "application/json"); code != 200 {
			t.Errorf("same manifest, other whitespace: %d %s", code, b)
		}
		// A different body for the same receipt.
		m2 := m
		m2.Mobile = "13900139000"
		body2, _ := json.Marshal(m2)
		code, b := e.Do(t, "PUT", manifestPath(m.Receipt), body2, "application/json")
		if code != 409 || errCode(t, b) != wire.CodeConflict {
			t.Errorf("different manifest: %d %s", code, b)
		}
		// Materials arrive; the state becomes received; the manifest answer lists nothing missing.
		for sum, f := range files {
			if code, b := e.Do(t, "PUT", manifestPath(m.Receipt)+"/materials/"+sum, f.Data, f.ContentType); code != 200 {
				t.Fatalf("material: %d %s", code, b)
			}
		}
		code, b = e.Do(t, "PUT", manifestPath(m.Receipt), body, "application/json")
		var r wire.ManifestResponse
		json.Unmarshal(b, &r)
		if code != 200 || r.State != "received" || len(r.Missing) != 0 {
			t.Errorf("after materials: %d %s", code, b)
		}
	})
}

func TestMaterialChecks(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 2), "王五", 1, t0)
		body, _ := json.Marshal(m)
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), body, "application/json"); code != 200 {
			t.Fatalf("manifest: %d %s", code, b)
		}
		var sum string
		var f reviewtest.Material
		for sum, f = range files {
		}
		mp := manifestPath(m.Receipt) + "/materials/"
		// Hash mismatch: other bytes of the same length under this hash.
		bad := bytes.Clone(f.Data)
		bad[len(bad)/2] ^= 0xff
		if code, b := e.Do(t, "PUT", mp+sum, bad, f.ContentType); code != 400 || errCode(t, b) != wire.CodeInvalid {
			t.Errorf("hash mismatch: %d %s", code, b)
		}
		// Wrong content type.
		if code, b := e.Do(t, "PUT", mp+sum, f.Data, "image/png"); code != 415 {
			t.Errorf("png: %d %s", code, b)
		}
		// Bytes that are not what the content type says (an HTML page declared as a JPEG), listed in a manifest.
		html := []byte("<html><script>alert(1)</script></html>")
		hs := sha256.Sum256(html)
		m2, _, _ := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 3), "赵六", 1, t0)
		m2.Materials[0].SHA256, m2.Materials[0].Size = hex.EncodeToString(hs[:]), int64(len(html))
		body2, _ := json.Marshal(m2)
		if code, b := e.Do(t, "PUT", manifestPath(m2.Receipt), body2, "application/json"); code != 200 {
			t.Fatalf("manifest 2: %d %s", code, b)
		}
		if code, b := e.Do(t, "PUT", manifestPath(m2.Receipt)+"/materials/"+hex.EncodeToString(hs[:]), html, wire.ContentJPEG); code != 415 {
			t.Errorf("html as jpeg: %d %s", code, b)
		}
		if _, err := e.Service.Material(hex.EncodeToString(hs[:])); err == nil {
			t.Error("html stored as a material")
		}
		// Content type other than the manifest's.
		if code, b := e.Do(t, "PUT", mp+sum, f.Data, wire.ContentPDF); code != 400 {
			t.Errorf("pdf for jpeg: %d %s", code, b)
		}
		// Over 2 MiB.
		big := make([]byte, wire.MaxMaterialBytes+1)
		if code, b := e.Do(t, "PUT", mp+strings.Repeat("a", 64), big, wire.ContentJPEG); code != 413 || errCode(t, b) != wire.CodeTooLarge {
			t.Errorf("too large: %d %s", code, b)
		}
		// Not in the manifest.
		if code, b := e.Do(t, "PUT", mp+strings.Repeat("b", 64), f.Data, wire.ContentJPEG); code != 404 {
			t.Errorf("unlisted: %d %s", code, b)
		}
		// Malformed hash in the path.
		if code, b := e.Do(t, "PUT", mp+"XYZ", f.Data, wire.ContentJPEG); code != 400 {
			t.Errorf("bad hash: %d %s", code, b)
		}
		// Unknown application.
		if code, b := e.Do(t, "PUT", manifestPath(reviewtest.SampleReceipt(t0, 99))+"/materials/"+sum, f.Data, wire.ContentJPEG); code != 404 {
			t.Errorf("unknown app: %d %s", code, b)
		}
		// The real thing, twice.
		for i := 0; i < 2; i++ {
			code, b := e.Do(t, "PUT", mp+sum, f.Data, f.ContentType)
			var r wire.ManifestResponse
			json.Unmarshal(b, &r)
			if code != 200 || r.State != "received" || len(r.Missing) != 0 {
				t.Errorf("material put %d: %d %s", i, code, b)
			}
		}
		// A manifest declaring a material over 2 MiB is refused.
		m3, _, _ := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 3), "王五", 1, t0)
		m3.Materials[0].Size = wire.MaxMaterialBytes + 1
		body3, _ := json.Marshal(m3)
		if code, b := e.Do(t, "PUT", manifestPath(m3.Receipt), body3, "application/json"); code != 413 {
			t.Errorf("manifest with big material: %d %s", code, b)
		}
	})
}

func TestStrictJSONAndLimits(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		m, _, _ := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 4), "赵六", 1, t0)
		body, _ := json.Marshal(m)
		withExtra := append(bytes.TrimSuffix(body, []byte("}")), []byte(`,"extra":1}`)...)
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), withExtra, "application/json"); code != 400 || errCode(t, b) != wire.CodeInvalid {
			t.Errorf("unknown field: %d %s", code, b)
		}
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), append(bytes.Clone(body), []byte(" {}")...), "application/json"); code != 400 {
			t.Errorf("trailing data: %d %s", code, b)
		}
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), []byte("{"), "application/json"); code != 400 {
			t.Errorf("broken json: %d %s", code, b)
		}
		huge := bytes.Repeat([]byte(" "), wire.MaxManifestBytes+1)
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), huge, "application/json"); code != 413 {
			t.Errorf("huge manifest: %d %s", code, b)
		}
		// Receipt in the body not the path's.
		m2 := m
		m2.Receipt = reviewtest.SampleReceipt(t0, 5)
		b2, _ := json.Marshal(m2)
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), b2, "application/json"); code != 400 {
			t.Errorf("receipt mismatch: %d %s", code, b)
		}
		// Bad route.
		m3 := m
		m3.Route = "bribe"
		b3, _ := json.Marshal(m3)
		if code, b := e.Do(t, "PUT", manifestPath(m.Receipt), b3, "application/json"); code != 400 {
			t.Errorf("bad route: %d %s", code, b)
		}
		// Heartbeat with an unknown field; precheck with an oversize body.
		if code, b := e.Do(t, "POST", wire.BasePath+"/kiosks/K001/heartbeat", []byte(`{"version":"1","bogus":true}`), "application/json"); code != 400 {
			t.Errorf("heartbeat unknown field: %d %s", code, b)
		}
		if code, b := e.Do(t, "POST", wire.BasePath+"/precheck", bytes.Repeat([]byte("x"), wire.MaxSmallBody+1), "application/json"); code != 413 {
			t.Errorf("precheck too large: %d %s", code, b)
		}
		// A GET with a body.
		if code, b := e.Do(t, "GET", wire.BasePath+"/kiosks/K001/config", []byte("{}"), "application/json"); code != 413 {
			t.Errorf("config with body: %d %s", code, b)
		}
		if code, b := e.Do(t, "GET", wire.BasePath+"/nothing", nil, ""); code != 404 || errCode(t, b) != wire.CodeNotFound {
			t.Errorf("unknown endpoint: %d %s", code, b)
		}
	})
}

func TestSubmitIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, clock := startAt(t, o, t0)
		m, _, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 6), "孙七", 2, t0)
		body, _ := json.Marshal(m)
		e.Do(t, "PUT", manifestPath(m.Receipt), body, "application/json")
		code, b := e.Do(t, "POST", manifestPath(m.Receipt)+"/submit", nil, "")
		if code != 409 || errCode(t, b) != wire.CodeConflict {
			t.Errorf("submit with missing materials: %d %s", code, b)
		}
		for sum, f := range files {
			e.Do(t, "PUT", manifestPath(m.Receipt)+"/materials/"+sum, f.Data, f.ContentType)
		}
		code, b = e.Do(t, "POST", manifestPath(m.Receipt)+"/submit", nil, "")
		if code != 200 {
			t.Fatalf("submit: %d %s", code, b)
		}
		var r1 wire.SubmitResponse
		json.Unmarshal(b, &r1)
		if r1.State != "accepted" || !r1.AcceptedAt.Equal(t0) {
			t.Errorf("submit answer %+v", r1)
		}
		want := time.Date(2023, 3, 17, 23, 59, 59, 0, kiosk.Shanghai)
		if !r1.DueAt.Equal(want) || !r1.DueAt.Equal(workday.Default().Deadline(t0, 2)) {
			t.Errorf("due %v, want %v", r1.DueAt, want)
		}
		clock.Add(time.Hour)
		code, b = e.Do(t, "POST", manifestPath(m.Receipt)+"/submit", nil, "")
		var r2 wire.SubmitResponse
		json.Unmarshal(b, &r2)
		if code != 200 || !r2.AcceptedAt.Equal(r1.AcceptedAt) || !r2.DueAt.Equal(r1.DueAt) {
			t.Errorf("second submit: %d %s", code, b)
		}
		if code, b := e.Do(t, "POST", manifestPath(reviewtest.SampleReceipt(t0, 77))+"/submit", nil, ""); code != 404 {
			t.Errorf("submit unknown: %d %s", code, b)
		}
	})
}

func TestOtherKiosksApplication(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		s2 := e.AddKiosk(t, "K002")
		m, token, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 7), "周八", 1, t0)
		e.Deliver(t, m, files)
		body, _ := json.Marshal(m)
		var sum string
		var f reviewtest.Material
		for sum, f = range files {
		}
		cases := []struct {
			name, method, path string
			body               []byte
			ct                 string
		}{
			{"manifest", "PUT", manifestPath(m.Receipt), body, "application/json"},
			{"material", "PUT", manifestPath(m.Receipt) + "/materials/" + sum, f.Data, f.ContentType},
			{"submit", "POST", manifestPath(m.Receipt) + "/submit", nil, ""},
			{"updates", "GET", wire.BasePath + "/kiosks/K001/updates?after=0", nil, ""},
			{"config", "GET", wire.BasePath + "/kiosks/K001/config", nil, ""},
			{"heartbeat", "POST", wire.BasePath + "/kiosks/K001/heartbeat", []byte(`{"version":"x"}`), "application/json"},
		}
		for _, c := range cases {
			code, b := reviewtest.Send(t, e.Request(t, "K002", s2, c.method, c.path, c.body, c.ct))
			if code != 403 || errCode(t, b) != wire.CodeForbidden {
				t.Errorf("K002 %s: %d %s", c.name, code, b)
			}
		}
		// K002 creating an application under K001's receipt number is refused too.
		m2, _, _ := reviewtest.SampleApplication(reviewtest.SampleReceipt(t0, 8), "周八", 1, t0)
		m2.Kiosk = ""
		b2, _ := json.Marshal(m2)
		if code, b := reviewtest.Send(t, e.Request(t, "K002", s2, "PUT", manifestPath(m2.Receipt), b2, "application/json")); code != 403 {
			t.Errorf("K002 new app under K001 number: %d %s", code, b)
		}
		// K002's feed does not show K001's changes.
		code, b := reviewtest.Send(t, e.Request(t, "K002", s2, "GET", wire.BasePath+"/kiosks/K002/updates?after=0", nil, ""))
		var u wire.Updates
		json.Unmarshal(b, &u)
		if code != 200 || len(u.Updates) != 0 {
			t.Errorf("K002 updates: %d %s", code, b)
		}
		// The public status needs the token, not a kiosk.
		if st, err := e.Service.Status(context.Background(), m.Receipt, token); err != nil || st.State != "accepted" {
			t.Errorf("status: %+v %v", st, err)
		}
	})
}

func TestPrecheckConfigHeartbeat(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, _ := startAt(t, o, t0)
		code, b := e.Do(t, "POST", wire.BasePath+"/precheck", []byte(`{"id_number":"`+reviewtest.SampleNumber+`"}`), "application/json")
		var p wire.Precheck
		json.Unmarshal(b, &p)
		if code != 200 || !p.Known || !p.HasPermit || p.PermitCity != "杭州市" || p.Months != 23 || p.RegisteredSince != "2021-03-01" {
			t.Errorf("precheck known: %d %s", code, b)
		}
		code, b = e.Do(t, "POST", wire.BasePath+"/precheck", []byte(`{"id_number":"11010119800101001X"}`), "application/json")
		p = wire.Precheck{}
		json.Unmarshal(b, &p)
		if code != 200 || p.Known {
			t.Errorf("precheck unknown: %d %s", code, b)
		}
		if code, b := e.Do(t, "POST", wire.BasePath+"/precheck", []byte(`{"id_number":"123"}`), "application/json"); code != 400 {
			t.Errorf("precheck bad number: %d %s", code, b)
		}
		code, b = e.Do(t, "GET", wire.BasePath+"/kiosks/K001/config", nil, "")
		var cfg wire.KioskConfig
		if err := json.Unmarshal(b, &cfg); err != nil || code != 200 {
			t.Fatalf("config: %d %s %v", code, b, err)
		}
		if len(cfg.Reasons) < 10 || cfg.RulesVersion == "" || len(cfg.StaffPINs) != 1 || !strings.HasPrefix(cfg.StaffPINs[0].Hash, "$argon2id$") || cfg.Version == "" {
			t.Errorf("config content: %+v", cfg)
		}
		cal, err := workday.Load(bytes.NewReader(cfg.Calendar))
		if err != nil || !cal.Covers(2023) {
			t.Errorf("config calendar: %v", err)
		}
		hb := wire.Heartbeat{Version: "1.2.3", QueueDepth: 4, Dead: 1, OldestUnsentSecs: 90, At: t0,
			Devices: []wire.DeviceHealth{{Device: "printer", OK: false, Detail: "缺纸"}, {Device: "reader", OK: true}}}
		hbb, _ := json.Marshal(hb)
		if code, b := e.Do(t, "POST", wire.BasePath+"/kiosks/K001/heartbeat", hbb, "application/json"); code != 204 {
			t.Errorf("heartbeat: %d %s", code, b)
		}
		ks, err := e.Service.Kiosks(context.Background())
		if err != nil || len(ks) != 1 {
			t.Fatalf("kiosks: %v %v", ks, err)
		}
		k := ks[0]
		if k.Version != "1.2.3" || k.QueueDepth != 4 || k.Dead != 1 || k.Offline || len(k.Devices) != 2 || k.Devices[0].Detail != "缺纸" {
			t.Errorf("fleet: %+v", k)
		}
	})
}

func TestHealthAndMetrics(t *testing.T) {
	e := reviewtest.Start(t)
	for _, p := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(e.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		if p == "/metrics" {
			for _, want := range []string{"huren_review_http_requests_total", "huren_review_queue_depth", "huren_review_overdue", "huren_review_outbox_lag_seconds"} {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		}
	}
}

// A replay sent to a second instance sharing the store is refused too.
func TestReplayAcrossInstances(t *testing.T) {
	eachStore(t, func(t *testing.T, o review.Options) {
		e, clock := startAt(t, o, t0)
		o2 := o
		if o2.DB == "" {
			o2.DB = e.Dir + "/review.db"
		}
		o2.DataDir, o2.Clock = e.Dir+"/data", clock
		s2, err := review.Open(context.Background(), o2)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		srv2 := httptest.NewServer(s2.Handler())
		defer srv2.Close()
		req := e.Request(t, "K001", e.Secret, "GET", wire.BasePath+"/kiosks/K001/updates?after=0", nil, "")
		if code, b := reviewtest.Send(t, req.Clone(context.Background())); code != 200 {
			t.Fatalf("first: %d %s", code, b)
		}
		replay := req.Clone(context.Background())
		replay.URL.Host = strings.TrimPrefix(srv2.URL, "http://")
		replay.Host = replay.URL.Host
		if code, b := reviewtest.Send(t, replay); code != 401 {
			t.Errorf("replay on the second instance: %d %s", code, b)
		}
	})
}
