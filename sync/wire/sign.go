package wire

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Header names of kiosk authentication.
const (
	HeaderKiosk     = "X-Huren-Kiosk"
	HeaderTimestamp = "X-Huren-Timestamp"
	HeaderNonce     = "X-Huren-Nonce"
	HeaderSignature = "X-Huren-Signature"
)

// MaxSkew is the largest clock difference the server accepts; NonceTTL how long it remembers nonces.
const (
	MaxSkew  = 300 * time.Second
	NonceTTL = 10 * time.Minute
)

// SecretLen is the length of a kiosk secret in bytes (printed as 64 hex characters).
const SecretLen = 32

// Errors of ParseSecret and Verify.
var (
	ErrSecret    = errors.New("kiosk secret must be 64 hex characters")
	ErrSignature = errors.New("bad signature")
	ErrSkew      = errors.New("clock skew too large")
	ErrHeaders   = errors.New("missing or malformed authentication headers")
)

// ParseSecret decodes a 64-hex-character kiosk secret into its 32 bytes. Errors wrap ErrSecret.
func ParseSecret(s string) ([]byte, error) {
	b, err := hex.DecodeString(string(bytes.TrimSpace([]byte(s))))
	if err != nil || len(b) != SecretLen {
		return nil, ErrSecret
	}
	return b, nil
}

// BodyHash is hex(SHA-256(body)); an empty body hashes as SHA-256 of zero bytes.
func BodyHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// StringToSign is METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n" NONCE "\n" BODY_HASH.
func StringToSign(method, pathAndQuery string, ts int64, nonce, bodyHash string) string {
	return method + "\n" + pathAndQuery + "\n" + strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + bodyHash
}

// Sign returns hex(HMAC-SHA256(secret, StringToSign(…))).
func Sign(secret []byte, method, pathAndQuery string, ts int64, nonce, bodyHash string) string {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, StringToSign(method, pathAndQuery, ts, nonce, bodyHash))
	return hex.EncodeToString(m.Sum(nil))
}

// NewNonce returns 32 random hex characters.
func NewNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("wire: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// PathAndQuery is the request path and raw query exactly as sent.
func PathAndQuery(r *http.Request) string {
	p := r.URL.EscapedPath()
	if r.URL.Opaque != "" {
		p = r.URL.Opaque
	}
	if r.URL.RawQuery != "" {
		p += "?" + r.URL.RawQuery
	}
	return p
}

// SignRequest sets the four authentication headers on req for kiosk id with secret, at time now.
// bodyHash is BodyHash of the exact bytes req will send (streamed bodies hash them beforehand).
func SignRequest(req *http.Request, kioskID string, secret []byte, bodyHash string, now time.Time) {
	ts := now.Unix()
	nonce := NewNonce()
	req.Header.Set(HeaderKiosk, kioskID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Sign(secret, req.Method, PathAndQuery(req), ts, nonce, bodyHash))
}

// Credentials are the authentication headers of a request, parsed.
type Credentials struct {
	Kiosk     string
	Timestamp int64
	Nonce     string
	Signature []byte
}

// ParseCredentials reads the headers. Errors wrap ErrHeaders.
func ParseCredentials(h http.Header) (Credentials, error) {
	var c Credentials
	c.Kiosk = h.Get(HeaderKiosk)
	if c.Kiosk == "" || len(c.Kiosk) > 32 {
		return c, fmt.Errorf("kiosk id: %w", ErrHeaders)
	}
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return c, fmt.Errorf("timestamp: %w", ErrHeaders)
	}
	c.Timestamp = ts
	c.Nonce = h.Get(HeaderNonce)
	if len(c.Nonce) != 32 {
		return c, fmt.Errorf("nonce: %w", ErrHeaders)
	}
	if _, err := hex.DecodeString(c.Nonce); err != nil {
		return c, fmt.Errorf("nonce: %w", ErrHeaders)
	}
	sig, err := hex.DecodeString(h.Get(HeaderSignature))
	if err != nil || len(sig) != sha256.Size {
		return c, fmt.Errorf("signature: %w", ErrHeaders)
	}
	c.Signature = sig
	return c, nil
}

// Verify checks the credentials' signature and clock skew against now. It does not check nonce reuse; the
// server keeps the nonce cache. Errors wrap ErrSkew or ErrSignature.
func Verify(c Credentials, secret []byte, method, pathAndQuery, bodyHash string, now time.Time) error {
	d := now.Unix() - c.Timestamp
	if d < 0 {
		d = -d
	}
	if time.Duration(d)*time.Second > MaxSkew {
		return ErrSkew
	}
	want, _ := hex.DecodeString(Sign(secret, method, pathAndQuery, c.Timestamp, c.Nonce, bodyHash))
	if !hmac.Equal(want, c.Signature) {
		return ErrSignature
	}
	return nil
}
