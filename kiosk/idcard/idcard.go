// Package idcard holds Chinese ID numbers (GB 11643-1999) and the cards that carry them: validation, masking
// and the Card read from a second-generation resident ID card or a residence/permanent-residence permit.
// The SAM reader protocol (GA/T 467) is in sub-package sam.
package idcard

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// CardType tells which kind of card was read.
type CardType int

const (
	TypeResident         CardType = iota // 居民身份证
	TypeHKMOTWResidence                  // 港澳台居民居住证 ('J')
	TypeForeignPermanent                 // 外国人永久居留身份证 ('I' 2017 layout, 'Y' 2023 layout)
)

// String returns the Chinese name of the card type.
func (t CardType) String() string {
	switch t {
	case TypeResident:
		return "居民身份证"
	case TypeHKMOTWResidence:
		return "港澳台居民居住证"
	case TypeForeignPermanent:
		return "外国人永久居留身份证"
	}
	return fmt.Sprintf("CardType(%d)", int(t))
}

// Card is the text of an ID card. The photo is never kept; fingerprints are never read.
type Card struct {
	Type      CardType
	Name      string // Chinese name (for foreigners: Chinese name if any, else English)
	NameEN    string // foreigners only
	Sex       string // 男/女/未知/未说明
	Nation    string // ethnic group (residents) or nationality code (foreigners)
	Birth     time.Time
	Address   string
	Number    string // ID number (18 characters)
	Authority string
	ValidFrom time.Time
	ValidTo   time.Time // zero for 长期 (long-term)
	PassNo    string    // HK/Macau/Taiwan residence permit: pass number
	Issues    int       // HK/Macau/Taiwan residence permit: issue count
}

// Wipe overwrites the card's fields so no reference to the data stays in it.
func (c *Card) Wipe() { *c = Card{} }

// Errors of ValidateNumber; messages are plain Chinese.
var (
	ErrFormat    = errors.New("身份证号码格式不正确")
	ErrRegion    = errors.New("身份证号码地区码不正确")
	ErrBirthDate = errors.New("身份证号码出生日期不正确")
	ErrChecksum  = errors.New("身份证号码校验位不正确")
)

// chinaTime is UTC+8, Asia/Shanghai's offset (no daylight saving since 1991); package kiosk, which holds the
// Shanghai location, imports this package, so it cannot be used here.
var chinaTime = time.FixedZone("CST", 8*3600)

var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const checkChars = "10X98765432"

// CheckChar returns the ISO 7064 MOD 11-2 check character of the first 17 digits of s.
// s must have at least 17 ASCII digits.
func CheckChar(s string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * weights[i]
	}
	return checkChars[sum%11]
}

func validProvince(p int) bool {
	switch {
	case p >= 11 && p <= 15, p >= 21 && p <= 23, p >= 31 && p <= 37, p >= 41 && p <= 46,
		p >= 50 && p <= 54, p >= 61 && p <= 65:
		return true
	case p == 71 || p == 81 || p == 82 || p == 83:
		return true
	}
	return false
}

// ValidateNumber checks an 18-character GB 11643-1999 number: format (17 digits then a digit or X, lower-case
// x accepted), a real province code, a birth date that exists, is not in the future and not before 1900, and
// the MOD 11-2 check character. Errors wrap ErrFormat, ErrRegion, ErrBirthDate or ErrChecksum.
func ValidateNumber(s string) error {
	return validateNumberAt(s, time.Now())
}

func validateNumberAt(s string, now time.Time) error {
	if len(s) != 18 {
		return fmt.Errorf("%w（应为18位）", ErrFormat)
	}
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrFormat
		}
	}
	last := s[17]
	if last == 'x' {
		last = 'X'
	}
	if !(last >= '0' && last <= '9') && last != 'X' {
		return ErrFormat
	}
	if !validProvince(int(s[0]-'0')*10 + int(s[1]-'0')) {
		return ErrRegion
	}
	b, err := time.Parse("20060102", s[6:14])
	// Compare calendar dates, today's taken in China Standard Time (a UTC instant early in the Shanghai
	// morning is still yesterday in UTC).
	y, m, d := now.In(chinaTime).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if err != nil || b.Format("20060102") != s[6:14] || b.Year() < 1900 || b.After(today) {
		return ErrBirthDate
	}
	if CheckChar(s) != last {
		return ErrChecksum
	}
	return nil
}

// Normalize returns s trimmed with a lower-case x check character made upper-case.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 18 && s[17] == 'x' {
		s = s[:17] + "X"
	}
	return s
}

// MaskNumber keeps the first 3 and last 4 characters and replaces the rest with '*'
// (330***********1234). Strings of 7 characters or fewer are masked whole.
func MaskNumber(s string) string {
	r := []rune(s)
	if len(r) <= 7 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-7) + string(r[len(r)-4:])
}

// MaskName keeps the first character and replaces every other with '*' (张三 → 张*, 欧阳娜娜 → 欧***).
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + strings.Repeat("*", n-1)
}

// Age returns the age in whole years on day today of someone born on birth.
func Age(birth, today time.Time) int {
	y := today.Year() - birth.Year()
	if today.Month() < birth.Month() || (today.Month() == birth.Month() && today.Day() < birth.Day()) {
		y--
	}
	return y
}
