package netif

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"unsafe"
)

// hexBytes parses a hex dump written with spaces and newlines.
func hexBytes(t *testing.T, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeInAliasreq(t *testing.T) {
	got, err := EncodeInAliasreq("wg0", netip.MustParsePrefix("10.0.0.2/24"))
	if err != nil {
		t.Fatal(err)
	}
	want := hexBytes(t, `
		77673000 00000000 00000000 00000000
		10020000 0a000002 00000000 00000000
		00000000 00000000 00000000 00000000
		10020000 ffffff00 00000000 00000000`)
	if !bytes.Equal(got[:], want) {
		t.Errorf("in_aliasreq\n got %x\nwant %x", got, want)
	}
	host, _ := EncodeInAliasreq("tun3", netip.MustParsePrefix("192.0.2.7/32"))
	if !bytes.Equal(host[48:56], []byte{16, 2, 0, 0, 255, 255, 255, 255}) {
		t.Errorf("/32 mask: %x", host[48:56])
	}
}

func TestEncodeIn6Aliasreq(t *testing.T) {
	got, err := EncodeIn6Aliasreq("wg12", netip.MustParsePrefix("fd00:1::2/64"))
	if err != nil {
		t.Fatal(err)
	}
	ones := []byte{0xff, 0xff, 0xff, 0xff}
	var want [SizeofIn6Aliasreq]byte
	copy(want[:], "wg12")
	copy(want[16:], []byte{28, 24})
	copy(want[24:], netip.MustParseAddr("fd00:1::2").AsSlice())
	copy(want[72:], []byte{28, 24})
	copy(want[80:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(want[120:], ones)
	copy(want[124:], ones)
	if got != want {
		t.Errorf("in6_aliasreq\n got %x\nwant %x", got, want)
	}
	odd, _ := EncodeIn6Aliasreq("wg0", netip.MustParsePrefix("2001:db8::/33"))
	if !bytes.Equal(odd[80:86], []byte{0xff, 0xff, 0xff, 0xff, 0x80, 0}) {
		t.Errorf("/33 mask: %x", odd[80:96])
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, iface string
		p           netip.Prefix
		v6          bool
	}{
		{"v6 prefix as v4", "wg0", netip.MustParsePrefix("fd00::1/64"), false},
		{"v4 prefix as v6", "wg0", netip.MustParsePrefix("10.0.0.1/8"), true},
		{"mapped as v6", "wg0", netip.MustParsePrefix("::ffff:10.0.0.1/128"), true},
		{"invalid", "wg0", netip.Prefix{}, false},
		{"long name", "abcdefghijklmnop", netip.MustParsePrefix("10.0.0.1/8"), false},
		{"empty name", "", netip.MustParsePrefix("fd00::1/64"), true},
	} {
		var err error
		if tt.v6 {
			_, err = EncodeIn6Aliasreq(tt.iface, tt.p)
		} else {
			_, err = EncodeInAliasreq(tt.iface, tt.p)
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestIoctlNumbers(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("LP64 values")
	}
	if SIOCAIFADDR != 0x8040691a || SIOCAIFADDR_IN6 != 0x8080691a {
		t.Errorf("SIOCAIFADDR %#x, SIOCAIFADDR_IN6 %#x", SIOCAIFADDR, SIOCAIFADDR_IN6)
	}
}

func FuzzEncodeAliasreq(f *testing.F) {
	f.Add("wg0", "10.0.0.1/24")
	f.Add("tun0", "fd00::1/64")
	f.Add("x", "0.0.0.0/0")
	f.Fuzz(func(t *testing.T, name, prefix string) {
		p, err := netip.ParsePrefix(prefix)
		if err != nil {
			return
		}
		if p.Addr().Is4() {
			b, err := EncodeInAliasreq(name, p)
			if err != nil {
				return
			}
			if got := netip.AddrFrom4([4]byte(b[20:24])); got != p.Addr() {
				t.Fatalf("address %v, want %v", got, p.Addr())
			}
			return
		}
		b, err := EncodeIn6Aliasreq(name, p)
		if err != nil {
			return
		}
		if got := netip.AddrFrom16([16]byte(b[24:40])); got != p.Addr() {
			t.Fatalf("address %v, want %v", got, p.Addr())
		}
	})
}
