package wgtypes

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/curve25519"
)

// KeyLen is the length of every WireGuard key in bytes.
const KeyLen = 32

// Key is a Curve25519 private or public key, or a preshared key.
type Key [KeyLen]byte

// GeneratePrivateKey returns a new, clamped Curve25519 private key.
func GeneratePrivateKey() (Key, error) {
	k, err := GenerateKey()
	if err != nil {
		return Key{}, err
	}
	k.clamp()
	return k, nil
}

// GenerateKey returns 32 random bytes, suitable as a preshared key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return Key{}, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// clamp applies the X25519 private-key clamping (RFC 7748 section 5).
func (k *Key) clamp() {
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
}

// Clamped returns k with the X25519 clamping applied.
func (k Key) Clamped() Key {
	k.clamp()
	return k
}

// PublicKey returns the public key of the private key k.
func (k Key) PublicKey() Key {
	var pub Key
	priv := k.Clamped()
	curve25519.ScalarBaseMult((*[32]byte)(&pub), (*[32]byte)(&priv))
	return pub
}

// IsZero reports whether every byte of k is zero.
func (k Key) IsZero() bool { return k == Key{} }

// String returns the base64 form used by wg(8) and configuration files.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// Hex returns the lowercase hex form used by the UAPI.
func (k Key) Hex() string { return hex.EncodeToString(k[:]) }

var errKeyLen = errors.New("key must be 32 bytes")

// ParseKey parses a base64 key as written by wg(8) (44 characters, padded).
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 44 || s[43] != '=' {
		return k, fmt.Errorf("key %q: %w (44 base64 characters)", redact(s), errKeyLen)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != KeyLen {
		return k, fmt.Errorf("key %q: not valid base64", redact(s))
	}
	copy(k[:], b)
	return k, nil
}

// ParseHexKey parses a 64-character hex key as used by the UAPI.
func ParseHexKey(s string) (Key, error) {
	var k Key
	if len(s) != 2*KeyLen {
		return k, fmt.Errorf("hex key: %w (64 hex digits)", errKeyLen)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, errors.New("hex key: not valid hex")
	}
	return k, nil
}

// redact keeps enough of a rejected key to recognise it without echoing a
// secret into logs: rejected input may be a mistyped private key.
func redact(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[:4] + "…"
}
