package kiosk

import (
	"errors"
	"strings"
	"testing"
)

// makeUSCC builds a valid code from its parts by computing both check characters.
func makeUSCC(authType, division, orgBody string) string {
	s := authType + division + orgBody
	s += string(OrgCodeCheckChar(orgBody))
	return s + string(USCCCheckChar(s))
}

func TestValidateUSCCReal(t *testing.T) {
	// Publicly displayed codes (business licences and the national enterprise credit system); each passes
	// both the organisation-code and the final check independently, which a wrongly remembered code would
	// do by chance only about once in 341.
	for _, c := range []string{
		"914403001922038216", // 华为技术有限公司
		"9144030071526726XG", // 深圳市腾讯计算机系统有限公司
		"91330100716105852F", // 阿里巴巴（中国）有限公司
		"91110000802100433B", // suggested in the brief; passes both checks
		"91350100M000100Y43", // the sample code printed in many descriptions of GB 32100
	} {
		if err := ValidateUSCC(c); err != nil {
			t.Errorf("ValidateUSCC(%s) = %v", c, err)
		}
	}
}

func TestValidateUSCCComputed(t *testing.T) {
	for _, c := range []string{
		makeUSCC("91", "331122", "MA2E0001"), // enterprise in Jinyun
		makeUSCC("92", "331122", "L1234567"), // individual business
		makeUSCC("93", "331122", "MA29ABCD"), // farmers' cooperative
		makeUSCC("12", "331122", "00000001"), // public institution
		makeUSCC("11", "100000", "00001312"), // central body (division 100000)
		makeUSCC("52", "330000", "50000000"), // private non-enterprise unit
		makeUSCC("N2", "331122", "12345678"), // village collective
		makeUSCC("Y1", "331122", "A0000000"), // other
		makeUSCC("31", "331122", "H0000000"), // law firm
		makeUSCC("81", "331122", "B0000000"), // trade union
		makeUSCC("91", "650100", "12345678"), // Urumqi
		makeUSCC("91", "110108", "000000000"[:8]),
	} {
		if err := ValidateUSCC(c); err != nil {
			t.Errorf("ValidateUSCC(%s) = %v", c, err)
		}
	}
}

func TestValidateUSCCErrors(t *testing.T) {
	good := makeUSCC("91", "331122", "MA2E0001")
	flip := func(s string, i int, c byte) string { b := []byte(s); b[i] = c; return string(b) }
	// Replace the org check digit and recompute the final check, so only the org code is wrong.
	badOrg := func() string {
		s := good[:16]
		for _, c := range "0123456789X" {
			if byte(c) != good[16] {
				s = good[:16] + string(c)
				break
			}
		}
		return s + string(USCCCheckChar(s))
	}()
	withCheck := func(s17 string) string { return s17 + string(USCCCheckChar(s17)) }
	tests := []struct {
		code string
		want error
	}{
		{"", ErrUSCCFormat},
		{good[:17], ErrUSCCFormat},
		{good + "0", ErrUSCCFormat},
		{strings.ToLower(good), ErrUSCCFormat},
		{flip(good, 5, 'I'), ErrUSCCFormat},
		{flip(good, 5, 'O'), ErrUSCCFormat},
		{flip(good, 5, 'S'), ErrUSCCFormat},
		{flip(good, 5, 'V'), ErrUSCCFormat},
		{flip(good, 5, 'Z'), ErrUSCCFormat},
		{"９１３３１１２２ＭＡ２Ｅ０００１", ErrUSCCFormat}, // full-width
		{withCheck(flip(good, 0, '0')[:17]), ErrUSCCAuthority},
		{withCheck(flip(good, 1, '9')[:17]), ErrUSCCAuthority}, // 99: no such type
		{withCheck(flip(good, 1, '4')[:17]), ErrUSCCAuthority},
		{withCheck("Y2" + good[2:17]), ErrUSCCAuthority},
		{withCheck("91" + "99" + good[4:17]), ErrUSCCDivision}, // province 99
		{withCheck("91" + "00" + good[4:17]), ErrUSCCDivision}, // province 00
		{withCheck("91" + "3A" + good[4:17]), ErrUSCCDivision}, // letter in the division
		{badOrg, ErrUSCCOrgCode},
		{flip(good, 17, nextChar(good[17])), ErrUSCCChecksum},
		{"914403001922038217", ErrUSCCChecksum},
	}
	for _, tt := range tests {
		err := ValidateUSCC(tt.code)
		if !errors.Is(err, tt.want) {
			t.Errorf("ValidateUSCC(%q) = %v, want %v", tt.code, err, tt.want)
			continue
		}
		var ue *UserError
		if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
			t.Errorf("ValidateUSCC(%q): error %T is not a *UserError with both texts", tt.code, err)
		}
	}
}

func nextChar(c byte) byte {
	i := strings.IndexByte(usccChars, c)
	return usccChars[(i+1)%len(usccChars)]
}

// TestValidateUSCCSingleErrors: every single-character change of a valid code is refused (the check character
// with weights 3^i mod 31 over a prime modulus catches every single substitution).
func TestValidateUSCCSingleErrors(t *testing.T) {
	good := "914403001922038216"
	for i := 0; i < 18; i++ {
		for j := 0; j < len(usccChars); j++ {
			c := usccChars[j]
			if c == good[i] {
				continue
			}
			b := []byte(good)
			b[i] = c
			if ValidateUSCC(string(b)) == nil {
				t.Errorf("%s (position %d changed) accepted", b, i+1)
			}
		}
	}
}

func TestOrgCodeCheckChar(t *testing.T) {
	// GB 11714 examples: D2143569-X is the standard's worked example; 19220382-1 is Huawei's organisation code.
	for body, want := range map[string]byte{"D2143569": 'X', "19220382": '1', "71526726": 'X', "80210043": '3'} {
		if got := OrgCodeCheckChar(body); got != want {
			t.Errorf("OrgCodeCheckChar(%s) = %c, want %c", body, got, want)
		}
	}
	if OrgCodeCheckChar("1234567") != 0 || OrgCodeCheckChar("1234567a") != 0 {
		t.Error("OrgCodeCheckChar accepts short or lower-case input")
	}
	if USCCCheckChar("9144") != 0 || USCCCheckChar("9144030019220382I6") != 0 {
		t.Error("USCCCheckChar accepts short or out-of-set input")
	}
}

func TestValidateMobile(t *testing.T) {
	for _, s := range []string{"13800138000", "19912345678", "15700000000", "16612345678", "17012345678"} {
		if err := ValidateMobile(s); err != nil {
			t.Errorf("ValidateMobile(%s) = %v", s, err)
		}
	}
	for _, s := range []string{"", "1380013800", "138001380000", "12800138000", "10800138000", "23800138000",
		"1380013800a", "+8613800138000", "138 0013 8000", "１３８００１３８０００"} {
		err := ValidateMobile(s)
		if !errors.Is(err, ErrMobile) {
			t.Errorf("ValidateMobile(%q) = %v, want ErrMobile", s, err)
		}
		if Message(err, false) == GenericZh || Message(err, true) == GenericEn {
			t.Errorf("ValidateMobile(%q): no applicant text", s)
		}
	}
}

func FuzzValidateUSCC(f *testing.F) {
	for _, s := range []string{"914403001922038216", "91350100M000100Y43", "", "9", "91330000142911223B",
		"Y1331122A0000000XX", "91331122MA2E00010Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateUSCC(s)
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("error is not a *UserError: %v", err)
			}
			return
		}
		// Accepted codes have the exact shape.
		if len(s) != 18 || USCCCheckChar(s) != s[17] || OrgCodeCheckChar(s[8:16]) != s[16] {
			t.Fatalf("accepted %q", s)
		}
	})
}

func BenchmarkValidateUSCC(b *testing.B) {
	for b.Loop() {
		_ = ValidateUSCC("914403001922038216")
	}
}

func BenchmarkValidateUSCCBaseline(b *testing.B) { // the charset scan alone
	s := "914403001922038216"
	for b.Loop() {
		for i := 0; i < len(s); i++ {
			_ = usccValue(s[i])
		}
	}
}
