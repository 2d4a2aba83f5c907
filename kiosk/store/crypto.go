package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// KeySize is the size of the kiosk key file: an AES-256 key.
const KeySize = 32

// CreateKey writes a new random 32-byte key to path with mode 0600 and syncs it (and its folder) to disk.
// It fails (wrapping fs.ErrExist) if the file exists: a kiosk's key is made once, at provisioning.
func CreateKey(path string) error {
	var key [KeySize]byte
	if _, err := io.ReadFull(rand.Reader, key[:]); err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	_, err = f.Write(key[:])
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("create key: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// loadKey reads the key file, refusing it (ErrKey) when group or others have any permission on it or when
// it does not hold exactly 32 bytes.
func loadKey(path string) (cipher.AEAD, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no key file configured", ErrKey)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKey, path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; it must be 0600 or stricter (chmod 600)", ErrKey, path, perm)
	}
	key := make([]byte, KeySize+1)
	n, err := io.ReadFull(f, key)
	if !errors.Is(err, io.ErrUnexpectedEOF) || n != KeySize {
		return nil, fmt.Errorf("%w: %s must hold exactly %d bytes", ErrKey, path, KeySize)
	}
	block, err := aes.NewCipher(key[:KeySize])
	clear(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return aead, nil
}

// seal encrypts plain with a fresh random nonce and the receipt number as associated data. The result is
// nonce || ciphertext || tag.
func (s *Store) seal(plain []byte, receipt string) []byte { return s.sealTo(nil, plain, receipt) }

// sealTo is seal appending to dst[:0] (reusing its capacity when large enough).
func (s *Store) sealTo(dst, plain []byte, receipt string) []byte {
	ns := s.aead.NonceSize()
	need := ns + len(plain) + s.aead.Overhead()
	if cap(dst) < need {
		dst = make([]byte, 0, need)
	}
	out := dst[:ns]
	if _, err := io.ReadFull(rand.Reader, out); err != nil {
		panic("store: crypto/rand failed: " + err.Error()) // never on Linux
	}
	return s.aead.Seal(out, out, plain, []byte(receipt))
}

// open decrypts a box made by seal for the same receipt; failures wrap ErrCorrupt.
func (s *Store) open(box []byte, receipt string) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(box) < ns+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: box too short", ErrCorrupt)
	}
	plain, err := s.aead.Open(nil, box[:ns], box[ns:], []byte(receipt))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, receipt, err)
	}
	return plain, nil
}
