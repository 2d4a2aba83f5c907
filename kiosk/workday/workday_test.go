package workday

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, kiosk.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func endOf(s string) time.Time { return day(s).Add(23*time.Hour + 59*time.Minute + 59*time.Second) }

func TestIsWorkday(t *testing.T) {
	c := Default()
	tests := []struct {
		date string
		want bool
		why  string
	}{
		{"2023-01-20", true, "Friday before Spring Festival"},
		{"2023-01-21", false, "Spring Festival (Saturday)"},
		{"2023-01-23", false, "Spring Festival (Monday)"},
		{"2023-01-27", false, "Spring Festival (Friday)"},
		{"2023-01-28", true, "adjusted workday (Saturday)"},
		{"2023-01-29", true, "adjusted workday (Sunday)"},
		{"2023-01-30", true, "ordinary Monday"},
		{"2022-12-31", false, "New Year (from the 2023 notice; also a Saturday)"},
		{"2023-01-02", false, "New Year (Monday)"},
		{"2023-03-06", true, "ordinary Monday"},
		{"2023-03-11", false, "ordinary Saturday"},
		{"2023-03-12", false, "ordinary Sunday"},
		{"2024-10-01", false, "National Day"},
		{"2024-10-07", false, "National Day (Monday)"},
		{"2024-10-08", true, "after National Day"},
		{"2024-10-12", true, "adjusted workday (Saturday)"},
		{"2024-09-29", true, "adjusted workday (Sunday)"},
		{"2025-10-08", false, "National Day and Mid-Autumn (Wednesday)"},
		{"2025-10-11", true, "adjusted workday (Saturday)"},
		{"2026-01-04", true, "adjusted workday (Sunday)"},
		{"2026-02-23", false, "Spring Festival (Monday)"},
		{"2026-02-28", true, "adjusted workday (Saturday)"},
		{"2022-10-09", true, "adjusted workday (Sunday)"},
		{"2027-01-01", true, "2027 uncovered: a Friday counts, though it will surely be New Year"},
		{"2027-01-02", false, "2027 uncovered: Saturday"},
	}
	for _, tt := range tests {
		if got := c.IsWorkday(day(tt.date)); got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", tt.date, got, tt.want, tt.why)
		}
	}
}

func TestIsWorkdayTakesShanghaiDate(t *testing.T) {
	c := Default()
	// 2023-01-20 16:30 UTC is 2023-01-21 00:30 in Shanghai: Spring Festival, not the Friday.
	if c.IsWorkday(time.Date(2023, 1, 20, 16, 30, 0, 0, time.UTC)) {
		t.Error("2023-01-20T16:30Z is a holiday in Shanghai")
	}
	// 2023-01-20 15:59 UTC is 23:59 Friday in Shanghai: a working day.
	if !c.IsWorkday(time.Date(2023, 1, 20, 15, 59, 0, 0, time.UTC)) {
		t.Error("2023-01-20T15:59Z is Friday in Shanghai")
	}
	// Sunday 2023-03-12 20:00 UTC is Monday 04:00 in Shanghai.
	if !c.IsWorkday(time.Date(2023, 3, 12, 20, 0, 0, 0, time.UTC)) {
		t.Error("2023-03-12T20:00Z is Monday in Shanghai")
	}
}

func TestDeadline(t *testing.T) {
	c := Default()
	tests := []struct {
		accepted time.Time
		n        int
		want     string
		why      string
	}{
		{day("2023-01-20").Add(10 * time.Hour), 2, "2023-01-29", "Spring Festival: Friday → adjusted Sunday"},
		{day("2023-01-20").Add(10 * time.Hour), 1, "2023-01-28", "Spring Festival: first workday is adjusted Saturday"},
		{day("2023-03-06").Add(9 * time.Hour), 2, "2023-03-08", "normal week: Monday → Wednesday"},
		{day("2023-03-09").Add(9 * time.Hour), 2, "2023-03-13", "normal week: Thursday → Monday"},
		{day("2023-03-10").Add(17 * time.Hour), 2, "2023-03-14", "normal week: Friday → Tuesday"},
		{day("2023-03-11").Add(11 * time.Hour), 2, "2023-03-14", "accepted on a Saturday → Tuesday"},
		{day("2024-09-30").Add(9 * time.Hour), 2, "2024-10-09", "National Day 2024: Monday before → Wednesday after"},
		{day("2024-09-27").Add(9 * time.Hour), 2, "2024-09-30", "adjusted Sunday 2024-09-29 counts"},
		{day("2025-09-30").Add(9 * time.Hour), 2, "2025-10-10", "National Day 2025 (8 days) → Friday after"},
		{day("2023-12-28").Add(9 * time.Hour), 2, "2024-01-02", "year end 2023: Thursday → Tuesday after New Year"},
		{day("2025-12-30").Add(9 * time.Hour), 2, "2026-01-04", "year end 2025: Tuesday → adjusted Sunday 2026-01-04"},
		{day("2026-12-30").Add(9 * time.Hour), 2, "2027-01-01", "year end into uncovered 2027: weekends alone"},
		{day("2023-01-20").Add(10 * time.Hour), 0, "2023-01-20", "n = 0: end of the day of acceptance"},
		// 2023-01-19 16:30 UTC is already Friday 2023-01-20 00:30 in Shanghai.
		{time.Date(2023, 1, 19, 16, 30, 0, 0, time.UTC), 2, "2023-01-29", "UTC time near midnight is taken in Shanghai"},
	}
	for _, tt := range tests {
		got := c.Deadline(tt.accepted, tt.n)
		if want := endOf(tt.want); !got.Equal(want) {
			t.Errorf("Deadline(%s, %d) = %s, want %s (%s)", tt.accepted, tt.n, got, want, tt.why)
		}
		if got.Location() != kiosk.Shanghai {
			t.Errorf("Deadline location = %s, want Asia/Shanghai", got.Location())
		}
	}
}

func TestCovers(t *testing.T) {
	c := Default()
	for y := 2022; y <= 2026; y++ {
		if !c.Covers(y) {
			t.Errorf("Covers(%d) = false", y)
		}
	}
	for _, y := range []int{2021, 2027} {
		if c.Covers(y) {
			t.Errorf("Covers(%d) = true, no notice embedded", y)
		}
	}
}

// TestEmbeddedCounts checks the embedded data against counts taken from the notices.
func TestEmbeddedCounts(t *testing.T) {
	want := map[int][2]int{ // year: days off, adjusted workdays
		2022: {31, 7}, 2023: {27, 7}, 2024: {28, 8}, 2025: {28, 5}, 2026: {33, 6},
	}
	for _, y := range official {
		off := 0
		for _, h := range y.Holidays {
			a, b := day(h.From), day(h.To)
			off += int(b.Sub(a).Hours()/24) + 1
		}
		if got := [2]int{off, len(y.Workdays)}; got != want[y.Year] {
			t.Errorf("%d: days off, workdays = %v, want %v", y.Year, got, want[y.Year])
		}
		for _, w := range y.Workdays {
			if wd := day(w).Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%d: adjusted workday %s is a %s", y.Year, w, wd)
			}
		}
	}
}

func TestMarshalLoadRoundTrip(t *testing.T) {
	b, err := Default().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("Load(Marshal()) = %v", err)
	}
	b2, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("round trip changed the calendar:\n%s\n%s", b, b2)
	}
	for d := day("2022-01-01"); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) != Default().IsWorkday(d) {
			t.Fatalf("loaded calendar differs on %s", d.Format(time.DateOnly))
		}
	}
	if len(b) > 8<<10 {
		t.Errorf("calendar JSON is %d bytes; expected compact (< 8 KiB)", len(b))
	}
}

func TestLoadCustom(t *testing.T) {
	const js = `{"format":1,"years":[{"year":2027,"notice":"test","holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-09"]}]}`
	c, err := Load(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers(2027) || c.Covers(2026) {
		t.Error("Covers wrong for a calendar of 2027 only")
	}
	if c.IsWorkday(day("2027-01-01")) || !c.IsWorkday(day("2027-01-09")) || !c.IsWorkday(day("2027-01-04")) {
		t.Error("custom holiday or workday not applied")
	}
	if got, want := c.Years(), []int{2027}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Years() = %v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	bad := map[string]string{
		"not json":        `{`,
		"wrong format":    `{"format":2,"years":[]}`,
		"no format":       `{"years":[]}`,
		"bad date":        `{"format":1,"years":[{"year":2027,"holidays":[{"name":"x","from":"2027-02-30","to":"2027-03-01"}]}]}`,
		"loose date":      `{"format":1,"years":[{"year":2027,"workdays":["2027-1-9"]}]}`,
		"reversed span":   `{"format":1,"years":[{"year":2027,"holidays":[{"name":"x","from":"2027-01-05","to":"2027-01-01"}]}]}`,
		"long span":       `{"format":1,"years":[{"year":2027,"holidays":[{"name":"x","from":"2027-01-01","to":"2027-03-01"}]}]}`,
		"far date":        `{"format":1,"years":[{"year":2027,"workdays":["2030-01-05"]}]}`,
		"year twice":      `{"format":1,"years":[{"year":2027},{"year":2027}]}`,
		"year range":      `{"format":1,"years":[{"year":12}]}`,
		"both off and on": `{"format":1,"years":[{"year":2027,"holidays":[{"name":"x","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-02"]}]}`,
	}
	for name, js := range bad {
		if _, err := Load(strings.NewReader(js)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Load error = %v, want ErrInvalid", name, err)
		}
	}
	many := `{"format":1,"years":[{"year":2027,"workdays":[` + strings.Repeat(`"2027-01-09",`, 64) + `"2027-01-09"]}]}`
	if _, err := Load(strings.NewReader(many)); !errors.Is(err, ErrInvalid) {
		t.Errorf("65 workdays: Load error = %v, want ErrInvalid", err)
	}
	big := `{"format":1,"source":"` + strings.Repeat("x", MaxBytes) + `","years":[]}`
	if _, err := Load(strings.NewReader(big)); !errors.Is(err, ErrInvalid) {
		t.Errorf("oversized: Load error = %v, want ErrInvalid", err)
	}
}

func BenchmarkDeadline(b *testing.B) {
	c := Default()
	t0 := day("2023-01-20").Add(10 * time.Hour)
	for b.Loop() {
		c.Deadline(t0, 2)
	}
}

func BenchmarkDeadlineBaseline(b *testing.B) { // weekends only: an empty calendar
	c, _ := Load(strings.NewReader(`{"format":1,"years":[]}`))
	t0 := day("2023-03-06").Add(10 * time.Hour)
	for b.Loop() {
		c.Deadline(t0, 2)
	}
}

func FuzzLoad(f *testing.F) {
	b, _ := Default().Marshal()
	f.Add(b)
	f.Add([]byte(`{"format":1,"years":[{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-09"]}]}`))
	f.Add([]byte(`{"format":1,"years":[]}`))
	f.Add([]byte(`{"format":1,"years":[{"year":2027},{"year":2027}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := Load(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Load(Marshal()) = %v", err)
		}
		out2, _ := c2.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		// Deadline always lands on a working day (or the day itself for n = 0) and moves forward.
		t0 := time.Date(2026, 12, 30, 9, 0, 0, 0, kiosk.Shanghai)
		if d := c.Deadline(t0, 2); !d.After(t0) || !c.IsWorkday(d) {
			t.Fatalf("Deadline = %s", d)
		}
	})
}
