// Command benchreport turns the output of `go test -bench` (and the start-up and memory figures that
// scripts/bench.sh measures) into docs/BENCHMARKS.md: each budget with its figure, the baseline measured in
// the same run, and the ratio.
//
//	go run ./scripts/benchreport -in out/bench.txt -extra out/bench-extra.json -out docs/BENCHMARKS.md
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// result is one benchmark line: its package and metrics by unit (ns/op, B/op, req/s …).
type result struct {
	pkg, name string
	metrics   map[string]float64
}

// pair is a budget: a figure and its baseline from the same run.
type pair struct {
	title, pkg, subject, baseline string
	metric                        string // unit compared
	higherBetter                  bool   // rates: subject/baseline; times: baseline/subject is "speed ratio"
	goal                          string
	extra                         []string // more units of the subject to show
}

var pairs = []pair{
	{"Receipt PDF, CJK font and QR (80 mm)", "huren/printing", "BenchmarkReceiptPDF", "BenchmarkPDFBaselineLatinOnly", "ns/op", false, "≤ 20 ms and ≤ 60 KB", []string{"bytes/pdf"}},
	{"Receipt PDF, A6", "huren/printing", "BenchmarkReceiptPDFA6", "BenchmarkPDFBaselineLatinOnly", "ns/op", false, "≤ 20 ms and ≤ 60 KB", []string{"bytes/pdf"}},
	{"Receipt ESC/POS encoding", "huren/printing", "BenchmarkReceiptESCPOS", "BenchmarkPDFBaselineLatinOnly", "ns/op", false, "—", []string{"bytes/job"}},
	{"Normalise a 12 MP JPEG page vs ImageMagick convert", "huren/kiosk/capture", "BenchmarkNormalize12MP", "BenchmarkNormalize12MPImageMagick", "ns/op", false, "≤ 300 ms; time ratio ≤ 1.0", nil},
	{"Durable submit (manifest + 3 × 1.5 MiB), store idle between submits as on a kiosk, vs one fsync'd file write", "huren/kiosk/store", "BenchmarkSubmitDurableIdle", "BenchmarkSubmitBaselineFile", "ns/op", false, "throughput ≥ 0.8 × baseline (time ratio ≤ 1.25)", nil},
	{"Durable submit back to back (checkpoints included) vs one fsync'd file write", "huren/kiosk/store", "BenchmarkSubmitDurable", "BenchmarkSubmitBaselineFile", "ns/op", false, "throughput ≥ 0.8 × baseline (time ratio ≤ 1.25)", nil},
	{"Status lookups, SQLite, concurrent, vs bare net/http", "huren/review", "BenchmarkStatusLookup", "BenchmarkStatusBaselineBare", "req/s", true, "≥ 5,000 req/s, p99 ≤ 10 ms", []string{"p99-ms"}},
	{"Status lookups without the answer cache", "huren/review", "BenchmarkStatusLookupUncached", "BenchmarkStatusBaselineBare", "req/s", true, "≥ 5,000 req/s, p99 ≤ 10 ms", []string{"p99-ms"}},
	{"Drain 200 queued applications (3 × 1.5 MiB each); baseline and ratio: curl --data-binary of the same bytes inside the same benchmark", "huren/sync", "BenchmarkDrain200", "", "MB/s", true, "ratio ≥ 0.8", []string{"curl-MB/s", "ratio", "peak-heap-MB", "peak-rss-MB"}},
	{"Screen change", "huren/app", "BenchmarkScreenChange", "BenchmarkScreenChangeBaseline", "ns/op", false, "≤ 50 ms", nil},
	{"Eligibility check (every rule)", "huren/kiosk/eligibility", "BenchmarkCheck", "BenchmarkCheckBaseline", "ns/op", false, "—", nil},
	{"Deadline (2 working days)", "huren/kiosk/workday", "BenchmarkDeadline", "BenchmarkDeadlineBaseline", "ns/op", false, "—", nil},
	{"SAM card answer: framer, decoder, validation", "huren/kiosk/idcard/sam", "BenchmarkReadAnswer", "BenchmarkReadAnswerBaseline", "ns/op", false, "—", nil},
	{"ID number validation", "huren/kiosk/idcard", "BenchmarkValidateNumber", "BenchmarkValidateNumberBaseline", "ns/op", false, "—", nil},
	{"USCC validation", "huren/kiosk", "BenchmarkValidateUSCC", "BenchmarkValidateUSCCBaseline", "ns/op", false, "—", nil},
	{"Receipt number parsing", "huren/kiosk", "BenchmarkParseReceipt", "BenchmarkParseReceiptBaseline", "ns/op", false, "—", nil},
	{"Review intake, 3 materials per application", "huren/review", "BenchmarkIntake3Materials", "", "apps/s", true, "—", nil},
}

func main() {
	in := flag.String("in", "out/bench.txt", "go test -bench output")
	extra := flag.String("extra", "", "JSON object of figures measured by scripts/bench.sh")
	out := flag.String("out", "docs/BENCHMARKS.md", "report to write")
	flag.Parse()
	res, env, err := parse(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	ex, exs := map[string]float64{}, map[string]string{}
	if *extra != "" {
		if b, err := os.ReadFile(*extra); err == nil {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				fmt.Fprintln(os.Stderr, "benchreport: extra:", err)
				os.Exit(1)
			}
			for k, v := range m {
				switch v := v.(type) {
				case float64:
					ex[k] = v
				case string:
					exs[k] = v
				}
			}
		}
	}
	var sb strings.Builder
	when := time.Now()
	if st, err := os.Stat(*in); err == nil {
		when = st.ModTime() // the run's time, also when the report is rewritten later from the same files
	}
	write(&sb, res, env, ex, exs, when)
	if err := os.WriteFile(*out, []byte(sb.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	fmt.Print(sb.String())
}

func parse(path string) (map[string]*result, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	res := map[string]*result{}
	env := map[string]string{}
	pkg := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "cpu: "), strings.HasPrefix(line, "goos: "), strings.HasPrefix(line, "goarch: "):
			k, v, _ := strings.Cut(line, ": ")
			env[k] = v
		case strings.HasPrefix(line, "Benchmark"):
			fs := strings.Fields(line)
			if len(fs) < 4 {
				continue
			}
			name := fs[0]
			if i := strings.LastIndex(name, "-"); i > 0 {
				if _, err := strconv.Atoi(name[i+1:]); err == nil {
					name = name[:i]
				}
			}
			r := &result{pkg: pkg, name: name, metrics: map[string]float64{}}
			for i := 2; i+1 < len(fs); i += 2 {
				v, err := strconv.ParseFloat(fs[i], 64)
				if err != nil {
					continue
				}
				r.metrics[fs[i+1]] = v
			}
			res[pkg+"."+name] = r
		}
	}
	return res, env, sc.Err()
}

func human(v float64, unit string) string {
	switch unit {
	case "ns/op":
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			return fmt.Sprintf("%.2f s", d.Seconds())
		case d >= time.Millisecond:
			return fmt.Sprintf("%.2f ms", float64(d)/1e6)
		case d >= time.Microsecond:
			return fmt.Sprintf("%.2f µs", float64(d)/1e3)
		}
		return fmt.Sprintf("%.0f ns", v)
	case "bytes/pdf", "bytes/job", "B/op":
		if v >= 1024 {
			return fmt.Sprintf("%.1f KiB", v/1024)
		}
		return fmt.Sprintf("%.0f B", v)
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func write(sb *strings.Builder, res map[string]*result, env map[string]string, ex map[string]float64, exs map[string]string, when time.Time) {
	host, _ := os.Hostname()
	fmt.Fprintf(sb, "# Benchmarks\n\nWritten by `make bench` from its run of %s. Machine: %s, %d cores (%s/%s), %s.\n",
		when.UTC().Format("2006-01-02 15:04 MST"), env["cpu"], runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host)
	fmt.Fprintf(sb, "Every figure sits beside a baseline measured in the same run; compare ratios, not absolute times "+
		"(these machines are shared and noisy). Nothing here is asserted by a unit test.\n\n")
	fmt.Fprintf(sb, "## Budgets\n\n| figure | result | baseline (same run) | ratio | goal |\n|---|---|---|---|---|\n")
	for _, p := range pairs {
		s := res[p.pkg+"."+p.subject]
		if s == nil {
			fmt.Fprintf(sb, "| %s | not run | | | %s |\n", p.title, p.goal)
			continue
		}
		v, ok := s.metrics[p.metric]
		if !ok {
			fmt.Fprintf(sb, "| %s | no %s metric | | | %s |\n", p.title, p.metric, p.goal)
			continue
		}
		cell := human(v, p.metric)
		for _, u := range p.extra {
			if x, ok := s.metrics[u]; ok {
				cell += ", " + human(x, u)
			}
		}
		base, ratio := "—", "—"
		if b := res[p.pkg+"."+p.baseline]; b != nil {
			if bv, ok := b.metrics[p.metric]; ok && bv > 0 && v > 0 {
				base = human(bv, p.metric)
				if p.higherBetter {
					ratio = fmt.Sprintf("%.2f× the baseline's rate", v/bv)
				} else {
					ratio = fmt.Sprintf("%.2f× the baseline's time", v/bv)
				}
			}
		}
		fmt.Fprintf(sb, "| %s | %s | %s | %s | %s |\n", p.title, cell, base, ratio, p.goal)
	}
	if len(ex) > 0 {
		fmt.Fprintf(sb, "\n## Kiosk process (real binary under Xvfb)\n\n| figure | result | baseline (same run) | ratio | goal |\n|---|---|---|---|---|\n")
		row := func(title, k, bk, unit, goal string) {
			v, ok := ex[k]
			if !ok {
				return
			}
			base, ratio := "—", "—"
			if b, ok := ex[bk]; ok && b > 0 {
				base = fmt.Sprintf("%.0f %s", b, unit)
				ratio = fmt.Sprintf("%.2f×", v/b)
			}
			fmt.Fprintf(sb, "| %s | %.0f %s | %s | %s | %s |\n", title, v, unit, base, ratio, goal)
		}
		row("start to Home (median of 3)", "startup_ms", "minwin_startup_ms", "ms", "≤ 1,000 ms")
		row("idle RSS: the kiosk, review service in its own process (as deployed)", "idle_rss_mb", "minwin_rss_mb", "MB", "≤ 150 MB")
		row("idle RSS: demo mode (kiosk and embedded review service in one process)", "demo_idle_rss_mb", "minwin_rss_mb", "MB", "—")
		row("peak RSS over the autopilot run", "autopilot_peak_rss_mb", "idle_rss_mb", "MB", "—")
		row("RSS floor, last tenth of the run vs first tenth after warm-up", "autopilot_end_rss_mb", "autopilot_warm_rss_mb", "MB", "no growth (< 5 %)")
		row("RSS peak, last tenth of the run vs first tenth after warm-up", "autopilot_end_peak_rss_mb", "autopilot_warm_peak_rss_mb", "MB", "—")
		row("goroutines, last tenth vs first tenth after warm-up", "autopilot_end_goroutines", "autopilot_warm_goroutines", "", "no growth")
		row("autopilot sessions", "autopilot_sessions", "", "", "500")
		row("submit to printer started (autopilot median)", "submit_to_print_ms", "", "ms", "≤ 1,000 ms")
		src := "this `make bench` run (`out/bench-autopilot.log`)"
		if strings.Contains(exs["autopilot_source"], "soak") {
			src = "the `make soak` run of the same commit (`out/soak-autopilot.log`), which `make bench` reuses rather than " +
				"spend another half hour"
		}
		if v := exs["autopilot_version"]; v != "" {
			src += fmt.Sprintf(", commit %s, %s", v, exs["autopilot_date"])
		}
		fmt.Fprintf(sb, "\nThe autopilot figures come from %s. The kiosk ran with the simulated card reader and camera "+
			"(8-megapixel pages through the real capture pipeline) and PDF receipts, and sent every application over "+
			"loopback HTTP to `huren-review` in a second process, as deployed; memwatch sampled the kiosk's RSS every "+
			"250 ms. Warm-up is the first 20 %% of the sessions (Fyne's caches of the first screens expire after a "+
			"minute). The floor is the 10th percentile of RSS over a tenth of the run: the size the kiosk returns to "+
			"between applicants, which a leak would raise; single captures make the peaks.\n\n"+
			"The machine has no GPU, so Fyne draws through Mesa's llvmpipe: the minimal Fyne window alone takes the RSS "+
			"shown as its baseline (about 60 MB of it is Mesa's LLVM), which a kiosk with a GPU driver does not pay. "+
			"The Go heap is kept near its live size by a soft memory limit (96 MiB, `GOMEMLIMIT` overrides), and "+
			"each time Home shows the kiosk returns freed memory to the system. Where the rest goes: "+
			"[ARCHITECTURE.md, Memory](ARCHITECTURE.md#memory).\n", src)
	}
	fmt.Fprintf(sb, "\n## Every benchmark of this run\n\n| package | benchmark | figures |\n|---|---|---|\n")
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := res[k]
		units := make([]string, 0, len(r.metrics))
		for u := range r.metrics {
			units = append(units, u)
		}
		sort.Strings(units)
		var fs []string
		for _, u := range units {
			fs = append(fs, human(r.metrics[u], u))
		}
		fmt.Fprintf(sb, "| %s | %s | %s |\n", strings.TrimPrefix(r.pkg, "huren/"), r.name, strings.Join(fs, ", "))
	}
}
