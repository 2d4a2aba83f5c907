// Command memwatch runs a command, samples its resident memory (VmRSS) and reads the runtime lines the
// kiosk logs ({"msg":"runtime","goroutines":…,"heap_inuse":…}), and prints one JSON summary:
// peak RSS, the RSS floor and goroutines just after warm-up and at the end, and their growth. With -max-growth it exits 1
// when RSS or goroutines grew more than that fraction after warm-up.
//
//	go run ./scripts/memwatch [-warmup 0.2] [-max-growth 0.05] -- CMD ARGS…
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type sample struct {
	at         time.Duration
	rssKB      int64
	goroutines int
	sessions   int
}

func main() {
	warm := flag.Float64("warmup", 0.2, "fraction of the run treated as warm-up")
	maxGrowth := flag.Float64("max-growth", 0.05, "fail when RSS or goroutines grow more than this after warm-up (0: never)")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: memwatch [flags] -- CMD ARGS…")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "memwatch:", err)
		os.Exit(2)
	}
	start := time.Now()
	var mu sync.Mutex
	var samples []sample
	goroutines, sessions := 0, 0
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // stdout: one JSON line per autopilot application
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Println(sc.Text())
			if strings.Contains(sc.Text(), `"receipt"`) {
				mu.Lock()
				sessions++
				mu.Unlock()
			}
		}
	}()
	go func() { // stderr: runtime lines
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m struct {
				Msg        string `json:"msg"`
				Goroutines int    `json:"goroutines"`
			}
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == "runtime" {
				mu.Lock()
				goroutines = m.Goroutines
				mu.Unlock()
			}
			fmt.Fprintln(os.Stderr, sc.Text())
		}
	}()
	done := make(chan error, 1)
	go func() { wg.Wait(); done <- cmd.Wait() }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var err error
loop:
	for {
		select {
		case err = <-done:
			break loop
		case <-tick.C:
			if kb := rss(cmd.Process.Pid); kb > 0 {
				mu.Lock()
				samples = append(samples, sample{time.Since(start), kb, goroutines, sessions})
				mu.Unlock()
			}
		}
	}
	sum := summarise(samples, *warm)
	sum["sessions"] = sessions // all of them: the last line may come after the last sample
	sum["exit_error"] = fmt.Sprint(err)
	b, _ := json.Marshal(sum)
	fmt.Fprintln(os.Stderr, "memwatch:", string(b))
	if err != nil {
		os.Exit(1)
	}
	if *maxGrowth > 0 && (sum["rss_growth"].(float64) > *maxGrowth || sum["goroutine_growth"].(float64) > *maxGrowth) {
		fmt.Fprintln(os.Stderr, "memwatch: FAIL: growth after warm-up over", *maxGrowth)
		os.Exit(1)
	}
}

// summarise compares the first and the last tenth of the run after warm-up. RSS is compared by its floor (the
// 10th percentile of each window, the size the process returns to between sessions): a leak raises the floor,
// while the peaks of single captures come and go. Peaks are reported beside it. Goroutines are compared by
// their highest count in each window.
func summarise(s []sample, warm float64) map[string]any {
	out := map[string]any{"samples": len(s), "rss_growth": 0.0, "goroutine_growth": 0.0}
	if len(s) == 0 {
		return out
	}
	var peak int64
	for _, x := range s {
		peak = max(peak, x.rssKB)
	}
	total := s[len(s)-1].sessions
	// Warm-up ends at the first sample after warm×sessions (or warm×samples when no sessions are counted).
	w := int(float64(len(s)) * warm)
	if total > 0 {
		for i, x := range s {
			if float64(x.sessions) >= warm*float64(total) {
				w = i
				break
			}
		}
	}
	w = min(w, len(s)-1)
	win := max(1, (len(s)-w)/10)
	first, last := window(s[w:min(len(s), w+win)]), window(s[len(s)-win:])
	out["sessions"] = total
	out["peak_rss_mb"] = float64(peak) / 1024
	out["warm_rss_mb"] = float64(first.floorKB) / 1024
	out["end_rss_mb"] = float64(last.floorKB) / 1024
	out["warm_peak_rss_mb"] = float64(first.peakKB) / 1024
	out["end_peak_rss_mb"] = float64(last.peakKB) / 1024
	out["warm_goroutines"] = first.goroutines
	out["end_goroutines"] = last.goroutines
	if first.floorKB > 0 {
		out["rss_growth"] = float64(last.floorKB-first.floorKB) / float64(first.floorKB)
	}
	if first.goroutines > 0 {
		out["goroutine_growth"] = float64(last.goroutines-first.goroutines) / float64(first.goroutines)
	}
	return out
}

type windowStats struct {
	floorKB, peakKB int64
	goroutines      int
}

// window returns the 10th percentile and the peak of RSS and the highest goroutine count of s (not empty).
func window(s []sample) windowStats {
	r := make([]int64, len(s))
	var st windowStats
	for i, x := range s {
		r[i] = x.rssKB
		st.peakKB = max(st.peakKB, x.rssKB)
		st.goroutines = max(st.goroutines, x.goroutines)
	}
	slices.Sort(r)
	st.floorKB = r[len(r)/10]
	return st
}

func rss(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	return 0
}
