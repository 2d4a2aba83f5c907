// Package workday is the Chinese working-day calendar of the work plan: Monday to Friday are working days
// unless they are official public holidays, and a weekend day the State Council has made an adjusted working
// day (调休上班) is a working day. Every date is taken in Asia/Shanghai.
//
// The calendar covers the years for which a State Council notice has been published (Default embeds
// 2022–2026). For any other year Covers reports false and weekends alone count; the kiosk's admin screen and
// the review service show a warning then. The review service sends kiosks newer calendars in the JSON format of
// Load and Marshal:
//
//	{"format":1,"years":[{"year":2023,"notice":"http://…","holidays":[{"name":"春节","from":"2023-01-21",
//	  "to":"2023-01-27"}],"workdays":["2023-01-28","2023-01-29"]}]}
//
// A year listed is covered (even with no holidays). Holiday spans and workdays are ISO dates; they may fall in
// the neighbouring year (the 2023 notice makes 2022-12-31 a holiday).
package workday

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"huren/kiosk"
)

// FormatVersion is the version of the JSON format Load reads and Marshal writes.
const FormatVersion = 1

// MaxBytes is the largest calendar Load accepts.
const MaxBytes = 1 << 20

// Limits of a calendar Load accepts (a real notice has 7 holidays and under 10 adjusted workdays a year).
const (
	maxYears   = 200
	maxPerYear = 64
)

// ErrInvalid is returned (wrapped) by Load for a calendar that cannot be read or does not make sense.
var ErrInvalid = errors.New("invalid working-day calendar")

// Holiday is one span of official days off, both ends included.
type Holiday struct {
	Name string `json:"name"`
	From string `json:"from"` // YYYY-MM-DD
	To   string `json:"to"`   // YYYY-MM-DD, not before From
}

// Year is one year's notice: its holidays and its adjusted working days.
type Year struct {
	Year     int       `json:"year"`
	Notice   string    `json:"notice,omitempty"` // URL of the State Council notice
	Holidays []Holiday `json:"holidays"`
	Workdays []string  `json:"workdays"` // adjusted working days (调休上班), YYYY-MM-DD
}

type file struct {
	Format int    `json:"format"`
	Source string `json:"source,omitempty"`
	Years  []Year `json:"years"`
}

// Calendar answers working-day questions. It is immutable and safe for concurrent use.
type Calendar struct {
	source  string
	years   []Year       // sorted by year, as given
	covered map[int]bool // years with a notice
	off     map[int64]bool
	on      map[int64]bool
}

const defaultSource = "State Council notices (国务院办公厅关于部分节假日安排的通知) via NateScarlet/holiday-cn (MIT)"

var defaultCal = mustBuild(file{Format: FormatVersion, Source: defaultSource, Years: official})

// Default returns the embedded calendar (2022–2026). The same value is returned each time; it is immutable.
func Default() *Calendar { return defaultCal }

func mustBuild(f file) *Calendar {
	c, err := build(f)
	if err != nil {
		panic("workday: embedded calendar: " + err.Error())
	}
	return c
}

// Load reads a calendar in the JSON format of Marshal. It returns an error wrapping ErrInvalid when the data
// is not that format (wrong version, bad dates, a day both off and on, a year twice, over MaxBytes), or the
// reader's error.
func Load(r io.Reader) (*Calendar, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read calendar: %w", err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("calendar over %d bytes: %w", MaxBytes, ErrInvalid)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode calendar: %v: %w", err, ErrInvalid)
	}
	if f.Format != FormatVersion {
		return nil, fmt.Errorf("calendar format %d, want %d: %w", f.Format, FormatVersion, ErrInvalid)
	}
	return build(f)
}

// Marshal returns the calendar in the JSON format Load reads.
func (c *Calendar) Marshal() ([]byte, error) {
	f := file{Format: FormatVersion, Source: c.source, Years: c.years}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode calendar: %w", err)
	}
	return b, nil
}

// Years lists the years the calendar covers, in order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for _, y := range c.years {
		ys = append(ys, y.Year)
	}
	return ys
}

func build(f file) (*Calendar, error) {
	c := &Calendar{source: f.Source, covered: map[int]bool{}, off: map[int64]bool{}, on: map[int64]bool{}}
	if len(f.Years) > maxYears {
		return nil, fmt.Errorf("%d years, at most %d: %w", len(f.Years), maxYears, ErrInvalid)
	}
	years := append([]Year(nil), f.Years...)
	sort.SliceStable(years, func(i, j int) bool { return years[i].Year < years[j].Year })
	for _, y := range years {
		if y.Year < 1949 || y.Year > 2999 {
			return nil, fmt.Errorf("year %d out of range: %w", y.Year, ErrInvalid)
		}
		if c.covered[y.Year] {
			return nil, fmt.Errorf("year %d listed twice: %w", y.Year, ErrInvalid)
		}
		c.covered[y.Year] = true
		if len(y.Holidays) > maxPerYear || len(y.Workdays) > maxPerYear {
			return nil, fmt.Errorf("year %d: over %d entries: %w", y.Year, maxPerYear, ErrInvalid)
		}
		for _, h := range y.Holidays {
			from, err := parseDay(h.From, y.Year)
			if err != nil {
				return nil, err
			}
			to, err := parseDay(h.To, y.Year)
			if err != nil {
				return nil, err
			}
			if to < from || to-from > 31 {
				return nil, fmt.Errorf("holiday %q %s..%s: bad span: %w", h.Name, h.From, h.To, ErrInvalid)
			}
			for d := from; d <= to; d++ {
				c.off[d] = true
			}
		}
		for _, s := range y.Workdays {
			d, err := parseDay(s, y.Year)
			if err != nil {
				return nil, err
			}
			c.on[d] = true
		}
		if y.Holidays == nil {
			y.Holidays = []Holiday{}
		}
		if y.Workdays == nil {
			y.Workdays = []string{}
		}
		c.years = append(c.years, y)
	}
	for d := range c.on {
		if c.off[d] {
			return nil, fmt.Errorf("%s is both a holiday and a working day: %w", fromDayNum(d).Format(time.DateOnly), ErrInvalid)
		}
	}
	return c, nil
}

// parseDay parses YYYY-MM-DD within a year of the notice's year.
func parseDay(s string, year int) (int64, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Format(time.DateOnly) != s {
		return 0, fmt.Errorf("date %q: %w", s, ErrInvalid)
	}
	if t.Year() < year-1 || t.Year() > year+1 {
		return 0, fmt.Errorf("date %s far from year %d: %w", s, year, ErrInvalid)
	}
	return dayNum(t.Year(), t.Month(), t.Day()), nil
}

// dayNum numbers civil dates consecutively (days since 1970-01-01).
func dayNum(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func fromDayNum(n int64) time.Time { return time.Unix(n*86400, 0).UTC() }

// Covers reports whether the calendar has the State Council notice for year. When it has not, IsWorkday
// counts weekends alone for that year.
func (c *Calendar) Covers(year int) bool { return c.covered[year] }

// IsWorkday reports whether the day of d, taken in Asia/Shanghai, is a working day.
func (c *Calendar) IsWorkday(d time.Time) bool {
	s := d.In(kiosk.Shanghai)
	return c.isWorkday(dayNum(s.Year(), s.Month(), s.Day()))
}

func (c *Calendar) isWorkday(n int64) bool {
	if c.on[n] {
		return true
	}
	if c.off[n] {
		return false
	}
	wd := fromDayNum(n).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Deadline returns the end (23:59:59 Asia/Shanghai) of the n-th working day after the day of accepted; the
// day of acceptance itself is not counted (行政许可法 art. 82). n < 1 gives the end of the day of acceptance.
func (c *Calendar) Deadline(accepted time.Time, n int) time.Time {
	s := accepted.In(kiosk.Shanghai)
	d := dayNum(s.Year(), s.Month(), s.Day())
	for i := 0; i < n; {
		d++
		if c.isWorkday(d) {
			i++
		}
	}
	t := fromDayNum(d)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, kiosk.Shanghai)
}
