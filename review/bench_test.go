package review_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/review"
	"huren/review/reviewtest"
	"huren/sync/wire"
)

// loadHTTP issues b.N GETs of urls (round robin) from parallel clients over loopback and reports req/s and
// the p99 latency.
func loadHTTP(b *testing.B, urls []string, wantStatus int) {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu gosync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 × GOMAXPROCS concurrent clients
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		i := 0
		for pb.Next() {
			u := urls[i%len(urls)]
			i++
			t := time.Now()
			resp, err := client.Get(u)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			local = append(local, time.Since(t))
			if resp.StatusCode != wantStatus {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	el := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p99 := lat[(len(lat)*99)/100]
	if len(lat) < 100 {
		p99 = lat[len(lat)-1]
	}
	b.ReportMetric(float64(len(lat))/el.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// statusFixture makes a service on SQLite with n accepted applications and returns the status URLs and one
// answer body.
func statusFixture(b *testing.B, n int, cache time.Duration) (*reviewtest.Env, []string, []byte) {
	e := reviewtest.StartWith(b, review.Options{StatusRate: -1, StatusCache: cache})
	now := time.Now()
	var urls []string
	for i := 1; i <= n; i++ {
		m, tok, files := reviewtest.SampleApplication(reviewtest.SampleReceipt(now, i), "张三", 1, now)
		e.Deliver(b, m, files)
		urls = append(urls, e.URL+wire.BasePath+"/status/"+m.Receipt+"?t="+url.QueryEscape(tok))
	}
	resp, err := http.Get(urls[0])
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return e, urls, body
}

// BenchmarkStatusLookup: public status lookups (JSON) against the real service on SQLite, concurrent clients
// over loopback HTTP. Goal: ≥ 5,000 req/s with p99 ≤ 10 ms on 2 cores.
func BenchmarkStatusLookup(b *testing.B) {
	_, urls, _ := statusFixture(b, 50, 0)
	loadHTTP(b, urls, 200)
}

// BenchmarkStatusLookupUncached is BenchmarkStatusLookup with the answer cache off: every lookup reads SQLite.
func BenchmarkStatusLookupUncached(b *testing.B) {
	_, urls, _ := statusFixture(b, 50, -1)
	loadHTTP(b, urls, 200)
}

// BenchmarkStatusBaselineBare is the same load against a bare net/http handler writing the same bytes.
func BenchmarkStatusBaselineBare(b *testing.B) {
	e, urls, body := statusFixture(b, 1, 0)
	e.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(body)
	}))
	defer srv.Close()
	u, _ := url.Parse(urls[0])
	loadHTTP(b, []string{srv.URL + u.RequestURI()}, 200)
}

// BenchmarkIntake3Materials: one kiosk delivers whole applications (manifest, 3 materials of 256 KiB, submit)
// over loopback HTTP with signing; reports applications per second.
func BenchmarkIntake3Materials(b *testing.B) {
	e := reviewtest.Start(b)
	day := time.Date(2023, 3, 15, 10, 0, 0, 0, kiosk.Shanghai)
	type app struct {
		m     wire.Manifest
		files map[string]reviewtest.Material
	}
	mk := func(i int) app {
		r := kiosk.NewReceipt(1, day.AddDate(0, 0, i/9999), i%9999+1).String()
		m, _, _ := reviewtest.SampleApplication(r, "张三", 0, day)
		files := map[string]reviewtest.Material{}
		for p := 1; p <= 3; p++ {
			data := make([]byte, 256<<10)
			rand.Read(data)
			copy(data, []byte{0xFF, 0xD8, 0xFF, 0xE0}) // a JPEG's first bytes: the service checks them
			h := sha256.Sum256(data)
			sum := hex.EncodeToString(h[:])
			files[sum] = reviewtest.Material{ContentType: wire.ContentJPEG, Data: data}
			m.Materials = append(m.Materials, wire.MaterialRef{Kind: string(kiosk.MaterialProperty), Page: p, SHA256: sum, Size: int64(len(data)), ContentType: wire.ContentJPEG})
		}
		return app{m, files}
	}
	apps := make([]app, b.N)
	for i := range apps {
		apps[i] = mk(i)
	}
	b.SetBytes(3 * 256 << 10)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		e.Deliver(b, apps[i].m, apps[i].files)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "apps/s")
}
