package sam

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"huren/kiosk"
	"huren/kiosk/idcard"
)

// TextLen and PhotoLen are the sizes a 30 01 answer announces.
const (
	TextLen  = 256
	PhotoLen = 1024
)

// Card-type marks at text offset 248.
const (
	MarkHKMOTW     = 'J' // 港澳台居民居住证
	MarkForeign17  = 'I' // 外国人永久居留身份证 (2017)
	MarkForeign23  = 'Y' // 外国人永久居留身份证 (2023)
	typeMarkOffset = 248
)

// Sexes maps the sex codes of GB/T 2261.1 to their names.
var Sexes = map[string]string{"0": "未知", "1": "男", "2": "女", "9": "未说明"}

// Nations maps GB/T 3304 codes to ethnic group names as printed on the card (汉, 蒙古 …).
var Nations = map[string]string{
	"01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝", "08": "壮",
	"09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白", "15": "土家", "16": "哈尼",
	"17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤", "22": "畲", "23": "高山", "24": "拉祜",
	"25": "水", "26": "东乡", "27": "纳西", "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔",
	"32": "仫佬", "33": "羌", "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌",
	"40": "普米", "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
	"47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春", "53": "赫哲",
	"54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}

func reverse(m map[string]string) map[string]string {
	r := make(map[string]string, len(m))
	for k, v := range m {
		r[v] = k
	}
	return r
}

var (
	sexCodes    = reverse(Sexes)
	nationCodes = reverse(Nations)
)

// LongTerm is what the valid-to field holds for cards without expiry.
const LongTerm = "长期"

// field is one UCS-2LE field of the text block: byte offset and byte length.
type field struct{ off, n int }

// Layouts (byte offsets in the 256-byte text block).
var (
	// resident card; the HK/Macau/Taiwan permit shares it and adds pass number and issue count.
	rName, rSex, rNation, rBirth, rAddr, rNumber = field{0, 30}, field{30, 2}, field{32, 4}, field{36, 16}, field{52, 70}, field{122, 36}
	rAuthority, rFrom, rTo                       = field{158, 30}, field{188, 16}, field{204, 16}
	jPass, jIssues                               = field{220, 18}, field{238, 4}
	// foreigner 2017 ('I')
	iNameEN, iSex, iNumber, iNation, iName = field{0, 120}, field{120, 2}, field{122, 30}, field{152, 6}, field{158, 30}
	iFrom, iTo, iBirth, iVersion, iAuth    = field{188, 16}, field{204, 16}, field{220, 16}, field{236, 4}, field{240, 8}
	// foreigner 2023 ('Y')
	yName, ySex, yRenewals, yBirth, yNameEN, yNumber = field{0, 30}, field{30, 2}, field{32, 4}, field{36, 16}, field{52, 70}, field{122, 36}
	yFrom, yTo, yNameEN2, yNation                    = field{188, 16}, field{204, 16}, field{220, 22}, field{242, 6}
	typeField                                        = field{typeMarkOffset, 2}
)

// raw decodes a UCS-2LE field without trimming, straight into the result (no scratch copies of card text are
// left behind). A surrogate pair decodes to its character; a lone surrogate to U+FFFD (then rejected by clean).
func raw(t []byte, f field) string {
	var sb strings.Builder
	sb.Grow(f.n / 2 * 3)
	for i := 0; i+1 < f.n; i += 2 {
		u := rune(t[f.off+i]) | rune(t[f.off+i+1])<<8
		if utf16.IsSurrogate(u) {
			r := unicode.ReplacementChar
			if i+3 < f.n {
				r = utf16.DecodeRune(u, rune(t[f.off+i+2])|rune(t[f.off+i+3])<<8)
			}
			if r != unicode.ReplacementChar {
				i += 2
			}
			u = r
		}
		sb.WriteRune(u)
	}
	return sb.String()
}

func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r == ' ' || r == 0 || r == '\u3000' })
}

func str(t []byte, f field) string { return trim(raw(t, f)) }

// TextError tells which field of the card text is invalid. It wraps ErrMalformed.
type TextError struct{ Field, Reason string }

func (e *TextError) Error() string { return "sam: card text: " + e.Field + ": " + e.Reason }

// Unwrap returns ErrMalformed.
func (e *TextError) Unwrap() error { return ErrMalformed }

func bad(fieldName, format string, a ...any) error {
	return &TextError{Field: fieldName, Reason: fmt.Sprintf(format, a...)}
}

// clean rejects control characters and the replacement character (a broken surrogate) in a text field.
func clean(name, s string) error {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return bad(name, "invalid character") // the character itself is personal data: not in the error
		}
	}
	return nil
}

func date(name, s string, longTermOK bool) (time.Time, error) {
	if longTermOK && s == LongTerm {
		return time.Time{}, nil
	}
	if len(s) != 8 {
		return time.Time{}, bad(name, "not YYYYMMDD")
	}
	d, err := time.ParseInLocation("20060102", s, kiosk.Shanghai)
	if err != nil || d.Format("20060102") != s {
		return time.Time{}, bad(name, "not a date")
	}
	return d, nil
}

func sex(s string) (string, error) {
	v, ok := Sexes[s]
	if !ok {
		return "", bad("sex", "unknown code")
	}
	return v, nil
}

// CardTypeMark returns the type mark at offset 248 of a text block ('J', 'I', 'Y', or ' ' / 0 for a resident card).
func CardTypeMark(text []byte) rune {
	if len(text) < TextLen {
		return 0
	}
	return rune(text[typeMarkOffset]) | rune(text[typeMarkOffset+1])<<8
}

// DecodeText decodes the 256-byte UCS-2LE text block of any supported card into a Card. It checks every field
// (characters, dates, sex and nation codes) but not the ID number's checksum: see ValidateCard. Errors are
// *TextError values wrapping ErrMalformed. The caller owns text and should zero it after use.
func DecodeText(text []byte) (idcard.Card, error) {
	if len(text) != TextLen {
		return idcard.Card{}, bad("text", "length %d, want %d", len(text), TextLen)
	}
	var c idcard.Card
	var err error
	switch m := CardTypeMark(text); m {
	case MarkForeign17:
		err = decodeForeign17(text, &c)
	case MarkForeign23:
		err = decodeForeign23(text, &c)
	case MarkHKMOTW, ' ', 0:
		err = decodeResident(text, &c, m == MarkHKMOTW)
	default:
		err = bad("type", "unknown card type mark U+%04X", m)
	}
	if err != nil {
		c.Wipe()
		return idcard.Card{}, err
	}
	for name, v := range map[string]string{"name": c.Name, "name_en": c.NameEN, "address": c.Address,
		"number": c.Number, "authority": c.Authority, "pass": c.PassNo, "nation": c.Nation} {
		if err := clean(name, v); err != nil {
			c.Wipe()
			return idcard.Card{}, err
		}
	}
	if c.Name == "" {
		c.Wipe()
		return idcard.Card{}, bad("name", "empty")
	}
	if !c.ValidTo.IsZero() && c.ValidTo.Before(c.ValidFrom) {
		c.Wipe()
		return idcard.Card{}, bad("valid_to", "before valid_from")
	}
	return c, nil
}

func decodeResident(t []byte, c *idcard.Card, permit bool) error {
	var err error
	c.Type = idcard.TypeResident
	c.Name = str(t, rName)
	if c.Sex, err = sex(str(t, rSex)); err != nil {
		return err
	}
	code := str(t, rNation)
	if permit {
		c.Type = idcard.TypeHKMOTWResidence
		if code != "" { // permits leave the nation blank; accept a code if a card has one
			if c.Nation = Nations[code]; c.Nation == "" {
				return bad("nation", "unknown code")
			}
		}
		c.PassNo = str(t, jPass)
		n := str(t, jIssues)
		if c.Issues, err = strconv.Atoi(n); err != nil || c.Issues < 0 || len(n) != 2 {
			return bad("issues", "not two digits")
		}
	} else if c.Nation = Nations[code]; c.Nation == "" {
		return bad("nation", "unknown code")
	}
	if c.Birth, err = date("birth", str(t, rBirth), false); err != nil {
		return err
	}
	c.Address = str(t, rAddr)
	c.Number = str(t, rNumber)
	c.Authority = str(t, rAuthority)
	if c.ValidFrom, err = date("valid_from", str(t, rFrom), false); err != nil {
		return err
	}
	if c.ValidTo, err = date("valid_to", str(t, rTo), true); err != nil {
		return err
	}
	return nil
}

func decodeForeign17(t []byte, c *idcard.Card) error {
	var err error
	c.Type = idcard.TypeForeignPermanent
	c.NameEN = str(t, iNameEN)
	if c.Sex, err = sex(str(t, iSex)); err != nil {
		return err
	}
	c.Number = str(t, iNumber)
	c.Nation = str(t, iNation)
	c.Name = str(t, iName)
	if c.Name == "" {
		c.Name = c.NameEN
	}
	if c.ValidFrom, err = date("valid_from", str(t, iFrom), false); err != nil {
		return err
	}
	if c.ValidTo, err = date("valid_to", str(t, iTo), true); err != nil {
		return err
	}
	if c.Birth, err = date("birth", str(t, iBirth), false); err != nil {
		return err
	}
	c.Authority = str(t, iAuth) // issuing authority code (受理机关代码)
	return nil
}

func decodeForeign23(t []byte, c *idcard.Card) error {
	var err error
	c.Type = idcard.TypeForeignPermanent
	c.Name = str(t, yName)
	if c.Sex, err = sex(str(t, ySex)); err != nil {
		return err
	}
	n := str(t, yRenewals)
	if c.Issues, err = strconv.Atoi(n); err != nil || c.Issues < 0 || len(n) != 2 {
		return bad("renewals", "not two digits")
	}
	if c.Birth, err = date("birth", str(t, yBirth), false); err != nil {
		return err
	}
	c.NameEN = trim(raw(t, yNameEN) + raw(t, yNameEN2))
	c.Number = str(t, yNumber)
	if c.ValidFrom, err = date("valid_from", str(t, yFrom), false); err != nil {
		return err
	}
	if c.ValidTo, err = date("valid_to", str(t, yTo), true); err != nil {
		return err
	}
	c.Nation = str(t, yNation)
	if c.Name == "" {
		c.Name = c.NameEN
	}
	return nil
}

// AddressLen is the size of the additional-address answer (30 03): 70 bytes of UCS-2LE.
const AddressLen = 70

// DecodeAddress decodes the data of a 90 answer to 30 03 (the address recorded after a change of residence).
// data is zeroed before it returns. Errors are *TextError values wrapping ErrMalformed.
func DecodeAddress(data []byte) (string, error) {
	defer clear(data)
	if len(data) != AddressLen {
		return "", bad("address", "length %d, want %d", len(data), AddressLen)
	}
	a := str(data, field{0, AddressLen})
	if err := clean("address", a); err != nil {
		return "", err
	}
	return a, nil
}

// ValidateCard checks the card's number for its type: GB 11643 (idcard.ValidateNumber) for resident cards and
// HK/Macau/Taiwan permits; for the 2023 foreigner card 18 characters with a valid birth date and MOD 11-2
// check character (its region part starts with 9, which GB 11643 does not allow); for the 2017 foreigner card
// three letters and twelve digits. It also checks that the number's birth date matches the card's. Errors wrap
// idcard.ErrFormat, ErrRegion, ErrBirthDate or ErrChecksum.
func ValidateCard(c idcard.Card) error {
	switch {
	case c.Type == idcard.TypeForeignPermanent && len(c.Number) == 15:
		for i := 0; i < 15; i++ {
			ch := c.Number[i]
			if (i < 3 && (ch < 'A' || ch > 'Z')) || (i >= 3 && (ch < '0' || ch > '9')) {
				return idcard.ErrFormat
			}
		}
		return nil
	case c.Type == idcard.TypeForeignPermanent:
		if len(c.Number) != 18 || c.Number[0] != '9' {
			return idcard.ErrFormat
		}
		for i := 0; i < 17; i++ {
			if c.Number[i] < '0' || c.Number[i] > '9' {
				return idcard.ErrFormat
			}
		}
		if idcard.CheckChar(c.Number) != c.Number[17] {
			return idcard.ErrChecksum
		}
	default:
		if err := idcard.ValidateNumber(c.Number); err != nil {
			return err
		}
	}
	if !c.Birth.IsZero() && c.Number[6:14] != c.Birth.Format("20060102") {
		return fmt.Errorf("%w（与出生日期不符）", idcard.ErrBirthDate)
	}
	return nil
}

// EncodeText builds the 256-byte text block for c, the inverse of DecodeText (used by the simulator).
// Foreigner cards use the 2017 layout when the number has 15 characters, the 2023 layout otherwise.
// It returns an error when a field does not fit or a sex/nation name has no code.
func EncodeText(c idcard.Card) ([]byte, error) {
	t := make([]byte, TextLen)
	for i := 0; i < TextLen; i += 2 {
		t[i], t[i+1] = ' ', 0
	}
	var firstErr error
	put := func(name string, f field, s string) {
		u := utf16.Encode([]rune(s))
		if 2*len(u) > f.n {
			if firstErr == nil {
				firstErr = bad(name, "%d characters do not fit in %d bytes", len(u), f.n)
			}
			return
		}
		for i, v := range u {
			t[f.off+2*i], t[f.off+2*i+1] = byte(v), byte(v>>8)
		}
	}
	d := func(x time.Time) string { return x.In(kiosk.Shanghai).Format("20060102") }
	to := LongTerm
	if !c.ValidTo.IsZero() {
		to = d(c.ValidTo)
	}
	sx, ok := sexCodes[c.Sex]
	if !ok {
		return nil, bad("sex", "no code for %q", c.Sex)
	}
	switch c.Type {
	case idcard.TypeResident, idcard.TypeHKMOTWResidence:
		put("name", rName, c.Name)
		put("sex", rSex, sx)
		if c.Nation != "" || c.Type == idcard.TypeResident {
			nc, ok := nationCodes[c.Nation]
			if !ok {
				return nil, bad("nation", "no code for %q", c.Nation)
			}
			put("nation", rNation, nc)
		}
		put("birth", rBirth, d(c.Birth))
		put("address", rAddr, c.Address)
		put("number", rNumber, c.Number)
		put("authority", rAuthority, c.Authority)
		put("valid_from", rFrom, d(c.ValidFrom))
		put("valid_to", rTo, to)
		if c.Type == idcard.TypeHKMOTWResidence {
			put("pass", jPass, c.PassNo)
			put("issues", jIssues, fmt.Sprintf("%02d", c.Issues))
			put("type", typeField, string(rune(MarkHKMOTW)))
		}
	case idcard.TypeForeignPermanent:
		if len(c.Number) == 15 {
			put("name_en", iNameEN, c.NameEN)
			put("sex", iSex, sx)
			put("number", iNumber, c.Number)
			put("nation", iNation, c.Nation)
			if c.Name != c.NameEN {
				put("name", iName, c.Name)
			}
			put("valid_from", iFrom, d(c.ValidFrom))
			put("valid_to", iTo, to)
			put("birth", iBirth, d(c.Birth))
			put("version", iVersion, "20")
			put("authority", iAuth, c.Authority)
			put("type", typeField, string(rune(MarkForeign17)))
		} else {
			if c.Name != c.NameEN {
				put("name", yName, c.Name)
			}
			put("sex", ySex, sx)
			put("renewals", yRenewals, fmt.Sprintf("%02d", c.Issues))
			put("birth", yBirth, d(c.Birth))
			en := utf16.Encode([]rune(c.NameEN))
			if len(en) > yNameEN.n/2 {
				put("name_en", yNameEN, string(utf16.Decode(en[:yNameEN.n/2])))
				put("name_en", yNameEN2, string(utf16.Decode(en[yNameEN.n/2:])))
			} else {
				put("name_en", yNameEN, c.NameEN)
			}
			put("number", yNumber, c.Number)
			put("valid_from", yFrom, d(c.ValidFrom))
			put("valid_to", yTo, to)
			put("nation", yNation, c.Nation)
			put("type", typeField, string(rune(MarkForeign23)))
		}
	default:
		return nil, bad("type", "unknown card type %d", c.Type)
	}
	if firstErr != nil {
		clear(t)
		return nil, firstErr
	}
	return t, nil
}
