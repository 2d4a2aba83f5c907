package samsim

import (
	"context"
	"errors"
	"testing"
	"time"

	"huren/kiosk/idcard"
	"huren/kiosk/idcard/sam"
)

func TestDemoCardsValid(t *testing.T) {
	cards := DemoCards()
	if len(cards) < 5 {
		t.Fatalf("want at least 5 demo cards, got %d", len(cards))
	}
	for i, c := range cards {
		if err := sam.ValidateCard(c); err != nil {
			t.Errorf("card %d %s: %v", i, idcard.MaskName(c.Name), err)
		}
		text, err := sam.EncodeText(c)
		if err != nil {
			t.Fatalf("card %d: encode: %v", i, err)
		}
		got, err := sam.DecodeText(text)
		if err != nil {
			t.Fatalf("card %d: decode: %v", i, err)
		}
		if !sameCard(got, c) {
			t.Errorf("card %d round trip:\n got %+v\nwant %+v", i, got, c)
		}
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if a := idcard.Age(cards[2].Birth, now); a >= 16 {
		t.Errorf("child card: age %d", a)
	}
	if !cards[3].ValidTo.Before(now) {
		t.Errorf("expired card valid to %v", cards[3].ValidTo)
	}
	if cards[0].Number[:2] != "33" || cards[1].Number[:2] == "33" {
		t.Errorf("want card 0 from Zhejiang and card 1 from elsewhere")
	}
	if cards[4].Type != idcard.TypeHKMOTWResidence {
		t.Errorf("card 4 type %v", cards[4].Type)
	}
}

func sameCard(a, b idcard.Card) bool {
	return a.Type == b.Type && a.Name == b.Name && a.NameEN == b.NameEN && a.Sex == b.Sex && a.Nation == b.Nation &&
		a.Birth.Equal(b.Birth) && a.Address == b.Address && a.Number == b.Number && a.Authority == b.Authority &&
		a.ValidFrom.Equal(b.ValidFrom) && a.ValidTo.Equal(b.ValidTo) && a.PassNo == b.PassNo && a.Issues == b.Issues
}

func TestDemoReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := NewDemoReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetDelay(0)
	cards := DemoCards()
	for i := 0; i < 3; i++ {
		c, err := d.Read(ctx)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if !sameCard(c, cards[i]) {
			t.Errorf("read %d: got %s, want %s", i, idcard.MaskNumber(c.Number), idcard.MaskNumber(cards[i].Number))
		}
	}
	d.Next(4)
	c, err := d.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != idcard.TypeHKMOTWResidence || c.PassNo != cards[4].PassNo {
		t.Errorf("Next(4): got %v", c.Type)
	}
	if d.Sim().FingerprintRequested() {
		t.Error("fingerprints were requested")
	}
	if h := d.Health(); !h.OK {
		t.Errorf("health %+v", h)
	}
	// Read returns ctx.Err() when ctx ends before a card is placed.
	d.SetDelay(time.Hour)
	short, cancel2 := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel2()
	if _, err := d.Read(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read with ended ctx: %v", err)
	}
	// That card was never placed, so it comes next.
	d.SetDelay(0)
	if c, err := d.Read(ctx); err != nil || !sameCard(c, cards[5]) {
		t.Errorf("after a cancelled read: %v", err)
	}
}
