package sync

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
	"huren/review"
	"huren/sync/wire"
)

// The benchmarks run the review service in a child process (this test binary re-executed with
// HUREN_SYNC_REVIEW_CHILD=dir), so the kiosk side's memory is measured alone and curl talks to the very same
// server the worker does.
const childEnv = "HUREN_SYNC_REVIEW_CHILD"

// serveReviewChild runs a review service on SQLite in dir on a loopback port; it prints "URL SECRET" and
// serves until stdin is closed.
func serveReviewChild(dir string) {
	ctx := context.Background()
	s, err := review.Open(ctx, review.Options{DB: filepath.Join(dir, "review.db"), DataDir: filepath.Join(dir, "data"),
		StatusRate: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	secret, err := s.AddKiosk(ctx, "K001", "bench")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	go http.Serve(ln, s.Handler())
	fmt.Printf("http://%s %s\n", ln.Addr(), secret)
	io.Copy(io.Discard, os.Stdin)
	s.Close()
	os.Exit(0)
}

type childReview struct {
	url    string
	secret []byte
}

func startChildReview(b *testing.B) childReview {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+b.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 2 || f[0] == "ERR" {
		b.Fatalf("review child: %q %v", line, err)
	}
	secret, err := wire.ParseSecret(f[1])
	if err != nil {
		b.Fatal(err)
	}
	return childReview{url: f[0], secret: secret}
}

// memSampler records the peak heap in use while running.
type memSampler struct {
	stop     chan struct{}
	done     chan struct{}
	peakHeap uint64
}

func startMemSampler() *memSampler {
	runtime.GC()
	// Reset the kernel's peak-RSS mark (VmHWM) so it covers only what follows.
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			m.peakHeap = max(m.peakHeap, ms.HeapInuse)
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) finish() (peakHeapMB, peakRSSMB float64) {
	close(m.stop)
	<-m.done
	return float64(m.peakHeap) / (1 << 20), float64(vmHWM()) / (1 << 20)
}

// vmHWM is the process's peak resident set size in bytes since the last reset (0 if unknown).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

const (
	benchApps     = 200
	benchMats     = 3
	benchMatBytes = 1536 << 10 // 1.5 MiB
)

func benchN() int {
	if v, err := strconv.Atoi(os.Getenv("HUREN_BENCH_APPS")); err == nil && v > 0 {
		return v
	}
	return benchApps
}

// curlBaseline uploads n×benchMats materials of benchMatBytes (distinct bytes from the worker's: the server
// stores blobs by hash and would skip known ones) to the materials endpoint of srv with ONE curl process
// (--data-binary, connection reuse, signed headers computed here), and returns the seconds curl took.
func curlBaseline(b *testing.B, srv childReview, n int, salt int, timed bool) float64 {
	b.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Fatalf("curl not found (Debian package curl, installed by make deps): %v", err)
	}
	dir := b.TempDir()
	c, err := NewClient(Options{BaseURL: srv.url, KioskID: "K001", Secret: srv.secret})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var cfg strings.Builder
	ctx := context.Background()
	now := time.Now()
	for i := 1; i <= n; i++ {
		a := testApp(salt*100000+i, benchMats, benchMatBytes)
		a.Receipt = kiosk.NewReceipt(1, now.AddDate(0, 0, 1+salt%300), i) // receipts the worker never uses
		m, err := BuildManifest(a, "K001")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.PutManifest(ctx, m); err != nil {
			b.Fatal(err)
		}
		for _, mat := range a.Materials {
			f := filepath.Join(dir, mat.SHA256)
			if err := os.WriteFile(f, mat.Data, 0o600); err != nil {
				b.Fatal(err)
			}
			path := wire.BasePath + "/applications/" + a.Receipt.String() + "/materials/" + mat.SHA256
			req, _ := http.NewRequest(http.MethodPut, srv.url+path, nil)
			wire.SignRequest(req, "K001", srv.secret, mat.SHA256, time.Now())
			if cfg.Len() > 0 {
				cfg.WriteString("next\n") // separates transfers; none after the last
			}
			fmt.Fprintf(&cfg, "url = \"%s\"\nrequest = \"PUT\"\n", srv.url+path)
			for _, h := range []string{wire.HeaderKiosk, wire.HeaderTimestamp, wire.HeaderNonce, wire.HeaderSignature} {
				fmt.Fprintf(&cfg, "header = \"%s: %s\"\n", h, req.Header.Get(h))
			}
			fmt.Fprintf(&cfg, "header = \"Content-Type: %s\"\ndata-binary = \"@%s\"\noutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n", mat.ContentType, f)
		}
	}
	cfgFile := filepath.Join(dir, "curl.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if timed {
		b.StartTimer()
	}
	start := time.Now()
	out, err := exec.Command(curl, "--silent", "--show-error", "--config", cfgFile).Output()
	secs := time.Since(start).Seconds()
	if timed {
		b.StopTimer()
	}
	if err != nil {
		b.Fatalf("curl: %v", err)
	}
	codes := strings.Fields(string(out))
	if len(codes) != n*benchMats {
		b.Fatalf("curl made %d uploads, want %d", len(codes), n*benchMats)
	}
	for _, code := range codes {
		if code != "200" && code != "204" {
			b.Fatalf("curl upload answered %s", code)
		}
	}
	return secs
}

// BenchmarkDrain200 drains 200 queued applications (3 × 1.5 MiB materials each) from a real kiosk queue to a
// local review service (child process) and, in the same run (once before and once after the drain, averaged),
// uploads the same amount of material bytes to the same server with curl --data-binary. Metrics: MB/s (worker, material bytes), curl-MB/s, ratio (worker ÷
// curl, goal ≥ 0.8), peak-heap-MB and peak-rss-MB of the kiosk process during the drain.
func BenchmarkDrain200(b *testing.B) {
	n := benchN()
	total := int64(n * benchMats * benchMatBytes)
	var workerSecs, curlSecs, peakHeap, peakRSS float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := startChildReview(b)
		st := openStore(b, kiosk.SystemClock{})
		queueApps(b, st, n, benchMats, benchMatBytes, 10+i)
		c, err := NewClient(Options{BaseURL: srv.url, KioskID: "K001", Secret: srv.secret, Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		w := NewWorker(st, c, WorkerOptions{})
		// curl runs before and after the drain (the disk's state differs) and the two are averaged.
		curlSecs += curlBaseline(b, srv, n, 50+2*i, false) / 2
		ms := startMemSampler()
		b.StartTimer()
		start := time.Now()
		if err := w.SyncNow(context.Background()); err != nil {
			b.Fatal(err)
		}
		workerSecs += time.Since(start).Seconds()
		b.StopTimer()
		h, r := ms.finish()
		peakHeap, peakRSS = max(peakHeap, h), max(peakRSS, r)
		if cnt, err := st.Counts(context.Background()); err != nil || cnt.Queued != 0 || cnt.Dead != 0 {
			b.Fatalf("after drain: %+v %v", cnt, err)
		}
		c.Close()
		curlSecs += curlBaseline(b, srv, n, 51+2*i, false) / 2
	}
	b.SetBytes(total)
	mb := float64(total) / 1e6 // decimal MB, as the testing package's MB/s column
	wr, cr := mb*float64(b.N)/workerSecs, mb*float64(b.N)/curlSecs
	b.ReportMetric(cr, "curl-MB/s")
	b.ReportMetric(wr/cr, "ratio")
	b.ReportMetric(peakHeap, "peak-heap-MB")
	b.ReportMetric(peakRSS, "peak-rss-MB")
}

// BenchmarkDrain200Curl is the baseline alone: curl --data-binary uploading 200 × 3 × 1.5 MiB to the
// materials endpoint of a local review service (one curl process, connection reuse).
func BenchmarkDrain200Curl(b *testing.B) {
	n := benchN()
	srv := startChildReview(b)
	b.SetBytes(int64(n * benchMats * benchMatBytes))
	b.StopTimer()
	b.ResetTimer()
	var secs float64
	for i := 0; i < b.N; i++ {
		secs += curlBaseline(b, srv, n, 80+i, true)
	}
	b.ReportMetric(float64(n*benchMats*benchMatBytes)/1e6*float64(b.N)/secs, "curl-MB/s")
}
