package kiosk

import (
	"errors"
	"fmt"
	"strings"
)

// Causes wrapped by the *UserError values of ValidateUSCC and ValidateMobile; compare with errors.Is.
var (
	ErrUSCCFormat    = errors.New("uscc: not 18 characters of 0-9A-HJ-NPQRTUWXY")
	ErrUSCCAuthority = errors.New("uscc: unknown registration authority or organisation type")
	ErrUSCCDivision  = errors.New("uscc: implausible division code")
	ErrUSCCOrgCode   = errors.New("uscc: organisation code check digit wrong")
	ErrUSCCChecksum  = errors.New("uscc: check character wrong")
	ErrMobile        = errors.New("mobile: not 1[3-9] followed by 9 digits")
)

// usccChars is the GB 32100-2015 character set in value order (no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^i mod 31 for i = 0..16.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccTypes maps each registration-authority code (position 1) to its organisation type codes (position 2),
// per GB 32100-2015 and the registration authorities' code tables.
var usccTypes = map[byte]string{
	'1': "1239",   // 机构编制: 机关, 事业单位, 编办直管群众团体, 其他
	'2': "19",     // 外交
	'3': "123459", // 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
	'4': "19",     // 文化
	'5': "1239",   // 民政: 社会团体, 民办非企业单位, 基金会, 其他
	'6': "129",    // 旅游
	'7': "129",    // 宗教
	'8': "19",     // 工会
	'9': "123",    // 工商（市场监管）: 企业, 个体工商户, 农民专业合作社
	'A': "19",     // 中央军委改革和编制办公室
	'N': "1239",   // 农业: 组级/村级/乡镇级集体经济组织, 其他
	'Y': "1",      // 其他
}

func usccValue(c byte) int { return strings.IndexByte(usccChars, c) }

// USCCCheckChar returns the GB 32100-2015 check character (position 18) of the first 17 characters of s, or 0
// when s is shorter or holds a character outside the set.
func USCCCheckChar(s string) byte {
	if len(s) < 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := usccValue(s[i])
		if v < 0 {
			return 0
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31]
}

// orgWeights are the GB 11714-1997 weights of the organisation code's 8 body characters.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCodeCheckChar returns the GB 11714-1997 check character of the first 8 characters of s (digits and
// upper-case letters, A=10 … Z=35), or 0 when s is shorter or holds another character.
func OrgCodeCheckChar(s string) byte {
	if len(s) < 8 {
		return 0
	}
	sum := 0
	for i := 0; i < 8; i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0
		}
		sum += v * orgWeights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + r)
	}
}

func plausibleProvince(p int) bool {
	switch {
	case p >= 11 && p <= 15, p >= 21 && p <= 23, p >= 31 && p <= 37, p >= 41 && p <= 46,
		p >= 50 && p <= 54, p >= 61 && p <= 65:
		return true
	}
	return false
}

func usccError(cause error) error {
	return NewUserError("统一社会信用代码不正确，请核对营业执照上的18位代码。",
		"The unified social credit code is not valid. Please check the 18 characters on the business licence.",
		cause)
}

// ValidateUSCC checks a unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from
// 0-9A-HJ-NPQRTUWXY (lower case is not accepted; the kiosk's keypad has upper case only), a known
// registration-authority code with one of its organisation-type codes, a 6-digit division code with a real
// province (or 100000 for central bodies), the 9-character organisation code with its GB 11714 check digit,
// and the check character (weights 3^i mod 31).
//
// Errors are *UserError (Chinese and English text for the applicant) wrapping ErrUSCCFormat,
// ErrUSCCAuthority, ErrUSCCDivision, ErrUSCCOrgCode or ErrUSCCChecksum.
func ValidateUSCC(code string) error {
	if len(code) != 18 {
		return usccError(fmt.Errorf("%w: length %d", ErrUSCCFormat, len(code)))
	}
	for i := 0; i < 18; i++ {
		if usccValue(code[i]) < 0 {
			return usccError(fmt.Errorf("%w: position %d", ErrUSCCFormat, i+1))
		}
	}
	types, ok := usccTypes[code[0]]
	if !ok || strings.IndexByte(types, code[1]) < 0 {
		return usccError(ErrUSCCAuthority)
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return usccError(ErrUSCCDivision)
		}
	}
	if code[2:8] != "100000" && !plausibleProvince(int(code[2]-'0')*10+int(code[3]-'0')) {
		return usccError(ErrUSCCDivision)
	}
	if OrgCodeCheckChar(code[8:16]) != code[16] {
		return usccError(ErrUSCCOrgCode)
	}
	if USCCCheckChar(code) != code[17] {
		return usccError(ErrUSCCChecksum)
	}
	return nil
}

// ValidateMobile checks a mainland mobile number: 11 digits, 1 then 3–9 then 9 digits. Spaces and hyphens
// are not accepted (the keypad enters digits only). Errors are *UserError wrapping ErrMobile.
func ValidateMobile(s string) error {
	ok := len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9'
	for i := 2; ok && i < 11; i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return NewUserError("手机号码不正确，请输入11位手机号码。",
			"The mobile number is not valid. Please enter an 11-digit mainland mobile number.", ErrMobile)
	}
	return nil
}
