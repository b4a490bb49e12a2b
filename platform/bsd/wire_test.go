package bsd

import (
	"net/netip"
	"testing"
)

func TestHeader(t *testing.T) {
	tests := []struct {
		name string
		r    Route
		want Header
	}{{
		name: "network via interface",
		r:    Route{Dst: netip.MustParsePrefix("0.0.0.0/1"), Iface: "wg0"},
		want: Header{Flags: 0x801, Dst: netip.MustParseAddr("0.0.0.0"), LinkIndex: 7, Mask: netip.MustParseAddr("128.0.0.0")},
	}, {
		name: "v6 network via interface",
		r:    Route{Dst: netip.MustParsePrefix("8000::/1"), Iface: "wg0"},
		want: Header{Flags: 0x801, Dst: netip.MustParseAddr("8000::"), LinkIndex: 7, Mask: netip.MustParseAddr("8000::")},
	}, {
		name: "host via gateway",
		r:    Route{Dst: netip.MustParsePrefix("192.0.2.1/32"), Gateway: netip.MustParseAddr("198.51.100.1")},
		want: Header{Flags: 0x807, Dst: netip.MustParseAddr("192.0.2.1"), Gateway: netip.MustParseAddr("198.51.100.1")},
	}, {
		name: "blackhole v6",
		r:    Route{Dst: netip.MustParsePrefix("2001:db8::1/128"), Blackhole: true},
		want: Header{Flags: 0x1805, Dst: netip.MustParseAddr("2001:db8::1"), Gateway: netip.IPv6Loopback()},
	}, {
		name: "host via interface",
		r:    Route{Dst: netip.MustParsePrefix("10.0.0.2/32"), Iface: "wg0"},
		want: Header{Flags: 0x805, Dst: netip.MustParseAddr("10.0.0.2"), LinkIndex: 7},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Header(7); got != tt.want {
				t.Errorf("Header = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDstHeader covers the destination part shared by Route.Header,
// LocalHeader and OpenBSD's DeleteRouteTo (flags RTF_UP alone).
func TestDstHeader(t *testing.T) {
	tests := []struct {
		dst   string
		flags int
		want  Header
	}{
		{"10.0.0.0/8", rtfUp, Header{Flags: 0x1, Dst: netip.MustParseAddr("10.0.0.0"), Mask: netip.MustParseAddr("255.0.0.0")}},
		{"192.0.2.1/32", rtfUp, Header{Flags: 0x5, Dst: netip.MustParseAddr("192.0.2.1")}},
		{"fd00::/64", rtfUp | rtfStatic, Header{Flags: 0x801, Dst: netip.MustParseAddr("fd00::"), Mask: netip.MustParseAddr("ffff:ffff:ffff:ffff::")}},
		{"fd00::7/128", rtfUp | rtfStatic, Header{Flags: 0x805, Dst: netip.MustParseAddr("fd00::7")}},
		{"0.0.0.0/0", rtfUp, Header{Flags: 0x1, Dst: netip.MustParseAddr("0.0.0.0"), Mask: netip.MustParseAddr("0.0.0.0")}},
	}
	for _, tt := range tests {
		if got := dstHeader(tt.flags, netip.MustParsePrefix(tt.dst)); got != tt.want {
			t.Errorf("dstHeader(%#x, %s) = %+v, want %+v", tt.flags, tt.dst, got, tt.want)
		}
	}
}

func TestMaskRoundTrip(t *testing.T) {
	for _, fam := range []string{"0.0.0.0", "::"} {
		a := netip.MustParseAddr(fam)
		for n := 0; n <= a.BitLen(); n++ {
			m := PrefixMask(netip.PrefixFrom(a, n))
			if m.BitLen() != a.BitLen() {
				t.Fatalf("/%d: mask %s of the wrong family", n, m)
			}
			if got := MaskBits(m.AsSlice()); got != n {
				t.Errorf("%s/%d: MaskBits(%s) = %d", fam, n, m, got)
			}
		}
	}
	// Kernels shorten masks: trailing zero bytes are dropped.
	for _, tt := range []struct {
		b    []byte
		want int
	}{{nil, 0}, {[]byte{0xff, 0xff}, 16}, {[]byte{0xff, 0xf0}, 12}, {[]byte{0x80}, 1}} {
		if got := MaskBits(tt.b); got != tt.want {
			t.Errorf("MaskBits(%x) = %d, want %d", tt.b, got, tt.want)
		}
	}
}
