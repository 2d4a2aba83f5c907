package main

import (
	"testing"
	"time"
)

// series builds a run of n sessions, 8 samples each: the floor (plus leak per session) between sessions and a
// capture spike of +30 % in one sample of each session.
func series(n int, floorKB int64, leakKB int64) []sample {
	var s []sample
	for sess := 0; sess < n; sess++ {
		base := floorKB + int64(sess)*leakKB
		for i := 0; i < 8; i++ {
			kb := base
			if i == 4 {
				kb = base * 13 / 10
			}
			s = append(s, sample{at: time.Duration(len(s)) * 250 * time.Millisecond, rssKB: kb, goroutines: 30, sessions: sess})
		}
	}
	return s
}

func TestSummariseIgnoresCaptureSpikes(t *testing.T) {
	sum := summarise(series(500, 280<<10, 0), 0.2)
	if g := sum["rss_growth"].(float64); g > 0.01 || g < -0.01 {
		t.Fatalf("flat floor with spikes: growth %.3f", g)
	}
	if p := sum["peak_rss_mb"].(float64); p < 280*1.29 {
		t.Fatalf("peak %.1f MB does not show the spikes", p)
	}
}

func TestSummariseCatchesALeak(t *testing.T) {
	// 100 KB per session: 40 MB over the 400 sessions after warm-up, about 12 %.
	sum := summarise(series(500, 280<<10, 100), 0.2)
	if g := sum["rss_growth"].(float64); g < 0.05 {
		t.Fatalf("leak of 100 KB per session: growth %.3f, want over 0.05", g)
	}
}

func TestSummariseGoroutines(t *testing.T) {
	s := series(100, 280<<10, 0)
	for i := len(s) * 9 / 10; i < len(s); i++ {
		s[i].goroutines = 40
	}
	if g := summarise(s, 0.2)["goroutine_growth"].(float64); g < 0.3 {
		t.Fatalf("goroutines 30 → 40: growth %.3f", g)
	}
}
