package review

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"huren/sync/wire"
)

func TestBlobStore(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := newBlobStore(t.TempDir(), key)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello material: 张三 330102199001011234")
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	if err := b.put(sum, []byte("other bytes")); !errors.Is(err, ErrHash) {
		t.Errorf("mismatch: %v", err)
	}
	if _, err := os.Stat(b.path(sum)); !errors.Is(err, os.ErrNotExist) {
		t.Error("mismatched bytes were stored")
	}
	if err := b.put(sum, data); err != nil {
		t.Fatal(err)
	}
	if err := b.put(sum, data); err != nil {
		t.Fatal("second put:", err)
	}
	got, err := b.get(sum)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get: %v", err)
	}
	// Sealed at rest: the file holds neither the bytes nor any run of them.
	raw, err := os.ReadFile(b.path(sum))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, data[:8]) || bytes.Contains(raw, []byte("330102")) {
		t.Error("material stored in clear")
	}
	// Under another server key the file does not open.
	other, _ := newBlobStore(b.dir, bytes.Repeat([]byte{8}, 32))
	if _, err := other.get(sum); !errors.Is(err, ErrHash) {
		t.Errorf("opened under the wrong key: %v", err)
	}
	// A sealed file cannot stand in for another material (the hash is associated data).
	data2 := []byte("second material")
	h2 := sha256.Sum256(data2)
	sum2 := hex.EncodeToString(h2[:])
	if err := b.put(sum2, data2); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.path(sum2), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.get(sum2); !errors.Is(err, ErrHash) {
		t.Errorf("swapped file: %v", err)
	}
	// Corruption on disk is detected on read.
	raw[len(raw)-1] ^= 1
	os.WriteFile(b.path(sum), raw, 0o600)
	if _, err := b.get(sum); !errors.Is(err, ErrHash) {
		t.Errorf("corrupt blob: %v", err)
	}
	// A material stored in clear before sealing began is still read, when it hashes to its name.
	plain := []byte("stored before sealing")
	hp := sha256.Sum256(plain)
	sumP := hex.EncodeToString(hp[:])
	os.MkdirAll(b.dir+"/"+sumP[:2], 0o700)
	if err := os.WriteFile(b.path(sumP), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := b.get(sumP); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("legacy plain blob: %q %v", got, err)
	}
	if _, err := b.get("../../etc/passwd"); err == nil {
		t.Error("path traversal")
	}
	entries, _ := os.ReadDir(b.dir + "/tmp")
	if len(entries) != 0 {
		t.Errorf("temp files left: %d", len(entries))
	}
}

func TestNonceCache(t *testing.T) {
	c := newNonceCache()
	now := time.Unix(1_700_000_000, 0)
	if !c.use("K001", "n1", now, wire.NonceTTL) || c.use("K001", "n1", now.Add(9*time.Minute), wire.NonceTTL) {
		t.Error("replay within 10 minutes not caught")
	}
	if !c.use("K002", "n1", now, wire.NonceTTL) {
		t.Error("nonces are per kiosk")
	}
	if !c.use("K001", "n1", now.Add(11*time.Minute), wire.NonceTTL) {
		t.Error("nonce remembered past its TTL")
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(1, 2)
	now := time.Unix(1_700_000_000, 0)
	first, second, third := l.allow("a", now), l.allow("a", now), l.allow("a", now)
	if !first || !second || third {
		t.Error("burst of 2 not enforced")
	}
	if !l.allow("b", now) {
		t.Error("limits are per address")
	}
	if !l.allow("a", now.Add(time.Second)) {
		t.Error("no refill")
	}
	if !newRateLimiter(-1, 0).allow("x", now) {
		t.Error("unlimited limiter refused")
	}
}

func TestPasswords(t *testing.T) {
	h := hashPassword("s3cret-pass")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !checkPassword(h, "s3cret-pass") || checkPassword(h, "s3cret-pasS") {
		t.Errorf("hash %s", h)
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "plain"} {
		if checkPassword(bad, "x") {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestSMSTextNamesEveryReason(t *testing.T) {
	rs := []wire.Reason{{Code: "a", Message: "理由一", Remedy: "办法一"}, {Code: "b", Message: "理由二"}}
	s := smsText("331122-001-230315-0001", false, "", time.Time{}, rs, "补充")
	for _, w := range []string{"331122-001-230315-0001", "不予办理", "1.理由一", "办法一", "2.理由二", "补充"} {
		if !strings.Contains(s, w) {
			t.Errorf("sms lacks %q: %s", w, s)
		}
	}
}

// FuzzManifest feeds arbitrary bodies to the manifest parser and validator: no panics, and anything
// accepted round-trips.
func FuzzManifest(f *testing.F) {
	good := wire.Manifest{Receipt: "331122-001-230315-0001", Route: "permit", Condition: "residence",
		Applicant:       wire.Applicant{Name: "张三", Number: "330102198503150134"},
		StatusTokenHash: strings.Repeat("a", 64), CreatedAt: time.Unix(1678845600, 0),
		Materials: []wire.MaterialRef{{Kind: "property_certificate", Page: 1, SHA256: strings.Repeat("b", 64), Size: 10, ContentType: "image/jpeg"}}}
	b, _ := json.Marshal(good)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"receipt":1}`))
	f.Add([]byte(`{"materials":[{"size":-1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var m wire.Manifest
		if err := decodeStrictBytes(body, &m); err != nil {
			return
		}
		if err := validateManifest(&m, m.Receipt); err != nil {
			return
		}
		var m2 wire.Manifest
		if err := decodeStrictBytes(mustJSON(m), &m2); err != nil {
			t.Fatalf("accepted manifest does not round-trip: %v", err)
		}
		if !bytes.Equal(mustJSON(m), mustJSON(m2)) {
			t.Fatal("round-trip changed the manifest")
		}
	})
}

// FuzzCheckPassword feeds arbitrary PHC strings: no panics, no huge allocations, never true for garbage.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAA", "pw")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$", "")
	f.Fuzz(func(t *testing.T, phc, pw string) {
		checkPassword(phc, pw)
	})
}

func TestEnsureKioskKeepsSecret(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	s, err := Open(ctx, Options{DB: dir + "/r.db"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.EnsureKiosk(ctx, "K001", "demo")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, Options{DB: dir + "/r.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.EnsureKiosk(ctx, "K001", "demo")
	if err != nil || a != b || len(a) != 64 {
		t.Errorf("secret %q then %q (%v)", a, b, err)
	}
	// The secret is not stored in clear.
	raw, _ := os.ReadFile(dir + "/r.db")
	wal, _ := os.ReadFile(dir + "/r.db-wal")
	raw = append(raw, wal...)
	if len(raw) == 0 {
		t.Fatal("database file empty")
	}
	sec, _ := hex.DecodeString(a)
	if bytes.Contains(raw, sec) || bytes.Contains(raw, []byte(a)) {
		t.Error("kiosk secret stored in clear")
	}
}
