package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withCheck completes 17 digits with their check character.
func withCheck(s17 string) string { return s17 + string(CheckChar(s17)) }

func TestValidateNumberValid(t *testing.T) {
	for _, s := range []string{
		"11010519491231002X", // the standard's example (GB 11643-1999)
		"11010519491231002x", // lower-case x accepted
		withCheck("33112219900307123"),
		withCheck("33112220000229002"), // 2000 was a leap year
		withCheck("81000019800101001"), // Hong Kong residents' residence permit
		withCheck("83000019751231002"), // Taiwan
		withCheck("65010219000101001"), // 1900-01-01 is the earliest
	} {
		if err := ValidateNumber(s); err != nil {
			t.Errorf("ValidateNumber(%s) = %v", s, err)
		}
	}
}

func TestValidateNumberErrors(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		s    string
		want error
	}{
		{"", ErrFormat},
		{"11010519491231002", ErrFormat},
		{"11010519491231002X1", ErrFormat},
		{"1101051949123100XX", ErrFormat},
		{"11010519491231002Y", ErrFormat},
		{"A1010519491231002X", ErrFormat},
		{"１１０１０５１９４９１２３１００２Ｘ", ErrFormat},
		{withCheck("10010519491231002"), ErrRegion},
		{withCheck("16010519491231002"), ErrRegion},
		{withCheck("70010519491231002"), ErrRegion},
		{withCheck("90010519491231002"), ErrRegion},
		{withCheck("00010519491231002"), ErrRegion},
		{withCheck("11010519490231002"), ErrBirthDate}, // 31 February
		{withCheck("11010519001329002"), ErrBirthDate}, // month 13
		{withCheck("11010519000229002"), ErrBirthDate}, // 1900 was not a leap year
		{withCheck("11010518991231002"), ErrBirthDate}, // before 1900
		{withCheck("11010520261205002"), ErrBirthDate}, // tomorrow
		{withCheck("11010520270101002"), ErrBirthDate}, // future
		{"110105194912310021", ErrChecksum},
		{"110105194912310020", ErrChecksum},
	}
	for _, tt := range tests {
		err := validateNumberAt(tt.s, now)
		if !errors.Is(err, tt.want) {
			t.Errorf("ValidateNumber(%q) = %v, want %v", tt.s, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), "身份证号码") {
			t.Errorf("ValidateNumber(%q): message %q is not Chinese", tt.s, err)
		}
	}
	if err := validateNumberAt(withCheck("11010520261204002"), now); err != nil {
		t.Errorf("born today: %v", err)
	}
	// 2026-12-03 17:00 UTC is already 2026-12-04 01:00 in China: someone born on the 4th is born today.
	early := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	if err := validateNumberAt(withCheck("11010520261204002"), early); err != nil {
		t.Errorf("born today (China date, UTC still yesterday): %v", err)
	}
	if err := validateNumberAt(withCheck("11010520261205002"), early); !errors.Is(err, ErrBirthDate) {
		t.Errorf("born tomorrow (China date): %v", err)
	}
}

// TestCheckCharSingleErrors: MOD 11-2 detects every single-digit substitution.
func TestCheckCharSingleErrors(t *testing.T) {
	good := "11010519491231002X"
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == good[i] {
				continue
			}
			b := []byte(good)
			b[i] = d
			if CheckChar(string(b)) == 'X' {
				t.Errorf("%s: changed digit %d not detected", b, i+1)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" 11010519491231002x\n": "11010519491231002X",
		"11010519491231002X":    "11010519491231002X",
		"abcx":                  "abcx",
		"":                      "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{
		"330102199001011234": "330***********1234",
		"11010519491231002X": "110***********002X",
		"1234567":            "*******",
		"12345678":           "123*5678",
		"":                   "",
	} {
		if got := MaskNumber(in); got != want {
			t.Errorf("MaskNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"张三":         "张*",
		"欧阳娜娜":       "欧***",
		"李":          "李",
		" 王小明 ":      "王**",
		"":           "",
		"阿依古丽·买买提":   "阿*******",
		"JOHN SMITH": "J*********",
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAge(t *testing.T) {
	birth := time.Date(2010, 3, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		today string
		want  int
	}{
		{"2026-03-14", 15}, {"2026-03-15", 16}, {"2026-12-31", 16}, {"2010-03-15", 0},
	}
	for _, tt := range tests {
		d, _ := time.Parse(time.DateOnly, tt.today)
		if got := Age(birth, d); got != tt.want {
			t.Errorf("Age(%s) = %d, want %d", tt.today, got, tt.want)
		}
	}
	leap := time.Date(2008, 2, 29, 0, 0, 0, 0, time.UTC)
	if Age(leap, time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC)) != 15 || Age(leap, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) != 16 {
		t.Error("Age wrong around 29 February")
	}
}

func TestCardWipe(t *testing.T) {
	c := Card{Name: "张三", Number: "11010519491231002X", Address: "北京市", ValidTo: time.Now()}
	c.Wipe()
	if c != (Card{}) {
		t.Errorf("Wipe left %+v", c)
	}
}

func TestCardTypeString(t *testing.T) {
	if TypeResident.String() != "居民身份证" || TypeHKMOTWResidence.String() == "" || CardType(9).String() != "CardType(9)" {
		t.Error("CardType.String wrong")
	}
}

func FuzzValidateNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "110105194912310021", "",
		"81000019800101001" + string(CheckChar("81000019800101001")), "11010519000229002X", "1101051949123100２X"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		err := validateNumberAt(s, now)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrRegion) && !errors.Is(err, ErrBirthDate) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(s) != 18 {
			t.Fatalf("accepted %q of length %d", s, len(s))
		}
		n := Normalize(s)
		if CheckChar(n) != n[17] {
			t.Fatalf("accepted %q with a wrong check character", s)
		}
		if m := MaskNumber(n); len(m) != 18 || m[:3] != n[:3] || m[14:] != n[14:] || strings.Trim(m[3:14], "*") != "" {
			t.Fatalf("MaskNumber(%q) = %q", n, m)
		}
	})
}

func BenchmarkValidateNumber(b *testing.B) {
	for b.Loop() {
		_ = ValidateNumber("11010519491231002X")
	}
}

func BenchmarkValidateNumberBaseline(b *testing.B) { // the check character alone
	for b.Loop() {
		_ = CheckChar("11010519491231002X")
	}
}
