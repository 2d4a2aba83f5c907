package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"huren/kiosk"
)

// stepClock advances by step on every reading, so long benchmarks spread over many days and never run
// out of daily receipt numbers.
type stepClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

const benchMaterialSize = 1536 << 10 // 1.5 MiB

// benchApp is a manifest and three 1.5 MiB materials.
func benchApp(b *testing.B) kiosk.Application {
	a := sampleApp(b, 1, benchMaterialSize, benchMaterialSize, benchMaterialSize)
	return a
}

func benchBytes(b *testing.B, a kiosk.Application) int64 {
	m, err := marshalManifest(a)
	if err != nil {
		b.Fatal(err)
	}
	n := int64(len(m))
	for _, x := range a.Materials {
		n += int64(len(x.Data))
	}
	return n
}

// BenchmarkSubmitDurable: Submit (hash, encrypt, one durable SQLite transaction) of a manifest and three
// 1.5 MiB materials, back to back. It includes the background checkpoints that copy the WAL into the
// database file (every byte is written twice under sustained load). Compare with
// BenchmarkSubmitBaselineFile.
func BenchmarkSubmitDurable(b *testing.B) { benchSubmit(b, false) }

// BenchmarkSubmitDurableIdle is BenchmarkSubmitDurable as a kiosk sees it: applicants come minutes apart,
// so the checkpointer copies the WAL into the database between submits; that copy runs with the timer
// stopped. This is the applicant-facing cost of a submit.
func BenchmarkSubmitDurableIdle(b *testing.B) { benchSubmit(b, true) }

func benchSubmit(b *testing.B, idle bool) {
	ctx := context.Background()
	o := testOptions(b, &stepClock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, kiosk.Shanghai), step: 20 * time.Second})
	s, err := Open(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	a := benchApp(b)
	b.SetBytes(benchBytes(b, a))
	b.ReportAllocs()
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.StatusToken = kiosk.NewStatusToken()
		c0 := cpuTime(b)
		if _, err := s.Submit(ctx, a); err != nil {
			b.Fatal(err)
		}
		if idle {
			cpu += cpuTime(b) - c0
			b.StopTimer()
			if _, _, err := s.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		} else {
			cpu += cpuTime(b) - c0
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime is the process's user+system CPU time so far (all threads, including SQLite's and the
// kernel's work on our behalf), for the cpu-ms/op metric: unlike wall time it hardly depends on how
// busy the machine is.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSubmitBaselineFile writes the same bytes (manifest JSON and the three materials) to a plain
// file with one fsync per submit: the floor any durable store has to pay.
func BenchmarkSubmitBaselineFile(b *testing.B) {
	a := benchApp(b)
	b.SetBytes(benchBytes(b, a))
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "baseline.dat"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cpuTime(b)
		mf, err := marshalManifest(a)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Write(mf); err != nil {
			b.Fatal(err)
		}
		for _, x := range a.Materials {
			if _, err := f.Write(x.Data); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
