package ifconf

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
)

func TestRequestNumbers(t *testing.T) {
	// Values from spec freebsd-nvlist.md §2.9–2.10 and x/sys/unix.
	for _, tt := range []struct {
		name string
		got  uint32
		want uint32
	}{
		{"SIOCAIFADDR", siocAIfAddr, 0x8044692b},
		{"SIOCAIFADDR_IN6", siocAIfAddrIn6, 0x8088691b},
		{"SIOCSIFFLAGS", siocSIfFlags, 0x80206910},
		{"SIOCGIFFLAGS", siocGIfFlags, 0xc0206911},
		{"SIOCSIFMTU", siocSIfMTU, 0x80206934},
		{"SIOCGIFMTU", siocGIfMTU, 0xc0206933},
		{"SIOCSIFNAME", siocSIfName, 0x80206928},
		{"SIOCIFDESTROY", siocIfDestroy, 0x80206979},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInAliasreq(t *testing.T) {
	b, err := InAliasreq("wg0", netip.MustParsePrefix("10.0.0.1/24"))
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, `
		77 67 30 00 00 00 00 00 00 00 00 00 00 00 00 00
		10 02 00 00 0a 00 00 01 00 00 00 00 00 00 00 00
		00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
		10 02 00 00 ff ff ff 00 00 00 00 00 00 00 00 00
		00 00 00 00`)
	if !bytes.Equal(b[:], want) {
		t.Errorf("in_aliasreq:\n got % x\nwant % x", b, want)
	}
}

func TestIn6Aliasreq(t *testing.T) {
	b, err := In6Aliasreq("wg0", netip.MustParsePrefix("fd00::1/64"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "wg0\x00" {
		t.Errorf("name % x", b[:16])
	}
	addr := b[16:44]
	if addr[0] != 28 || addr[1] != 28 || !bytes.Equal(addr[8:24], netip.MustParseAddr("fd00::1").AsSlice()) {
		t.Errorf("ifra_addr % x", addr)
	}
	if !bytes.Equal(b[44:72], make([]byte, 28)) {
		t.Errorf("ifra_dstaddr not zero: % x", b[44:72])
	}
	m := b[72:100]
	if m[0] != 28 || m[1] != 28 || !bytes.Equal(m[8:24], netip.MustParseAddr("ffff:ffff:ffff:ffff::").AsSlice()) {
		t.Errorf("ifra_prefixmask % x", m)
	}
	ne := binary.NativeEndian
	if ne.Uint32(b[100:]) != 0 || ne.Uint64(b[104:]) != 0 || ne.Uint64(b[112:]) != 0 {
		t.Errorf("flags/expire/preferred not zero: % x", b[100:120])
	}
	if ne.Uint32(b[120:]) != 0xffffffff || ne.Uint32(b[124:]) != 0xffffffff {
		t.Errorf("lifetimes not infinite: % x", b[120:128])
	}
	if !bytes.Equal(b[128:], make([]byte, 8)) {
		t.Errorf("vhid/padding not zero: % x", b[128:])
	}
}

func TestLayoutErrors(t *testing.T) {
	v4, v6 := netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("fd00::1/128")
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"v6 in in_aliasreq", func() error { _, err := InAliasreq("wg0", v6); return err }()},
		{"v4 in in6_aliasreq", func() error { _, err := In6Aliasreq("wg0", v4); return err }()},
		{"mapped in in6_aliasreq", func() error {
			_, err := In6Aliasreq("wg0", netip.MustParsePrefix("::ffff:10.0.0.1/128"))
			return err
		}()},
		{"long name", func() error { _, err := InAliasreq("abcdefghijklmnop", v4); return err }()},
		{"empty name", func() error { _, err := Ifreq(""); return err }()},
		{"NUL in name", func() error { _, err := Ifreq("wg\x000"); return err }()},
		{"invalid prefix", func() error { _, err := InAliasreq("wg0", netip.Prefix{}); return err }()},
	} {
		if tt.err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := checkMTU(1420); err != nil {
		t.Error(err)
	}
	for _, m := range []int{0, 575, 65536} {
		if checkMTU(m) == nil {
			t.Errorf("MTU %d accepted", m)
		}
	}
}

func TestIfreqFields(t *testing.T) {
	b, err := ifreqInt("tun3", 1420)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:5]) != "tun3\x00" || binary.NativeEndian.Uint32(b[16:]) != 1420 {
		t.Errorf("ifreq % x", b)
	}
	setFlags(&b, 0x18043)
	if got := flags(&b); got != 0x18043 {
		t.Errorf("flags round trip = %#x", got)
	}
	if binary.NativeEndian.Uint16(b[16:]) != 0x8043 || binary.NativeEndian.Uint16(b[18:]) != 1 {
		t.Errorf("flags split % x", b[16:20])
	}
}
