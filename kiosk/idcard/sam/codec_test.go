package sam

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenRequests(t *testing.T) {
	golden := []struct {
		cmd  Command
		want string
	}{
		{CmdReset, "AA AA AA 96 69 00 03 10 FF EC"},
		{CmdSAMStatus, "AA AA AA 96 69 00 03 11 FF ED"},
		{CmdSAMID, "AA AA AA 96 69 00 03 12 FF EE"},
		{CmdFind, "AA AA AA 96 69 00 03 20 01 22"},
		{CmdSelect, "AA AA AA 96 69 00 03 20 02 21"},
		{CmdReadText, "AA AA AA 96 69 00 03 30 01 32"},
		{CmdReadAddress, "AA AA AA 96 69 00 03 30 03 30"},
	}
	if len(golden) != len(Commands) {
		t.Fatalf("golden table has %d commands, Commands %d", len(golden), len(Commands))
	}
	for i, g := range golden {
		if Commands[i] != g.cmd {
			t.Errorf("Commands[%d] = %v, want %v", i, Commands[i], g.cmd)
		}
		got, err := Encode(g.cmd, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, unhex(t, g.want)) {
			t.Errorf("%v: got % X, want %s", g.cmd, got, g.want)
		}
		// The simulator's side: the request frame splits back into the command.
		p, n, err := SplitFrame(got)
		if err != nil || n != len(got) {
			t.Fatalf("%v: split: %v", g.cmd, err)
		}
		req, err := ParseRequest(p)
		if err != nil || req.Command != g.cmd || len(req.Data) != 0 {
			t.Errorf("%v: parse request: %+v %v", g.cmd, req, err)
		}
	}
	// With data: LEN counts it, CHK covers it.
	got, _ := Encode(Command{0x60, 0x01}, []byte{0x12, 0x34})
	if want := unhex(t, "AA AA AA 96 69 00 05 60 01 12 34 42"); !bytes.Equal(got, want) {
		t.Errorf("with data: got % X, want % X", got, want)
	}
}

func TestNeverFingerprints(t *testing.T) {
	if _, err := Encode(Command{0x30, 0x10}, nil); !errors.Is(err, ErrForbidden) {
		t.Fatalf("30 10: %v", err)
	}
	for _, c := range Commands {
		if c.Cmd == 0x30 && c.Para == 0x10 {
			t.Fatal("30 10 in the command table")
		}
	}
}

func TestGoldenResponses(t *testing.T) {
	for _, g := range []struct {
		frame string
		sw3   byte
		data  int
		cmd   Command
		ok    bool
	}{
		{"AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", SWFound, 4, CmdFind, true},
		{"AA AA AA 96 69 00 04 00 00 80 84", SWFindFailed, 0, CmdFind, false},
		{"AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", SWOK, 8, CmdSelect, true},
		{"AA AA AA 96 69 00 04 00 00 90 94", SWOK, 0, CmdReset, true},
		{"AA AA AA 96 69 00 04 00 00 91 95", SWNoContent, 0, CmdReadAddress, true},
		{"AA AA AA 96 69 00 04 00 00 60 64", SWSelfTest, 0, CmdSAMStatus, false},
	} {
		b := unhex(t, g.frame)
		r, n, err := Decode(b)
		if err != nil || n != len(b) {
			t.Fatalf("%s: %v", g.frame, err)
		}
		if r.SW3 != g.sw3 || len(r.Data) != g.data {
			t.Errorf("%s: %+v", g.frame, r)
		}
		if (r.Err(g.cmd) == nil) != g.ok {
			t.Errorf("%s: Err(%v) = %v", g.frame, g.cmd, r.Err(g.cmd))
		}
		if enc := EncodeResponse(g.sw3, r.Data); !bytes.Equal(enc, b) {
			t.Errorf("EncodeResponse: % X, want %s", enc, g.frame)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := unhex(t, "AA AA AA 96 69 00 04 00 00 90 94")
	for i := 0; i < len(good); i++ {
		if _, _, err := Decode(good[:i]); !errors.Is(err, ErrShort) {
			t.Errorf("prefix %d: %v", i, err)
		}
	}
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	if _, _, err := Decode(bad); !errors.Is(err, ErrChecksum) {
		t.Errorf("checksum: %v", err)
	}
	bad = append([]byte(nil), good...)
	bad[9] ^= 0x40 // data changed, CHK kept
	if _, _, err := Decode(bad); !errors.Is(err, ErrChecksum) {
		t.Errorf("payload flip: %v", err)
	}
	if _, _, err := Decode(unhex(t, "AB AA AA 96 69 00 04 00 00 90 94")); !errors.Is(err, ErrPreamble) {
		t.Errorf("preamble: %v", err)
	}
	if _, _, err := Decode(unhex(t, "AA AA AA 96 69 FF FF 00")); !errors.Is(err, ErrLength) {
		t.Errorf("huge LEN: %v", err)
	}
	if _, _, err := Decode(unhex(t, "AA AA AA 96 69 00 02 00 02")); !errors.Is(err, ErrLength) {
		t.Errorf("tiny LEN: %v", err)
	}
	// LEN 3 is a legal request but too short for a response (no SW3).
	if _, _, err := Decode(unhex(t, "AA AA AA 96 69 00 03 00 00 03")); !errors.Is(err, ErrLength) {
		t.Errorf("LEN 3 response: %v", err)
	}
	// Extra bytes after the frame are not consumed.
	_, n, err := Decode(append(append([]byte(nil), good...), 1, 2, 3))
	if err != nil || n != len(good) {
		t.Errorf("trailing: n=%d err=%v", n, err)
	}
}

func TestEveryStatusCode(t *testing.T) {
	if len(StatusCodes) != 18 {
		t.Fatalf("%d status codes", len(StatusCodes))
	}
	class := map[byte]error{
		SWFindFailed: ErrNoCard, SWSelectFailed: ErrSelect, SWReadFailed: ErrCardRead, SWAuthCard: ErrCardRead,
		SWAuthSAM: ErrCardRead, SWVerify: ErrCardRead, SWCardType: ErrCardRead, SWRandom: ErrCardRead,
		SWSelfTest: ErrModule, SWUnauthorised: ErrModule, SWNotAllowed: ErrModule, SWUnknown: ErrModule,
		SWChecksum: ErrLinkCorrupt, SWLength: ErrLinkCorrupt, SWCommand: ErrLinkCorrupt,
	}
	seen := map[string]byte{}
	for _, sw := range StatusCodes {
		frame := EncodeResponse(sw, nil)
		r, _, err := Decode(frame)
		if err != nil {
			t.Fatalf("%02X: %v", sw, err)
		}
		err = r.Err(CmdReadText)
		if sw == SWOK {
			if err != nil {
				t.Errorf("90: %v", err)
			}
			continue
		}
		var se *StatusError
		if !errors.As(err, &se) || se.SW3 != sw {
			t.Fatalf("%02X: %v", sw, err)
		}
		zh := se.Zh()
		if zh == "" || strings.HasPrefix(zh, "读卡器返回未知状态") || se.En() == "" {
			t.Errorf("%02X: no message", sw)
		}
		if prev, dup := seen[zh]; dup {
			t.Errorf("%02X and %02X share the message %q", sw, prev, zh)
		}
		seen[zh] = sw
		if !strings.Contains(err.Error(), zh) {
			t.Errorf("%02X: Error() %q lacks %q", sw, err.Error(), zh)
		}
		if want, ok := class[sw]; ok && !errors.Is(err, want) {
			t.Errorf("%02X: not %v", sw, want)
		}
		for _, other := range []error{ErrNoCard, ErrSelect, ErrModule, ErrLinkCorrupt} {
			if other != class[sw] && errors.Is(err, other) {
				t.Errorf("%02X: wrongly %v", sw, other)
			}
		}
	}
	// Success codes are command specific.
	if (Response{SW3: SWFound}).Err(CmdFind) != nil || (Response{SW3: SWFound}).Err(CmdSelect) == nil {
		t.Error("9F is success for find card only")
	}
	if (Response{SW3: SWNoContent}).Err(CmdReadAddress) != nil || (Response{SW3: SWNoContent}).Err(CmdReadText) == nil {
		t.Error("91 is success for the additional address only")
	}
	if e := (&StatusError{SW3: 0x55}); !strings.Contains(e.Zh(), "55") {
		t.Errorf("unknown status: %q", e.Zh())
	}
}

// ucs2 writes s as UCS-2 little-endian at byte offset off of t, by hand.
func ucs2(t []byte, off int, s string) {
	for _, r := range s {
		t[off], t[off+1] = byte(r&0xFF), byte(r>>8)
		off += 2
	}
}

// blank returns a 256-byte text block of UCS-2LE spaces.
func blank() []byte {
	t := make([]byte, 256)
	for i := 0; i < 256; i += 2 {
		t[i] = 0x20
	}
	return t
}

func d(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, kiosk.Shanghai) }

func checkCard(t *testing.T, got, want idcard.Card) {
	t.Helper()
	if got.Type != want.Type || got.Name != want.Name || got.NameEN != want.NameEN || got.Sex != want.Sex ||
		got.Nation != want.Nation || !got.Birth.Equal(want.Birth) || got.Address != want.Address ||
		got.Number != want.Number || got.Authority != want.Authority || !got.ValidFrom.Equal(want.ValidFrom) ||
		!got.ValidTo.Equal(want.ValidTo) || got.PassNo != want.PassNo || got.Issues != want.Issues {
		t.Errorf("card:\n got %+v\nwant %+v", got, want)
	}
}

func TestDecodeResident(t *testing.T) {
	tx := blank()
	ucs2(tx, 0, "张三")
	ucs2(tx, 30, "1")
	ucs2(tx, 32, "01")
	ucs2(tx, 36, "19850315")
	ucs2(tx, 52, "浙江省杭州市上城区示例路1号")
	ucs2(tx, 122, "330102198503150133")
	ucs2(tx, 158, "杭州市公安局上城分局")
	ucs2(tx, 188, "20150601")
	ucs2(tx, 204, "20350601")
	// spot-check the hand encoding: 张 is U+5F20
	if tx[0] != 0x20 || tx[1] != 0x5F || tx[30] != '1' || tx[31] != 0 {
		t.Fatalf("hand encoding wrong: % X", tx[:4])
	}
	want := idcard.Card{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉", Birth: d(1985, 3, 15),
		Address: "浙江省杭州市上城区示例路1号", Number: "330102198503150133", Authority: "杭州市公安局上城分局",
		ValidFrom: d(2015, 6, 1), ValidTo: d(2035, 6, 1)}
	got, err := DecodeText(tx)
	if err != nil {
		t.Fatal(err)
	}
	checkCard(t, got, want)
	if err := ValidateCard(got); err != nil {
		t.Errorf("validate: %v", err)
	}
	enc, err := EncodeText(want)
	if err != nil || !bytes.Equal(enc, tx) {
		t.Errorf("EncodeText differs from the hand-built block: %v", err)
	}

	// 长期 and a minority nation; full-width field.
	ucs2(tx, 204, "长期      ")
	ucs2(tx, 32, "22")
	ucs2(tx, 0, "欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜") // 15 characters: the whole field
	got, err = DecodeText(tx)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ValidTo.IsZero() || got.Nation != "畲" || got.Name != "欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜" {
		t.Errorf("got %+v", got)
	}
}

func TestDecodeHKMOTW(t *testing.T) {
	tx := blank()
	ucs2(tx, 0, "陈大文")
	ucs2(tx, 30, "1")
	// nation left blank on permits
	ucs2(tx, 36, "19920701")
	ucs2(tx, 52, "浙江省丽水市莲都区示例路9号")
	num := "81000019920701015"
	num += string(idcard.CheckChar(num))
	ucs2(tx, 122, num)
	ucs2(tx, 158, "丽水市公安局")
	ucs2(tx, 188, "20230301")
	ucs2(tx, 204, "20280301")
	ucs2(tx, 220, "H12345678")
	ucs2(tx, 238, "01")
	ucs2(tx, 248, "J")
	want := idcard.Card{Type: idcard.TypeHKMOTWResidence, Name: "陈大文", Sex: "男", Birth: d(1992, 7, 1),
		Address: "浙江省丽水市莲都区示例路9号", Number: num, Authority: "丽水市公安局",
		ValidFrom: d(2023, 3, 1), ValidTo: d(2028, 3, 1), PassNo: "H12345678", Issues: 1}
	got, err := DecodeText(tx)
	if err != nil {
		t.Fatal(err)
	}
	checkCard(t, got, want)
	if CardTypeMark(tx) != 'J' {
		t.Error("mark")
	}
	if err := ValidateCard(got); err != nil {
		t.Errorf("validate: %v", err)
	}
	if enc, err := EncodeText(want); err != nil || !bytes.Equal(enc, tx) {
		t.Errorf("EncodeText differs from the hand-built block: %v", err)
	}
}

func TestDecodeForeign2017(t *testing.T) {
	tx := blank()
	ucs2(tx, 0, "SAMPLE, JOHN")
	ucs2(tx, 120, "1")
	ucs2(tx, 122, "USA330085031501")
	ucs2(tx, 152, "USA")
	ucs2(tx, 158, "约翰·样本")
	ucs2(tx, 188, "20170301")
	ucs2(tx, 204, "20270301")
	ucs2(tx, 220, "19850315")
	ucs2(tx, 236, "20")
	ucs2(tx, 240, "3300")
	ucs2(tx, 248, "I")
	want := idcard.Card{Type: idcard.TypeForeignPermanent, Name: "约翰·样本", NameEN: "SAMPLE, JOHN", Sex: "男",
		Nation: "USA", Birth: d(1985, 3, 15), Number: "USA330085031501", Authority: "3300",
		ValidFrom: d(2017, 3, 1), ValidTo: d(2027, 3, 1)}
	got, err := DecodeText(tx)
	if err != nil {
		t.Fatal(err)
	}
	checkCard(t, got, want)
	if err := ValidateCard(got); err != nil {
		t.Errorf("validate: %v", err)
	}
	if enc, err := EncodeText(want); err != nil || !bytes.Equal(enc, tx) {
		t.Errorf("EncodeText differs from the hand-built block: %v", err)
	}
	// Without a Chinese name the English one is the name.
	ucs2(tx, 158, strings.Repeat(" ", 15))
	got, err = DecodeText(tx)
	if err != nil || got.Name != "SAMPLE, JOHN" {
		t.Errorf("no Chinese name: %q %v", got.Name, err)
	}
}

func TestDecodeForeign2023(t *testing.T) {
	tx := blank()
	ucs2(tx, 0, "简·样本")
	ucs2(tx, 30, "2")
	ucs2(tx, 32, "01")
	ucs2(tx, 36, "19880229")
	en := "SAMPLE-LONGFAMILYNAME, JANE ELIZABETH MARGARET" // 46 characters: 35 + 11 continued
	ucs2(tx, 52, en[:35])
	ucs2(tx, 122, "933826198802290025")
	ucs2(tx, 188, "20240115")
	ucs2(tx, 204, "20340115")
	ucs2(tx, 220, en[35:])
	ucs2(tx, 242, "GBR")
	ucs2(tx, 248, "Y")
	want := idcard.Card{Type: idcard.TypeForeignPermanent, Name: "简·样本", NameEN: en, Sex: "女", Nation: "GBR",
		Birth: d(1988, 2, 29), Number: "933826198802290025", ValidFrom: d(2024, 1, 15), ValidTo: d(2034, 1, 15), Issues: 1}
	want.Number = want.Number[:17] + string(idcard.CheckChar(want.Number))
	ucs2(tx, 122, want.Number)
	got, err := DecodeText(tx)
	if err != nil {
		t.Fatal(err)
	}
	checkCard(t, got, want)
	if err := ValidateCard(got); err != nil {
		t.Errorf("validate: %v", err)
	}
	if enc, err := EncodeText(want); err != nil || !bytes.Equal(enc, tx) {
		t.Errorf("EncodeText differs from the hand-built block: %v", err)
	}
	// A number that fails MOD 11-2.
	bad := got
	bad.Number = want.Number[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", want.Number[17])+1)%11])
	if err := ValidateCard(bad); !errors.Is(err, idcard.ErrChecksum) {
		t.Errorf("bad check char: %v", err)
	}
}

func TestSexAndNationTables(t *testing.T) {
	if Sexes["0"] != "未知" || Sexes["1"] != "男" || Sexes["2"] != "女" || Sexes["9"] != "未说明" || len(Sexes) != 4 {
		t.Errorf("sex table %v", Sexes)
	}
	if len(Nations) != 58 {
		t.Errorf("%d nations, want 56 + 97 + 98", len(Nations))
	}
	for i := 1; i <= 56; i++ {
		code := string(rune('0'+i/10)) + string(rune('0'+i%10))
		if Nations[code] == "" {
			t.Errorf("nation %s missing", code)
		}
	}
	if Nations["01"] != "汉" || Nations["22"] != "畲" || Nations["56"] != "基诺" || Nations["97"] != "其他" || Nations["98"] != "外国血统中国籍人士" {
		t.Error("nation names")
	}
	if len(nationCodes) != len(Nations) {
		t.Error("duplicate nation names")
	}
	// Every sex code decodes.
	tx, _ := EncodeText(idcard.Card{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉",
		Birth: d(1985, 3, 15), Number: "330102198503150133", ValidFrom: d(2015, 6, 1)})
	for code, name := range Sexes {
		ucs2(tx, 30, code)
		c, err := DecodeText(tx)
		if err != nil || c.Sex != name {
			t.Errorf("sex %s: %q %v", code, c.Sex, err)
		}
	}
}

func TestDecodeTextErrors(t *testing.T) {
	base := func() []byte {
		tx, err := EncodeText(idcard.Card{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉",
			Birth: d(1985, 3, 15), Number: "330102198503150133", ValidFrom: d(2015, 6, 1), ValidTo: d(2035, 6, 1)})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	for name, mut := range map[string]func([]byte){
		"sex":        func(b []byte) { ucs2(b, 30, "3") },
		"nation":     func(b []byte) { ucs2(b, 32, "57") },
		"birth":      func(b []byte) { ucs2(b, 36, "19850230") },
		"valid_from": func(b []byte) { ucs2(b, 188, "2015-6-1") },
		"valid_to":   func(b []byte) { ucs2(b, 204, "20100101") }, // before valid_from
		"name":       func(b []byte) { ucs2(b, 0, "               ") },
		"control":    func(b []byte) { b[52], b[53] = 0x07, 0 },
		"surrogate":  func(b []byte) { b[52], b[53] = 0x00, 0xD8 },
		"type":       func(b []byte) { ucs2(b, 248, "Q") },
	} {
		tx := base()
		mut(tx)
		if _, err := DecodeText(tx); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := DecodeText(make([]byte, 255)); !errors.Is(err, ErrMalformed) {
		t.Error("short block")
	}
}

func TestDecodeReadTextZeroes(t *testing.T) {
	tx, _ := EncodeText(idcard.Card{Type: idcard.TypeResident, Name: "张三", Sex: "男", Nation: "汉",
		Birth: d(1985, 3, 15), Number: "330102198503150133", ValidFrom: d(2015, 6, 1)})
	photo := bytes.Repeat([]byte{0x57}, PhotoLen)
	data := ReadTextData(tx, photo)
	c, err := DecodeReadText(data)
	if err != nil || c.Name != "张三" {
		t.Fatalf("%+v %v", c, err)
	}
	if !bytes.Equal(data, make([]byte, len(data))) {
		t.Error("30 01 data not zeroed after decoding")
	}
	bad := ReadTextData(tx, photo)
	bad[1] = 0xFF // text length 255
	if _, err := DecodeReadText(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad text length: %v", err)
	}
	if !bytes.Equal(bad, make([]byte, len(bad))) {
		t.Error("rejected data not zeroed")
	}
	if _, err := DecodeReadText([]byte{1}); !errors.Is(err, ErrMalformed) {
		t.Error("tiny")
	}
}

func TestValidateCard(t *testing.T) {
	c := idcard.Card{Type: idcard.TypeResident, Number: "330102198503150133", Birth: d(1985, 3, 15)}
	if err := ValidateCard(c); err != nil {
		t.Fatal(err)
	}
	c.Number = "330102198503150134"
	if err := ValidateCard(c); !errors.Is(err, idcard.ErrChecksum) {
		t.Errorf("checksum: %v", err)
	}
	c.Number = "330102198503150133"
	c.Birth = d(1985, 3, 16)
	if err := ValidateCard(c); !errors.Is(err, idcard.ErrBirthDate) {
		t.Errorf("birth mismatch: %v", err)
	}
	f := idcard.Card{Type: idcard.TypeForeignPermanent, Number: "usa330085031501"}
	if err := ValidateCard(f); !errors.Is(err, idcard.ErrFormat) {
		t.Errorf("2017 lower case: %v", err)
	}
}

func TestSurrogatePairs(t *testing.T) {
	tx, _ := EncodeText(idcard.Card{Type: idcard.TypeResident, Name: "张𠀾", Sex: "男", Nation: "汉",
		Birth: d(1985, 3, 15), Number: "330102198503150133", ValidFrom: d(2015, 6, 1)})
	c, err := DecodeText(tx)
	if err != nil || c.Name != "张𠀾" {
		t.Fatalf("rare character: %q %v", c.Name, err)
	}
	// A high surrogate at the very end of a field is broken.
	tx[28], tx[29] = 0x40, 0xD8
	if _, err := DecodeText(tx); !errors.Is(err, ErrMalformed) {
		t.Errorf("lone surrogate at end: %v", err)
	}
}

func TestDecodeAddress(t *testing.T) {
	b := make([]byte, AddressLen)
	for i := 0; i < AddressLen; i += 2 {
		b[i] = ' '
	}
	ucs2(b, 0, "浙江省缙云县五云街道示例路3号")
	a, err := DecodeAddress(b)
	if err != nil || a != "浙江省缙云县五云街道示例路3号" {
		t.Fatalf("%q %v", a, err)
	}
	if !bytes.Equal(b, make([]byte, AddressLen)) {
		t.Error("not zeroed")
	}
	if _, err := DecodeAddress(make([]byte, 10)); !errors.Is(err, ErrMalformed) {
		t.Error("short address accepted")
	}
}
