package escpos

import (
	"bytes"
	"errors"
	"testing"

	"huren/kiosk"
)

func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		fn   func(w *Buffer)
		want []byte
	}{
		{"init", func(w *Buffer) { w.Init() }, []byte{0x1B, 0x40, 0x1C, 0x26}},
		{"bold on", func(w *Buffer) { w.Bold(true) }, []byte{0x1B, 0x45, 0x01}},
		{"bold off", func(w *Buffer) { w.Bold(false) }, []byte{0x1B, 0x45, 0x00}},
		{"reverse", func(w *Buffer) { w.Reverse(true) }, []byte{0x1D, 0x42, 0x01}},
		{"double size", func(w *Buffer) { w.Size(2, 2) }, []byte{0x1D, 0x21, 0x11}},
		{"double height", func(w *Buffer) { w.Size(1, 2) }, []byte{0x1D, 0x21, 0x01}},
		{"normal size", func(w *Buffer) { w.Size(1, 1) }, []byte{0x1D, 0x21, 0x00}},
		{"size clamped", func(w *Buffer) { w.Size(9, 0) }, []byte{0x1D, 0x21, 0x70}},
		{"font b", func(w *Buffer) { w.Font(true) }, []byte{0x1B, 0x4D, 0x01}},
		{"center", func(w *Buffer) { w.Align(Center) }, []byte{0x1B, 0x61, 0x01}},
		{"right", func(w *Buffer) { w.Align(Right) }, []byte{0x1B, 0x61, 0x02}},
		{"gb18030 line", func(w *Buffer) { w.Line("回执A1") }, []byte{0xBB, 0xD8, 0xD6, 0xB4, 'A', '1', 0x0A}},
		{"gb18030 4-byte", func(w *Buffer) { w.Text("€") }, []byte{0xA2, 0xE3}},
		{"feed lines", func(w *Buffer) { w.Feed(3) }, []byte{0x1B, 0x64, 0x03}},
		{"feed dots", func(w *Buffer) { w.FeedDots(24) }, []byte{0x1B, 0x4A, 24}},
		{"full cut", func(w *Buffer) { w.Cut(false) }, []byte{0x1D, 0x56, 0x00}},
		{"partial cut", func(w *Buffer) { w.Cut(true) }, []byte{0x1D, 0x56, 0x01}},
		{"feed and cut", func(w *Buffer) { w.FeedCut(80, false) }, []byte{0x1D, 0x56, 0x41, 80}},
		{"feed and partial cut", func(w *Buffer) { w.FeedCut(80, true) }, []byte{0x1D, 0x56, 0x42, 80}},
		{"qr", func(w *Buffer) {
			if err := w.QR([]byte("https://a.b/s/1"), 6, QRLevelM); err != nil {
				t.Fatal(err)
			}
		}, cat(
			[]byte{0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00}, // model 2
			[]byte{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06},       // module 6
			[]byte{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31},       // level M
			[]byte{0x1D, 0x28, 0x6B, 18, 0x00, 0x31, 0x50, 0x30},         // store 15 bytes + 3
			[]byte("https://a.b/s/1"),
			[]byte{0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30}, // print
		)},
		{"raster", func(w *Buffer) {
			if err := w.Raster(10, 2, []byte{0xFF, 0xC0, 0x80, 0x40}); err != nil {
				t.Fatal(err)
			}
		}, []byte{0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0xC0, 0x80, 0x40}},
	}
	for _, c := range cases {
		var w Buffer
		c.fn(&w)
		if !bytes.Equal(w.Bytes(), c.want) {
			t.Errorf("%s: got % x, want % x", c.name, w.Bytes(), c.want)
		}
	}
	if !bytes.Equal(StatusRequest(4), []byte{0x10, 0x04, 0x04}) {
		t.Error("DLE EOT 4")
	}
}

func TestQRLongData(t *testing.T) {
	var w Buffer
	data := bytes.Repeat([]byte{'x'}, 300)
	if err := w.QR(data, 4, QRLevelM); err != nil {
		t.Fatal(err)
	}
	// store: pL pH = 303
	i := bytes.Index(w.Bytes(), []byte{0x31, 0x50, 0x30})
	if i < 2 || w.Bytes()[i-2] != 303&0xFF || w.Bytes()[i-1] != 303>>8 {
		t.Errorf("store length wrong: % x", w.Bytes()[:40])
	}
	if err := w.QR(nil, 4, QRLevelM); !errors.Is(err, ErrTooLong) {
		t.Error("empty QR accepted")
	}
	if err := w.Raster(16, 2, []byte{1}); !errors.Is(err, ErrTooLong) {
		t.Error("short raster accepted")
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestParseStatus(t *testing.T) {
	cases := []struct {
		name  string
		reply []byte
		check func(t *testing.T, s statusView)
	}{
		{"ready", []byte{0x12, 0x12, 0x12, 0x12}, func(t *testing.T, s statusView) {
			if !s.Online || s.PaperOut || s.PaperNearEnd || s.CoverOpen || s.CutterError || s.Unrecoverable || s.err != nil {
				t.Errorf("%+v", s)
			}
		}},
		{"near end", []byte{0x12, 0x12, 0x12, 0x1E}, func(t *testing.T, s statusView) {
			if !s.PaperNearEnd || s.PaperOut || s.err != nil {
				t.Errorf("%+v", s)
			}
		}},
		{"paper out", []byte{0x1A, 0x32, 0x12, 0x72}, func(t *testing.T, s statusView) {
			if !errors.Is(s.err, kiosk.ErrPaperOut) || !s.PaperOut {
				t.Errorf("%+v", s)
			}
		}},
		{"cover open", []byte{0x1A, 0x16, 0x12, 0x12}, func(t *testing.T, s statusView) {
			if !s.CoverOpen || !errors.Is(s.err, kiosk.ErrCoverOpen) {
				t.Errorf("%+v", s)
			}
		}},
		{"cutter", []byte{0x12, 0x52, 0x1A, 0x12}, func(t *testing.T, s statusView) {
			if !s.CutterError || s.err == nil {
				t.Errorf("%+v", s)
			}
		}},
		{"offline", []byte{0x1A, 0x12, 0x12, 0x12}, func(t *testing.T, s statusView) {
			if s.Online || !errors.Is(s.err, kiosk.ErrPrinterOffline) {
				t.Errorf("%+v", s)
			}
		}},
		{"unrecoverable", []byte{0x12, 0x12, 0x32, 0x12}, func(t *testing.T, s statusView) {
			if !s.Unrecoverable {
				t.Errorf("%+v", s)
			}
		}},
	}
	for _, c := range cases {
		st, err := ParseStatus(c.reply)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st.Detail == "" {
			t.Errorf("%s: no detail", c.name)
		}
		c.check(t, statusView{PrinterStatus: st, err: st.Err()})
	}
	for _, bad := range [][]byte{nil, {0x12, 0x12, 0x12}, {0x12, 0x12, 0x12, 0x00}, {0xFF, 0x12, 0x12, 0x12}} {
		if _, err := ParseStatus(bad); !errors.Is(err, ErrStatus) {
			t.Errorf("% x: err = %v", bad, err)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte{0x12, 0x12, 0x12, 0x12})
	f.Add([]byte{0x1A, 0x32, 0x12, 0x72})
	f.Add([]byte{0x12, 0x12, 0x12, 0x1E})
	f.Add([]byte{0x1A, 0x16, 0x12, 0x12})
	f.Add([]byte{0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ParseStatus(b)
		if err != nil {
			if !errors.Is(err, ErrStatus) {
				t.Fatalf("error not ErrStatus: %v", err)
			}
			return
		}
		if len(b) < 4 {
			t.Fatal("accepted short reply")
		}
		if b[0]&0x08 == 0 && !st.Online {
			t.Fatal("online bit misread")
		}
		if b[0]&0x08 != 0 && st.Err() == nil {
			t.Fatal("offline printer reports no error")
		}
		if st.PaperOut != (b[1]&0x20 != 0 || b[3]&0x60 != 0) {
			t.Fatal("paper end misread")
		}
		if st.Detail == "" {
			t.Fatal("no detail")
		}
		if st.Err() == nil && (st.PaperOut || !st.Online || st.CoverOpen) {
			t.Fatal("a state that cannot print reports no error")
		}
	})
}

type statusView struct {
	kiosk.PrinterStatus
	err error
}
