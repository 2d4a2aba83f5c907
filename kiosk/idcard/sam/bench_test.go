package sam

import (
	"testing"

	"huren/kiosk/idcard"
)

func readAnswer(b *testing.B) []byte {
	tx, err := EncodeText(idcard.Card{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉",
		Birth: d(1985, 3, 15), Address: "浙江省杭州市上城区示例路1号", Number: "330102198503150133",
		Authority: "杭州市公安局上城分局", ValidFrom: d(2015, 6, 1), ValidTo: d(2035, 6, 1)})
	if err != nil {
		b.Fatal(err)
	}
	return EncodeResponse(SWOK, ReadTextData(tx, make([]byte, PhotoLen)))
}

// BenchmarkReadAnswer: a 1295-byte 30 01 answer fed to the framer in 64-byte pieces, decoded and validated.
func BenchmarkReadAnswer(b *testing.B) {
	frame := readAnswer(b)
	b.SetBytes(int64(len(frame)))
	var f Framer
	for b.Loop() {
		for i := 0; i < len(frame); i += 64 {
			f.Feed(frame[i:min(i+64, len(frame))])
		}
		p, err := f.Next()
		if err != nil || p == nil {
			b.Fatal(err)
		}
		r, _ := ParseResponse(p)
		c, err := DecodeReadText(r.Data)
		if err != nil || ValidateCard(c) != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAnswerBaseline: only the checksum over the same frame (the least any decoder must do).
func BenchmarkReadAnswerBaseline(b *testing.B) {
	frame := readAnswer(b)
	b.SetBytes(int64(len(frame)))
	var x byte
	for b.Loop() {
		x ^= Checksum(frame[5 : len(frame)-1])
	}
	_ = x
}
