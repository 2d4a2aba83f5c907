package kiosk

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestReceiptString(t *testing.T) {
	tests := []struct {
		r    Receipt
		want string
	}{
		{NewReceipt(7, time.Date(2023, 2, 1, 10, 0, 0, 0, Shanghai), 1), "331122-007-230201-0001"},
		{NewReceipt(999, time.Date(2026, 12, 31, 23, 59, 0, 0, Shanghai), 9999), "331122-999-261231-9999"},
		// 2023-01-31 17:00 UTC is already 2023-02-01 in Shanghai.
		{NewReceipt(12, time.Date(2023, 1, 31, 17, 0, 0, 0, time.UTC), 42), "331122-012-230201-0042"},
		{Receipt{}, ""},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestNewReceiptDayIsShanghaiMidnight(t *testing.T) {
	r := NewReceipt(1, time.Date(2023, 1, 31, 17, 0, 0, 0, time.UTC), 1)
	want := time.Date(2023, 2, 1, 0, 0, 0, 0, Shanghai)
	if !r.Day.Equal(want) || r.Day.Location() != Shanghai {
		t.Errorf("Day = %s, want %s", r.Day, want)
	}
}

func TestParseReceipt(t *testing.T) {
	r, err := ParseReceipt(" 331122-007-230201-0042\n")
	if err != nil {
		t.Fatal(err)
	}
	if r != NewReceipt(7, time.Date(2023, 2, 1, 0, 0, 0, 0, Shanghai), 42) {
		t.Errorf("ParseReceipt = %+v", r)
	}
	for _, s := range []string{
		"", "331122", "331122-007-230201-042", "331122-007-230201-00042", "331123-007-230201-0042",
		"331122-000-230201-0042", "331122-007-230201-0000", "331122-007-230230-0042", "331122-007-231301-0042",
		"331122-0a7-230201-0042", "331122-007-230201-00+2", "331122_007_230201_0042", "331122-007-2302010-042",
		"331122-７-230201-0042", "331122-007-230201-0042-1", "331122--07-230201-0042",
	} {
		if _, err := ParseReceipt(s); !errors.Is(err, ErrReceipt) {
			t.Errorf("ParseReceipt(%q) error = %v, want ErrReceipt", s, err)
		}
	}
}

func TestReceiptTextRoundTrip(t *testing.T) {
	type doc struct {
		R Receipt `json:"r"`
	}
	in := doc{NewReceipt(3, time.Date(2024, 2, 29, 8, 0, 0, 0, Shanghai), 17)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"r":"331122-003-240229-0017"}` {
		t.Errorf("json = %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || out.R != in.R {
		t.Errorf("round trip = %+v, %v", out.R, err)
	}
	var z doc
	if err := json.Unmarshal([]byte(`{"r":""}`), &z); err != nil || !z.R.IsZero() {
		t.Errorf("empty receipt = %+v, %v", z.R, err)
	}
	if err := json.Unmarshal([]byte(`{"r":"nope"}`), &z); !errors.Is(err, ErrReceipt) {
		t.Errorf("bad receipt error = %v", err)
	}
}

func TestNewStatusToken(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok := NewStatusToken()
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != 16 || len(tok) != 22 {
			t.Fatalf("token %q: %d bytes, %v", tok, len(b), err)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestStatusURL(t *testing.T) {
	r := NewReceipt(7, time.Date(2023, 2, 1, 0, 0, 0, 0, Shanghai), 42)
	got := StatusURL("https://huren.example.cn/", r, "ab-_CD")
	if want := "https://huren.example.cn/s/331122-007-230201-0042?t=ab-_CD"; got != want {
		t.Errorf("StatusURL = %q, want %q", got, want)
	}
	u, err := url.Parse(StatusURL("http://127.0.0.1:8080", r, "a+b/c="))
	if err != nil || u.Query().Get("t") != "a+b/c=" {
		t.Errorf("token not escaped: %v %v", u, err)
	}
}

func FuzzParseReceipt(f *testing.F) {
	for _, s := range []string{"331122-007-230201-0042", "331122-999-991231-9999", "331122-001-000229-0001",
		"331122-001-010229-0001", "", "331122-000-230201-0001", " 331122-007-230201-0042 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReceipt(s)
		if err != nil {
			if !errors.Is(err, ErrReceipt) {
				t.Fatalf("error %v does not wrap ErrReceipt", err)
			}
			return
		}
		// Accepted: the canonical form round-trips and equals the trimmed input.
		if got := r.String(); got != strings.TrimSpace(s) {
			t.Fatalf("ParseReceipt(%q).String() = %q", s, got)
		}
		r2, err := ParseReceipt(r.String())
		if err != nil || r2 != r {
			t.Fatalf("round trip of %q: %+v, %v", s, r2, err)
		}
		if r.Kiosk < 1 || r.Kiosk > 999 || r.Seq < 1 || r.Seq > 9999 {
			t.Fatalf("out of range: %+v", r)
		}
	})
}

func BenchmarkParseReceipt(b *testing.B) {
	for b.Loop() {
		_, _ = ParseReceipt("331122-007-230201-0042")
	}
}

func BenchmarkParseReceiptBaseline(b *testing.B) { // splitting alone
	for b.Loop() {
		_ = strings.Split("331122-007-230201-0042", "-")
	}
}
