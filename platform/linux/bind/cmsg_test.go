package bind

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
)

// rawCmsg builds a control message by hand, independently of putCmsg.
func rawCmsg(level, typ uint32, data []byte) []byte {
	b := make([]byte, cmsgSpace(len(data)))
	if wordSize == 8 {
		binary.NativeEndian.PutUint64(b, uint64(cmsgHdrLen+len(data)))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(cmsgHdrLen+len(data)))
	}
	binary.NativeEndian.PutUint32(b[wordSize:], level)
	binary.NativeEndian.PutUint32(b[wordSize+4:], typ)
	copy(b[cmsgHdrLen:], data)
	return b
}

func ne32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func TestCmsgSizes(t *testing.T) {
	// CMSG_SPACE/CMSG_LEN from the kernel headers for 64- and 32-bit.
	want := map[int]struct{ hdr, space12, space20, space2, len20 int }{
		8: {16, 32, 40, 24, 36},
		4: {12, 24, 32, 16, 32},
	}[wordSize]
	if cmsgHdrLen != want.hdr {
		t.Errorf("cmsgHdrLen = %d, want %d", cmsgHdrLen, want.hdr)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"CMSG_SPACE(in_pktinfo)", cmsgSpace(sizeofPktinfo4), want.space12},
		{"CMSG_SPACE(in6_pktinfo)", cmsgSpace(sizeofPktinfo6), want.space20},
		{"CMSG_SPACE(u16)", cmsgSpace(2), want.space2},
		{"CMSG_LEN(in6_pktinfo)", cmsgLen(sizeofPktinfo6), want.len20},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestPutPktinfo(t *testing.T) {
	tests := []struct {
		name    string
		src     netip.Addr
		ifindex uint32
		want    []byte
	}{
		{
			name:    "ipv4 sets spec_dst only",
			src:     netip.MustParseAddr("192.0.2.7"),
			ifindex: 3,
			want:    rawCmsg(solIP, ipPktinfo, []byte{0, 0, 0, 0, 192, 0, 2, 7, 0, 0, 0, 0}),
		},
		{
			name:    "ipv6 global has no ifindex",
			src:     netip.MustParseAddr("2001:db8::1"),
			ifindex: 3,
			want: rawCmsg(solIPv6, ipv6Pkt, append(
				netip.MustParseAddr("2001:db8::1").AsSlice(), ne32(0)...)),
		},
		{
			name:    "ipv6 link-local keeps ifindex",
			src:     netip.MustParseAddr("fe80::1"),
			ifindex: 7,
			want: rawCmsg(solIPv6, ipv6Pkt, append(
				netip.MustParseAddr("fe80::1").AsSlice(), ne32(7)...)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Repeat([]byte{0xee}, sendControlSize)
			n := putPktinfo(b, tt.src, tt.ifindex)
			if !bytes.Equal(b[:n], tt.want) {
				t.Errorf("putPktinfo =\n%x\nwant\n%x", b[:n], tt.want)
			}
		})
	}
}

func TestPutSegment(t *testing.T) {
	b := bytes.Repeat([]byte{0xee}, sendControlSize)
	n := putSegment(b, 1380)
	want := rawCmsg(solUDP, udpSegment, binary.NativeEndian.AppendUint16(nil, 1380))
	if !bytes.Equal(b[:n], want) {
		t.Errorf("putSegment =\n%x\nwant\n%x", b[:n], want)
	}
}

func TestParseControl(t *testing.T) {
	pkt4 := rawCmsg(solIP, ipPktinfo, append(append(ne32(5), 10, 0, 0, 9), 10, 0, 0, 1))
	pkt6 := rawCmsg(solIPv6, ipv6Pkt, append(netip.MustParseAddr("fd00::2").AsSlice(), ne32(4)...))
	gro := rawCmsg(solUDP, udpGRO, ne32(1400))
	other := rawCmsg(1, 29, make([]byte, 12)) // SOL_SOCKET, SO_TIMESTAMP-ish
	tests := []struct {
		name string
		in   []byte
		want recvInfo
	}{
		{name: "empty", in: nil, want: recvInfo{}},
		{name: "pktinfo4 uses ipi_addr", in: pkt4, want: recvInfo{dst: netip.MustParseAddr("10.0.0.1"), ifindex: 5}},
		{name: "pktinfo6", in: pkt6, want: recvInfo{dst: netip.MustParseAddr("fd00::2"), ifindex: 4}},
		{name: "gro", in: gro, want: recvInfo{gsoSize: 1400}},
		{
			name: "all with an unknown one first",
			in:   bytes.Join([][]byte{other, pkt6, gro}, nil),
			want: recvInfo{dst: netip.MustParseAddr("fd00::2"), ifindex: 4, gsoSize: 1400},
		},
		{name: "truncated header", in: pkt4[:cmsgHdrLen-1], want: recvInfo{}},
		{name: "length past buffer", in: pkt4[:cmsgHdrLen+4], want: recvInfo{}},
		{
			name: "short pktinfo ignored",
			in:   rawCmsg(solIP, ipPktinfo, []byte{1, 2, 3}),
			want: recvInfo{},
		},
		{
			name: "second message truncated keeps the first",
			in:   append(append([]byte{}, gro...), pkt6[:cmsgHdrLen+8]...),
			want: recvInfo{gsoSize: 1400},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseControl(tt.in); got != tt.want {
				t.Errorf("parseControl = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSockaddrRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		ap    netip.AddrPort
		scope uint32
		n     int
	}{
		{"ipv4", netip.MustParseAddrPort("198.51.100.4:51820"), 0, 16},
		{"ipv6", netip.MustParseAddrPort("[2001:db8::5]:443"), 0, 28},
		{"ipv6 scoped", netip.MustParseAddrPort("[fe80::1]:1"), 9, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b [sizeofSockaddr]byte
			n := putSockaddr(&b, tt.ap, tt.scope)
			if n != tt.n {
				t.Errorf("putSockaddr length = %d, want %d", n, tt.n)
			}
			// Port is big-endian at offset 2 in both layouts.
			if got := uint16(b[2])<<8 | uint16(b[3]); got != tt.ap.Port() {
				t.Errorf("port bytes = %d, want %d", got, tt.ap.Port())
			}
			ap, scope := parseSockaddr(b[:n])
			if ap != tt.ap || scope != tt.scope {
				t.Errorf("parseSockaddr = %v %d, want %v %d", ap, scope, tt.ap, tt.scope)
			}
		})
	}
	if ap, _ := parseSockaddr([]byte{0, 0, 1, 2}); ap.IsValid() {
		t.Errorf("unknown family parsed as %v", ap)
	}
}

func FuzzParseControl(f *testing.F) {
	f.Add([]byte{})
	f.Add(rawCmsg(solIP, ipPktinfo, make([]byte, 12)))
	f.Add(bytes.Join([][]byte{
		rawCmsg(solIPv6, ipv6Pkt, make([]byte, 20)),
		rawCmsg(solUDP, udpGRO, ne32(1200)),
	}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		info := parseControl(b)
		if info.gsoSize < 0 {
			t.Fatalf("negative gso size %d", info.gsoSize)
		}
		if info.dst.IsValid() && !info.dst.Is4() && !info.dst.Is6() {
			t.Fatalf("bad address %v", info.dst)
		}
	})
}

func FuzzParseSockaddr(f *testing.F) {
	var b [sizeofSockaddr]byte
	n := putSockaddr(&b, netip.MustParseAddrPort("[fe80::1]:7"), 3)
	f.Add(b[:n])
	n = putSockaddr(&b, netip.MustParseAddrPort("10.1.2.3:4"), 0)
	f.Add(b[:n])
	f.Fuzz(func(t *testing.T, in []byte) {
		ap, scope := parseSockaddr(in)
		if !ap.IsValid() {
			return
		}
		var out [sizeofSockaddr]byte
		m := putSockaddr(&out, ap, scope)
		ap2, scope2 := parseSockaddr(out[:m])
		if ap2 != ap || scope2 != scope {
			t.Fatalf("round trip %v/%d -> %v/%d", ap, scope, ap2, scope2)
		}
	})
}
