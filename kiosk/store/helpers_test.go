package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, kiosk.Shanghai)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var _ kiosk.Clock = (*fakeClock)(nil)

// testOptions returns options for a store in a fresh temporary folder with a new key.
func testOptions(t testing.TB, clock kiosk.Clock) Options {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "kiosk.key")
	if err := CreateKey(key); err != nil {
		t.Fatal(err)
	}
	return Options{
		Path:      filepath.Join(dir, "data", "queue.db"),
		KeyFile:   key,
		KioskNo:   7,
		Clock:     clock,
		FreeSpace: func(string) (int64, error) { return 10 << 30, nil },
		Logger:    slog.New(slog.DiscardHandler),
	}
}

func openTest(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleApp makes an application with recognisable personal data (index i varies it) and materials of
// the given sizes.
func sampleApp(t testing.TB, i int, sizes ...int) kiosk.Application {
	a := kiosk.Application{
		StatusToken: kiosk.NewStatusToken(),
		Applicant: kiosk.Applicant{
			Name:     fmt.Sprintf("欧阳测试%d", i),
			Number:   fmt.Sprintf("3311221990%02d%02d%03dX", 1+i%12, 1+i%28, i%1000),
			Sex:      "女",
			Nation:   "汉",
			Birth:    time.Date(1990, 1, 2, 0, 0, 0, 0, kiosk.Shanghai),
			CardType: idcard.TypeResident,
		},
		Route:         kiosk.RouteRegistration,
		Condition:     kiosk.ConditionEmployment,
		Mobile:        fmt.Sprintf("139%08d", 55500000+i),
		Address:       kiosk.Address{TownCode: "331122001", Town: "五云街道", Community: "城东社区", Detail: fmt.Sprintf("%d号幢3单元", 100+i)},
		EmployerUSCC:  fmt.Sprintf("91331122MA2%07dX", i),
		Precheck:      kiosk.Precheck{Known: true, Months: 7},
		NoticeVersion: "2026-1",
	}
	for j, n := range sizes {
		a.Materials = append(a.Materials, kiosk.Material{
			Kind: kiosk.MaterialLabourContract, Page: j + 1, ContentType: "image/jpeg", Data: randBytes(t, n),
			Warnings: []string{"blur"},
		})
	}
	return a
}
