package kiosk

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Receipt identifies an application: 331122-KKK-YYMMDD-NNNN (county, kiosk number, date in Shanghai,
// daily sequence). It is unique per kiosk without the network.
type Receipt struct {
	Kiosk int       // 1..999
	Day   time.Time // midnight, Asia/Shanghai
	Seq   int       // 1..9999
}

// ErrReceipt is returned (wrapped) by ParseReceipt for anything that is not a receipt number.
var ErrReceipt = errors.New("回执编号格式不正确 (invalid receipt number)")

// NewReceipt makes the receipt for kiosk number kioskNo, the day of day (taken in Asia/Shanghai) and the
// daily sequence seq.
func NewReceipt(kioskNo int, day time.Time, seq int) Receipt {
	d := day.In(Shanghai)
	return Receipt{Kiosk: kioskNo, Day: time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Shanghai), Seq: seq}
}

// IsZero reports whether r is the zero receipt.
func (r Receipt) IsZero() bool { return r.Kiosk == 0 && r.Seq == 0 && r.Day.IsZero() }

// String formats the receipt as 331122-KKK-YYMMDD-NNNN.
func (r Receipt) String() string {
	if r.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s-%03d-%s-%04d", CountyCode, r.Kiosk, r.Day.In(Shanghai).Format("060102"), r.Seq)
}

// ParseReceipt parses 331122-KKK-YYMMDD-NNNN. Errors wrap ErrReceipt.
func ParseReceipt(s string) (Receipt, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "-")
	if len(s) != 22 || len(parts) != 4 || parts[0] != CountyCode || len(parts[1]) != 3 || len(parts[2]) != 6 || len(parts[3]) != 4 {
		return Receipt{}, fmt.Errorf("parse receipt: %w", ErrReceipt)
	}
	for _, p := range parts[1:] {
		for _, c := range p {
			if c < '0' || c > '9' {
				return Receipt{}, fmt.Errorf("parse receipt: %w", ErrReceipt)
			}
		}
	}
	k, _ := strconv.Atoi(parts[1])
	n, _ := strconv.Atoi(parts[3])
	if k == 0 || n == 0 {
		return Receipt{}, fmt.Errorf("parse receipt: zero kiosk or sequence: %w", ErrReceipt)
	}
	d, err := time.ParseInLocation("060102", parts[2], Shanghai)
	if err != nil || d.Format("060102") != parts[2] {
		return Receipt{}, fmt.Errorf("parse receipt: bad date: %w", ErrReceipt)
	}
	return Receipt{Kiosk: k, Day: d, Seq: n}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (r Receipt) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Receipt) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = Receipt{}
		return nil
	}
	p, err := ParseReceipt(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// NewStatusToken returns 128 random bits, base64url without padding (22 characters).
func NewStatusToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("kiosk: crypto/rand failed: " + err.Error()) // rand.Read never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// StatusURL is what the receipt's QR code holds: {base}/s/{receipt}?t={token}. Nothing personal.
func StatusURL(base string, r Receipt, token string) string {
	return strings.TrimRight(base, "/") + "/s/" + r.String() + "?t=" + url.QueryEscape(token)
}
