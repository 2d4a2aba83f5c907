package ttfsubset

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"huren/resources"
)

func load(t testing.TB) []byte {
	t.Helper()
	b, err := resources.ChineseFont()
	if err != nil {
		t.Fatalf("%v (install fonts-wqy-microhei: make deps)", err)
	}
	return b
}

func TestSubsetKeepsGlyphs(t *testing.T) {
	src := load(t)
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	const text = "居住证互认转换受理回执 Receipt No. 331122-007 补打（）：，。€é"
	out, err := f.Subset([]rune(text + "😀")) // a non-BMP rune is skipped
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > len(src)/20 {
		t.Errorf("subset %d bytes of %d", len(out), len(src))
	}
	if checksum(out) != 0xB1B0AFBA {
		t.Error("whole-file checksum wrong")
	}
	orig, err := sfnt.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := sfnt.Parse(out)
	if err != nil {
		t.Fatalf("x/image cannot parse the subset: %v", err)
	}
	var b1, b2 sfnt.Buffer
	ppem := fixed.I(1000)
	for _, r := range text {
		g1, err1 := orig.GlyphIndex(&b1, r)
		g2, err2 := sub.GlyphIndex(&b2, r)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if g1 == 0 {
			continue // not in the font at all
		}
		if g2 == 0 {
			t.Errorf("%q lost", r)
			continue
		}
		a1, _ := orig.GlyphAdvance(&b1, g1, ppem, 0)
		a2, _ := sub.GlyphAdvance(&b2, g2, ppem, 0)
		if a1 != a2 {
			t.Errorf("%q advance %v → %v", r, a1, a2)
		}
		s1, err1 := orig.LoadGlyph(&b1, g1, ppem, nil)
		n1 := len(s1)
		s2, err2 := sub.LoadGlyph(&b2, g2, ppem, nil)
		if err1 != nil || err2 != nil || n1 != len(s2) {
			t.Errorf("%q outline: %v %v, %d vs %d segments", r, err1, err2, n1, len(s2))
		}
	}
	if g, _ := sub.GlyphIndex(&b2, '国'); g != 0 {
		t.Error("a character not asked for is in the subset")
	}
	// deterministic
	again, _ := f.Subset([]rune(text))
	if !bytes.Equal(again, out) {
		t.Error("subset not deterministic")
	}
}

func TestParseRejects(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("OTTO\x00\x00"), bytes.Repeat([]byte{0}, 40)} {
		if _, err := Parse(b); !errors.Is(err, ErrFormat) {
			t.Errorf("err = %v", err)
		}
	}
}

func FuzzSubset(f *testing.F) {
	src := load(f)
	small, err := Parse(src)
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := small.Subset([]rune("回执A"))
	f.Add(seed, "回A")
	f.Fuzz(func(t *testing.T, b []byte, s string) {
		font, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatal(err)
			}
			return
		}
		out, err := font.Subset([]rune(s))
		if err != nil {
			return
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("subset does not parse: %v", err)
		}
	})
}
