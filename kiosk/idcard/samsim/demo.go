package samsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
	"huren/kiosk/idcard/sam"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, kiosk.Shanghai) }

// number makes a checksum-valid ID number from a 6-digit region, a birth date and a 3-digit sequence
// (odd for men, even for women).
func number(region string, birth time.Time, seq int) string {
	s := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), seq)
	return s + string(idcard.CheckChar(s))
}

// DemoCards returns the sample cards of demo mode. The people are made up (张三, 李四 …); the numbers pass the
// GB 11643 checksum but belong to no one. In order:
//
//	0 张三   adult resident card, born in Zhejiang (330102), valid until 2035
//	1 李四   adult resident card, 苗族, born in Guizhou (522601), valid until 2040
//	2 王小明 child of 12 (under 16), born in Jinyun (331122)
//	3 赵小红 adult resident card, expired on 2024-07-01 (回族, born in Anhui)
//	4 陈大文 Hong Kong resident's residence permit ('J', 810000…)
//	5 Jane Sample / 简·样本 foreigner's permanent residence card, 2023 layout ('Y')
func DemoCards() []idcard.Card {
	b0, b1, b2, b3, b4, b5 := day(1985, 3, 15), day(1990, 11, 2), day(2014, 5, 20), day(1970, 8, 8), day(1992, 7, 1), day(1988, 2, 29)
	return []idcard.Card{
		{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉", Birth: b0,
			Address: "浙江省杭州市上城区示例路1号", Number: number("330102", b0, 13),
			Authority: "杭州市公安局上城分局", ValidFrom: day(2015, 6, 1), ValidTo: day(2035, 6, 1)},
		{Type: idcard.TypeResident, Name: "李四", Sex: "男", Nation: "苗", Birth: b1,
			Address: "贵州省凯里市示例街道8号", Number: number("522601", b1, 57),
			Authority: "凯里市公安局", ValidFrom: day(2020, 1, 10), ValidTo: day(2040, 1, 10)},
		{Type: idcard.TypeResident, Name: "王小明", Sex: "男", Nation: "汉", Birth: b2,
			Address: "浙江省缙云县五云街道示例村12号", Number: number("331122", b2, 31),
			Authority: "缙云县公安局", ValidFrom: day(2022, 6, 1), ValidTo: day(2027, 6, 1)},
		{Type: idcard.TypeResident, Name: "赵小红", Sex: "女", Nation: "回", Birth: b3,
			Address: "安徽省合肥市瑶海区示例路66号", Number: number("340102", b3, 22),
			Authority: "合肥市公安局瑶海分局", ValidFrom: day(2004, 7, 1), ValidTo: day(2024, 7, 1)},
		{Type: idcard.TypeHKMOTWResidence, Name: "陈大文", Sex: "男", Birth: b4,
			Address: "浙江省丽水市莲都区示例路9号", Number: number("810000", b4, 15),
			Authority: "丽水市公安局", ValidFrom: day(2023, 3, 1), ValidTo: day(2028, 3, 1), PassNo: "H12345678", Issues: 1},
		{Type: idcard.TypeForeignPermanent, Name: "简·样本", NameEN: "SAMPLE, JANE", Sex: "女", Nation: "GBR", Birth: b5,
			Number: number("933826", b5, 2), ValidFrom: day(2024, 1, 15), ValidTo: day(2034, 1, 15), Issues: 0},
	}
}

// DemoReader is the card reader of demo mode: a Sim on a pseudo-terminal read through the real sam.Reader,
// so demo mode exercises the whole protocol stack. Each Read places a demo card about PlaceDelay after it
// begins (the next in turn, or the one chosen with Next), reads it, then removes it. It implements
// kiosk.CardReader.
type DemoReader struct {
	sim   *Sim
	r     *sam.Reader
	cards []idcard.Card

	mu    sync.Mutex
	next  int
	delay time.Duration
}

var _ kiosk.CardReader = (*DemoReader)(nil)

// PlaceDelay is how long after Read begins the demo card is placed.
const PlaceDelay = time.Second

// NewDemoReader starts a simulator with DemoCards and opens a sam.Reader on it. Errors come from Start and
// sam.Open.
func NewDemoReader(ctx context.Context) (*DemoReader, error) {
	sim, err := Start()
	if err != nil {
		return nil, err
	}
	r, err := sam.Open(ctx, sim.Path(), sam.DefaultBaud)
	if err != nil {
		sim.Close()
		return nil, fmt.Errorf("demo reader: %w", err)
	}
	return &DemoReader{sim: sim, r: r, cards: DemoCards(), delay: PlaceDelay}, nil
}

// Next chooses which demo card (index into DemoCards, taken modulo their number) the next Read places.
func (d *DemoReader) Next(i int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.cards)
	d.next = ((i % n) + n) % n
}

// SetDelay changes how long after Read begins the card is placed (PlaceDelay by default; 0 places it at once).
func (d *DemoReader) SetDelay(delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.delay = max(delay, 0)
}

// Cards returns the demo cards in the order Next indexes them.
func (d *DemoReader) Cards() []idcard.Card { return DemoCards() }

// Sim returns the simulator behind the reader (to inject faults in demos and tests).
func (d *DemoReader) Sim() *Sim { return d.sim }

// Read places the next demo card after the delay, reads it through the SAM protocol and removes it. When ctx
// ends before the card was placed, the same card comes next time. It returns
// what sam.Reader.Read returns: the card, ctx.Err() when ctx ends, or a *kiosk.UserError.
func (d *DemoReader) Read(ctx context.Context) (idcard.Card, error) {
	d.mu.Lock()
	i, delay := d.next, d.delay
	c := d.cards[i]
	d.mu.Unlock()

	placeCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Place the card only after the reader has seen the previous one gone (two empty polls), so it is
		// taken for a new card.
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-placeCtx.Done():
			return
		case <-t.C:
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for d.sim.EmptyFinds() < 2 {
			select {
			case <-placeCtx.Done():
				return
			case <-tick.C:
			}
		}
		if err := d.sim.Place(c); err != nil {
			panic(err) // DemoCards are static and encodable; a test covers every one
		}
		// The card is down: the next Read takes the next card (unless Next chose another meanwhile).
		d.mu.Lock()
		if d.next == i {
			d.next = (i + 1) % len(d.cards)
		}
		d.mu.Unlock()
	}()
	card, err := d.r.Read(ctx)
	cancel()
	wg.Wait()
	d.sim.Remove()
	return card, err
}

// Health reports the underlying reader's health.
func (d *DemoReader) Health() kiosk.Health { return d.r.Health() }

// Close closes the reader and the simulator.
func (d *DemoReader) Close() error {
	return errors.Join(d.r.Close(), d.sim.Close())
}
