package review

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"huren/kiosk/passhash"
	"io"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// ---- blob store ----

// blobStore keeps materials as files named by their SHA-256 (two-level fan-out), sealed with AES-256-GCM
// under the server key (the SHA-256 as associated data, so a file cannot stand in for another), written to a
// temporary file, fsynced and renamed into place. Files written before materials were sealed (plain bytes that
// hash to their name) are still read.
type blobStore struct {
	dir  string
	aead cipher.AEAD
}

// ErrHash is returned (wrapped) when bytes do not match their announced SHA-256, or a stored material fails
// to open under the server key.
var ErrHash = errors.New("sha256 mismatch")

func newBlobStore(dir string, key []byte) (*blobStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &blobStore{dir: dir, aead: g}, nil
}

func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (b *blobStore) path(sum string) string { return filepath.Join(b.dir, sum[:2], sum) }

// blobAD is the associated data of a sealed material.
func blobAD(sum string) []byte { return []byte("huren-material-v1:" + sum) }

// sealedLen is the size of the file holding n bytes of a material: nonce, ciphertext, tag.
func (b *blobStore) sealedLen(n int) int64 {
	return int64(b.aead.NonceSize() + n + b.aead.Overhead())
}

// put stores data under sum after checking it hashes to sum. Errors wrap ErrHash or come from the file system
// or the random source.
func (b *blobStore) put(sum string, data []byte) error {
	if !validSHA(sum) {
		return fmt.Errorf("blob %q: %w", sum, ErrHash)
	}
	h := sha256.Sum256(data)
	if hex.EncodeToString(h[:]) != sum {
		return fmt.Errorf("blob: %w", ErrHash)
	}
	final := b.path(sum)
	if fi, err := os.Stat(final); err == nil && fi.Size() == b.sealedLen(len(data)) {
		return nil // content-addressed: already there
	}
	nonce := make([]byte, b.aead.NonceSize(), b.sealedLen(len(data)))
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return fmt.Errorf("blob nonce: %w", err)
	}
	sealed := b.aead.Seal(nonce, nonce, data, blobAD(sum))
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), sum[:8]+"-*")
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(sealed); err != nil {
		f.Close()
		return fmt.Errorf("blob write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("blob sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blob close: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("blob rename: %w", err)
	}
	if d, err := os.Open(filepath.Dir(final)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// get returns the bytes stored under sum, opened and checked against sum. Errors wrap os.ErrNotExist (no such
// material) or ErrHash (the file fails to open under the server key or does not hash to sum).
func (b *blobStore) get(sum string) ([]byte, error) {
	if !validSHA(sum) {
		return nil, fmt.Errorf("blob: %w", os.ErrNotExist)
	}
	raw, err := os.ReadFile(b.path(sum))
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	data := raw
	if n := b.aead.NonceSize(); len(raw) >= n+b.aead.Overhead() {
		if plain, err := b.aead.Open(nil, raw[:n], raw[n:], blobAD(sum)); err == nil {
			data = plain
		}
	}
	h := sha256.Sum256(data) // a file that failed to open is accepted only as the plain bytes of sum
	if hex.EncodeToString(h[:]) != sum {
		return nil, fmt.Errorf("blob %s: %w", sum[:8], ErrHash)
	}
	return data, nil
}

// Material returns the bytes of a stored material by its SHA-256 (hex), opened under the server key and
// checked against the hash. Errors wrap os.ErrNotExist (not stored) or ErrHash (the file fails to open or
// verify: damaged, or sealed under another key).
func (s *Service) Material(sum string) ([]byte, error) { return s.blobs.get(sum) }

// ---- nonce cache ----

// nonceCache remembers nonces for wire.NonceTTL in memory, in front of the store's nonces table (which also
// covers restarts and other instances).
type nonceCache struct {
	mu    gosync.Mutex
	seen  map[string]time.Time
	sweep time.Time
}

func newNonceCache() *nonceCache { return &nonceCache{seen: map[string]time.Time{}} }

// use records kiosk+nonce at now and reports false when it was seen within ttl.
func (c *nonceCache) use(kiosk, nonce string, now time.Time, ttl time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.sweep) > time.Minute || now.Before(c.sweep) {
		for k, t := range c.seen {
			if now.Sub(t) > ttl {
				delete(c.seen, k)
			}
		}
		c.sweep = now
	}
	k := kiosk + "\x00" + nonce
	if t, ok := c.seen[k]; ok && now.Sub(t) <= ttl {
		return false
	}
	c.seen[k] = now
	return true
}

// ---- rate limiter ----

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	mu      gosync.Mutex
	rate    float64
	burst   float64
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate, burst float64) *rateLimiter {
	return &rateLimiter{rate: rate, burst: burst, buckets: map[string]*bucket{}}
}

// allow takes one token for key at now.
func (l *rateLimiter) allow(key string, now time.Time) bool {
	if l.rate < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens += el * l.rate
		if b.tokens > l.burst {
			b.tokens = l.burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// ---- passwords ----

// hashPassword returns an argon2id PHC string (kiosk/passhash, shared with the kiosks' PIN check).
func hashPassword(pw string) string { return passhash.Hash(pw) }

// checkPassword verifies pw against a PHC argon2id string in constant time; a malformed hash never matches.
func checkPassword(phc, pw string) bool {
	ok, err := passhash.Verify(phc, pw)
	return err == nil && ok
}

// dummyHash burns the same time as a real check when the reviewer does not exist.
var dummyHash = hashPassword("huren-dummy-password")

// ---- misc ----

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("review: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("review: marshal: " + err.Error())
	}
	return b
}

// decodeStrict decodes exactly one JSON value from r into v, refusing unknown fields and trailing data.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// decodeStrictBytes is decodeStrict over a byte slice.
func decodeStrictBytes(b []byte, v any) error { return decodeStrict(bytes.NewReader(b), v) }
