package tundev

import (
	"encoding/binary"
	"net/netip"
)

// Test helpers that build packets with checksums computed by a deliberately
// naive RFC 1071 implementation, independent of checksum.go.

func refSum(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

func refFold(s uint32) uint16 {
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// refPseudo is the pseudo-header sum for pkt's addresses.
func refPseudo(pkt []byte, proto uint8, l4len int) uint32 {
	var s uint32
	if pkt[0]>>4 == 4 {
		s = refSum(pkt[12:20])
	} else {
		s = refSum(pkt[8:40])
	}
	return s + uint32(proto) + uint32(l4len)
}

// ipv4HeaderValid reports whether the IPv4 header checksum is right.
func ipv4HeaderValid(pkt []byte) bool {
	ihl := int(pkt[0]&0xf) * 4
	return refFold(refSum(pkt[:ihl])) == 0xffff
}

// l4Valid reports whether the TCP/UDP checksum of pkt (transport at toff)
// is right.
func l4Valid(pkt []byte, toff int, proto uint8) bool {
	t := pkt[toff:]
	return refFold(refPseudo(pkt, proto, len(t))+refSum(t)) == 0xffff
}

// fixChecksums recomputes the IPv4 header and the transport checksum.
func fixChecksums(pkt []byte, toff int, proto uint8) {
	if pkt[0]>>4 == 4 {
		ihl := int(pkt[0]&0xf) * 4
		pkt[10], pkt[11] = 0, 0
		binary.BigEndian.PutUint16(pkt[10:], ^refFold(refSum(pkt[:ihl])))
	}
	t := pkt[toff:]
	at := 16
	if proto == protoUDP {
		at = 6
	}
	t[at], t[at+1] = 0, 0
	c := ^refFold(refPseudo(pkt, proto, len(t)) + refSum(t))
	if c == 0 && proto == protoUDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(t[at:], c)
}

type pktSpec struct {
	src, dst     netip.Addr
	sport, dport uint16
	proto        uint8
	// IP
	id    uint16
	ttl   uint8
	tos   uint8
	df    bool
	flow  uint32 // IPv6 flow label
	ipOpt []byte // IPv4 options (multiple of 4)
	// TCP
	seq, ack uint32
	flags    uint8
	window   uint16
	urg      uint16
	opts     []byte // TCP options (multiple of 4)
	payload  []byte
}

func defaultTCP4() pktSpec {
	return pktSpec{
		src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("10.0.0.2"),
		sport: 40000, dport: 443, proto: protoTCP,
		id: 0x1234, ttl: 64, df: true,
		seq: 1000, ack: 777, flags: tcpACK, window: 501,
		opts: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, // NOP NOP timestamps
	}
}

func defaultTCP6() pktSpec {
	s := defaultTCP4()
	s.src, s.dst = netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
	s.flow = 0xabcde
	return s
}

func defaultUDP4() pktSpec {
	return pktSpec{
		src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("10.0.0.2"),
		sport: 5000, dport: 6000, proto: protoUDP, id: 7, ttl: 64, df: true,
	}
}

func defaultUDP6() pktSpec {
	s := defaultUDP4()
	s.src, s.dst = netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
	return s
}

// build returns the packet with valid checksums.
func (s pktSpec) build() []byte {
	var l4 []byte
	if s.proto == protoTCP {
		l4 = make([]byte, 20+len(s.opts), 20+len(s.opts)+len(s.payload))
		binary.BigEndian.PutUint16(l4[0:], s.sport)
		binary.BigEndian.PutUint16(l4[2:], s.dport)
		binary.BigEndian.PutUint32(l4[4:], s.seq)
		binary.BigEndian.PutUint32(l4[8:], s.ack)
		l4[12] = uint8((20+len(s.opts))/4) << 4
		l4[13] = s.flags
		binary.BigEndian.PutUint16(l4[14:], s.window)
		binary.BigEndian.PutUint16(l4[18:], s.urg)
		copy(l4[20:], s.opts)
	} else {
		l4 = make([]byte, 8, 8+len(s.payload))
		binary.BigEndian.PutUint16(l4[0:], s.sport)
		binary.BigEndian.PutUint16(l4[2:], s.dport)
		binary.BigEndian.PutUint16(l4[4:], uint16(8+len(s.payload)))
	}
	l4 = append(l4, s.payload...)
	var pkt []byte
	var toff int
	if s.src.Is4() {
		toff = 20 + len(s.ipOpt)
		pkt = make([]byte, toff, toff+len(l4))
		pkt[0] = 0x40 | uint8(toff/4)
		pkt[1] = s.tos
		binary.BigEndian.PutUint16(pkt[2:], uint16(toff+len(l4)))
		binary.BigEndian.PutUint16(pkt[4:], s.id)
		if s.df {
			pkt[6] = 0x40
		}
		pkt[8] = s.ttl
		pkt[9] = s.proto
		a, b := s.src.As4(), s.dst.As4()
		copy(pkt[12:], a[:])
		copy(pkt[16:], b[:])
		copy(pkt[20:], s.ipOpt)
	} else {
		toff = 40
		pkt = make([]byte, 40, 40+len(l4))
		binary.BigEndian.PutUint32(pkt[0:], 6<<28|uint32(s.tos)<<20|s.flow&0xfffff)
		binary.BigEndian.PutUint16(pkt[4:], uint16(len(l4)))
		pkt[6] = s.proto
		pkt[7] = s.ttl
		a, b := s.src.As16(), s.dst.As16()
		copy(pkt[8:], a[:])
		copy(pkt[24:], b[:])
	}
	pkt = append(pkt, l4...)
	fixChecksums(pkt, toff, s.proto)
	return pkt
}

func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed*13 + i>>8)
	}
	return b
}

// segments builds n consecutive packets of one flow with mss bytes of
// payload each (the last has last bytes if last > 0), as a sender would.
func segments(base pktSpec, n, mss, last int) [][]byte {
	var out [][]byte
	for k := range n {
		s := base
		size := mss
		if k == n-1 && last > 0 {
			size = last
		}
		s.payload = pattern(size, k)
		s.id = base.id + uint16(k)
		s.seq = base.seq + uint32(k*mss)
		if k != 0 {
			s.flags &^= tcpCWR
		}
		if k != n-1 {
			s.flags &^= tcpPSH | tcpFIN
		}
		out = append(out, s.build())
	}
	return out
}

// gsoFrame builds the frame the kernel would hand a TUN reader for the
// segments described: one big packet whose transport checksum field holds
// the pseudo-header sum, and its virtio-net header.
func gsoFrame(base pktSpec, total, mss int) []byte {
	s := base
	s.payload = pattern(total, 99)
	pkt := s.build()
	toff := 40
	if s.src.Is4() {
		toff = 20 + len(s.ipOpt)
	}
	at, gt := 16, uint8(gsoTCPv4)
	if s.proto == protoUDP {
		at, gt = 6, gsoUDPL4
	} else if s.src.Is6() {
		gt = gsoTCPv6
	}
	binary.BigEndian.PutUint16(pkt[toff+at:], refFold(refPseudo(pkt, s.proto, len(pkt)-toff)))
	hlen := toff + 8
	if s.proto == protoTCP {
		hlen = toff + 20 + len(s.opts)
	}
	h := vnetHdr{flags: vnetFlagNeedsCsum, gsoType: gt, hdrLen: uint16(hlen), gsoSize: uint16(mss),
		csumStart: uint16(toff), csumOffset: uint16(at)}
	out := make([]byte, vnetHdrLen, vnetHdrLen+len(pkt))
	h.encode(out)
	return append(out, pkt...)
}

func makeBufs(n, size int) ([][]byte, []int) {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs, make([]int, n)
}
