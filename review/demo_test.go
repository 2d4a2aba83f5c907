package review_test

import (
	"testing"

	"huren/kiosk/idcard/samsim"
	"huren/review"
)

// The demo registry covers the kiosk's demo cards (all but the child).
func TestDemoRegistryCoversDemoCards(t *testing.T) {
	reg := review.DemoRegistry()
	for i, c := range samsim.DemoCards() {
		_, ok := reg[c.Number]
		if want := c.Name != "王小明"; ok != want {
			t.Errorf("demo card %d (%s): in registry %v, want %v", i, c.Name, ok, want)
		}
	}
}
