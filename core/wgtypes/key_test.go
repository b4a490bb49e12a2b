package wgtypes

import (
	"strings"
	"testing"
)

func TestKeyForms(t *testing.T) {
	// protocol.md §14: Si.priv and Si.pub in base64 and hex.
	priv, err := ParseKey("uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY=")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := priv.Hex(), "b81df89cc9533b9941ea1b3f5fb2c8cac464441a88c3105f28ce08c9a5052c46"; got != want {
		t.Fatalf("hex %s, want %s", got, want)
	}
	if got, want := priv.PublicKey().String(), "O0GTXPmMfWJxx05r2xMdPuLBW1BFg6OKzFFqrXznnQw="; got != want {
		t.Fatalf("public key %s, want %s", got, want)
	}
	h, err := ParseHexKey(strings.ToUpper(priv.Hex()))
	if err != nil || h != priv {
		t.Fatalf("upper-case hex: %v %v", h, err)
	}
}

func TestParseKeyRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY",   // no padding
		"uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEY==", // too long
		"uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLE!=",  // bad alphabet
		"uB34nMlTO5lB6hs/X7LIysRkRBqIwxBfKM4IyaUFLEZ=",  // non-canonical final bits
	} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		} else if len(s) > 8 && strings.Contains(err.Error(), s[4:]) {
			t.Errorf("error echoes the key: %v", err)
		}
	}
	for _, s := range []string{"", "00", strings.Repeat("g", 64), strings.Repeat("0", 63)} {
		if _, err := ParseHexKey(s); err == nil {
			t.Errorf("ParseHexKey(%q) accepted", s)
		}
	}
}

func TestGeneratedKeysAreClampedAndDistinct(t *testing.T) {
	a, _ := GeneratePrivateKey()
	b, _ := GeneratePrivateKey()
	if a == b || a.IsZero() {
		t.Fatal("generated keys not random")
	}
	if a[0]&7 != 0 || a[31]&128 != 0 || a[31]&64 == 0 {
		t.Fatalf("key not clamped: %x", a)
	}
	if a.Clamped() != a {
		t.Fatal("clamping a clamped key changed it")
	}
}
