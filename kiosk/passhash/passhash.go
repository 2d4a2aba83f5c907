// Package passhash hashes and verifies staff PINs and reviewer passwords with argon2id, stored as PHC
// strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash). The kiosk and the review service share it, so a PIN hash
// made by either verifies on both.
package passhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes: OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), light enough for a
// kiosk's small CPU and for the review service's login under load.
const (
	Time    = 2
	Memory  = 19 * 1024 // KiB
	Threads = 1
	KeyLen  = 32
	SaltLen = 16
)

// ErrFormat is returned (wrapped) by Verify for a string that is not an argon2id PHC hash.
var ErrFormat = errors.New("not an argon2id PHC hash")

// Hash returns a new argon2id PHC hash of secret with a random salt.
func Hash(secret string) string {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("passhash: crypto/rand failed: " + err.Error())
	}
	k := argon2.IDKey([]byte(secret), salt, Time, Memory, Threads, KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, Memory, Time, Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(k))
}

// Verify reports whether secret matches the PHC hash, in constant time. Errors wrap ErrFormat.
func Verify(hash, secret string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(secret), p.salt, p.t, p.m, p.p, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

type params struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parse reads a PHC argon2id string and bounds its cost so a hostile hash cannot exhaust memory or time.
func parse(hash string) (params, error) {
	var z params
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return z, ErrFormat
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return z, fmt.Errorf("version %q: %w", parts[2], ErrFormat)
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return z, fmt.Errorf("parameters %q: %w", parts[3], ErrFormat)
	}
	if m < 8 || m > 256*1024 || t < 1 || t > 16 || p < 1 || p > 16 {
		return z, fmt.Errorf("parameters out of range: %w", ErrFormat)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return z, fmt.Errorf("salt: %w", ErrFormat)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return z, fmt.Errorf("key: %w", ErrFormat)
	}
	return params{m: m, t: t, p: p, salt: salt, key: want}, nil
}
