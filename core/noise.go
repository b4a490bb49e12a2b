package core

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"time"

	"golang.org/x/crypto/blake2s"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/curve25519"

	"github.com/wgshim/wgshim/core/wgtypes"
)

// Noise_IKpsk2 as WireGuard uses it (protocol.md §1 and §3).

const (
	construction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
	identifier   = "WireGuard v1 zx2c4 Jason@zx2c4.com"
	labelMAC1    = "mac1----"
	labelCookie  = "cookie--"
)

var (
	initialChainKey [32]byte // C0 = HASH(CONSTRUCTION)
	initialHash     [32]byte // H0 = HASH(C0 || IDENTIFIER)
	zeroNonce       [chacha20poly1305.NonceSize]byte
)

func init() {
	initialChainKey = blake2s.Sum256([]byte(construction))
	initialHash = hashOf(initialChainKey[:], []byte(identifier))
}

type key = wgtypes.Key

func hashOf(parts ...[]byte) [32]byte {
	h, _ := blake2s.New256(nil)
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// mixHash sets h = HASH(h || data).
func mixHash(h *[32]byte, data []byte) { *h = hashOf(h[:], data) }

func newBlake2s() hash.Hash {
	h, _ := blake2s.New256(nil)
	return h
}

func hmacOf(k []byte, parts ...[]byte) [32]byte {
	m := hmac.New(newBlake2s, k)
	for _, p := range parts {
		m.Write(p)
	}
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// kdf derives n (1 to 3) keys from chaining key c and input (HKDF).
func kdf(c *[32]byte, input []byte, n int) (t1, t2, t3 [32]byte) {
	prk := hmacOf(c[:], input)
	t1 = hmacOf(prk[:], []byte{1})
	if n > 1 {
		t2 = hmacOf(prk[:], t1[:], []byte{2})
	}
	if n > 2 {
		t3 = hmacOf(prk[:], t2[:], []byte{3})
	}
	return
}

// mac computes the 16-byte keyed BLAKE2s used for mac1, mac2 and cookies.
func mac(out *[16]byte, k []byte, data []byte) {
	m, _ := blake2s.New128(k)
	m.Write(data)
	m.Sum(out[:0])
}

var errZeroDH = errors.New("noise: low-order public key")

// dh returns X25519(priv, pub), failing on the all-zero result that a
// low-order public key produces.
func dh(priv, pub *key) ([32]byte, error) {
	var out [32]byte
	r, err := curve25519.X25519(priv[:], pub[:])
	if err != nil {
		return out, errZeroDH
	}
	copy(out[:], r)
	return out, nil
}

func aeadSeal(dst []byte, k *[32]byte, plaintext, ad []byte) []byte {
	a, _ := chacha20poly1305.New(k[:])
	return a.Seal(dst, zeroNonce[:], plaintext, ad)
}

func aeadOpen(dst []byte, k *[32]byte, ciphertext, ad []byte) ([]byte, error) {
	a, _ := chacha20poly1305.New(k[:])
	return a.Open(dst, zeroNonce[:], ciphertext, ad)
}

// tai64n encodes t as a TAI64N label. Nanoseconds are rounded down to a
// multiple of 2^24 so the timestamp does not reveal a precise clock, as
// both reference implementations do.
func tai64n(t time.Time) [12]byte {
	var out [12]byte
	binary.BigEndian.PutUint64(out[:8], 0x400000000000000a+uint64(t.Unix()))
	binary.BigEndian.PutUint32(out[8:], uint32(t.Nanosecond())&^(1<<24-1))
	return out
}

// timestampAfter reports whether TAI64N a is strictly later than b.
func timestampAfter(a, b [12]byte) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return false
}

func isZero(b []byte) bool {
	var acc byte
	for _, x := range b {
		acc |= x
	}
	return acc == 0
}

func constantTimeEqual16(a, b []byte) bool { return subtle.ConstantTimeCompare(a[:16], b[:16]) == 1 }
