package bind

import (
	"encoding/binary"
	"net/netip"
)

// Linux socket-level constants (include/uapi/linux/in.h, in6.h, udp.h,
// socket.h). They are spelled out here rather than taken from x/sys/unix so
// that the encoders below build, and are tested, on every GOOS.
const (
	afInet  = 2
	afInet6 = 10

	solIP      = 0  // IPPROTO_IP
	solIPv6    = 41 // IPPROTO_IPV6
	solUDP     = 17 // IPPROTO_UDP
	ipPktinfo  = 8  // IP_PKTINFO
	ipv6Pkt    = 50 // IPV6_PKTINFO
	udpSegment = 103
	udpGRO     = 104

	sizeofPktinfo4 = 12 // struct in_pktinfo: ifindex, spec_dst, addr
	sizeofPktinfo6 = 20 // struct in6_pktinfo: addr, ifindex
	sizeofSockaddr = 28 // struct sockaddr_in6, which also holds sockaddr_in
)

// wordSize is sizeof(size_t): the type of cmsg_len and the alignment of
// control messages (CMSG_ALIGN in include/linux/socket.h).
const wordSize = 4 << (^uintptr(0) >> 63)

// cmsgHdrLen is sizeof(struct cmsghdr): len (size_t), level, type (int).
const cmsgHdrLen = (wordSize + 8 + wordSize - 1) &^ (wordSize - 1)

func cmsgAlign(n int) int { return (n + wordSize - 1) &^ (wordSize - 1) }

// cmsgSpace is CMSG_SPACE: the bytes one control message with n bytes of
// data occupies in a control buffer.
func cmsgSpace(n int) int { return cmsgHdrLen + cmsgAlign(n) }

// cmsgLen is CMSG_LEN: the value of cmsg_len for n bytes of data.
func cmsgLen(n int) int { return cmsgHdrLen + n }

// Control buffer sizes. The receive side leaves room for one unexpected
// message so that an extra cmsg does not truncate the ones we need.
var (
	recvControlSize = cmsgSpace(sizeofPktinfo6) + cmsgSpace(4) + cmsgSpace(sizeofPktinfo6)
	sendControlSize = cmsgSpace(sizeofPktinfo6) + cmsgSpace(2)
)

// putCmsg writes a control message header for level/typ with dataLen bytes
// of data at the start of b, zeroes data and padding, and returns the data
// slice and the space used. b must hold cmsgSpace(dataLen) bytes.
func putCmsg(b []byte, level, typ int32, dataLen int) (data []byte, n int) {
	n = cmsgSpace(dataLen)
	clear(b[:n])
	if wordSize == 8 {
		binary.NativeEndian.PutUint64(b, uint64(cmsgLen(dataLen)))
	} else {
		binary.NativeEndian.PutUint32(b, uint32(cmsgLen(dataLen)))
	}
	binary.NativeEndian.PutUint32(b[wordSize:], uint32(level))
	binary.NativeEndian.PutUint32(b[wordSize+4:], uint32(typ))
	return b[cmsgHdrLen : cmsgHdrLen+dataLen], n
}

// putPktinfo writes an IP_PKTINFO (src is IPv4) or IPV6_PKTINFO control
// message selecting src as the source address and returns its size.
//
// For IPv4 only ipi_spec_dst is set: the kernel then routes as usual and
// only the source changes (ip_cmsg_send in net/ipv4/ip_sockglue.c). For
// IPv6 the interface index is passed only for link-local sources, which
// need a scope; elsewhere it would pin the egress device.
func putPktinfo(b []byte, src netip.Addr, ifindex uint32) int {
	if src.Is4() {
		data, n := putCmsg(b, solIP, ipPktinfo, sizeofPktinfo4)
		a := src.As4()
		copy(data[4:8], a[:])
		return n
	}
	data, n := putCmsg(b, solIPv6, ipv6Pkt, sizeofPktinfo6)
	a := src.As16()
	copy(data[:16], a[:])
	if src.IsLinkLocalUnicast() {
		binary.NativeEndian.PutUint32(data[16:], ifindex)
	}
	return n
}

// putSegment writes a UDP_SEGMENT control message (u16 segment size, see
// udp_cmsg_send in net/ipv4/udp.c) and returns its size.
func putSegment(b []byte, size uint16) int {
	data, n := putCmsg(b, solUDP, udpSegment, 2)
	binary.NativeEndian.PutUint16(data, size)
	return n
}

// recvInfo is what the control messages of one received datagram say.
type recvInfo struct {
	dst     netip.Addr // local address the datagram was sent to
	ifindex uint32     // interface it arrived on
	gsoSize int        // GRO segment size, 0 if not coalesced
}

// parseControl decodes the control messages the bind asks for: IP_PKTINFO,
// IPV6_PKTINFO and UDP_GRO. Unknown or malformed messages are ignored; a
// truncated message ends the walk.
func parseControl(b []byte) recvInfo {
	var info recvInfo
	for len(b) >= cmsgHdrLen {
		var l int
		if wordSize == 8 {
			v := binary.NativeEndian.Uint64(b)
			if v > uint64(len(b)) {
				break
			}
			l = int(v)
		} else {
			l = int(binary.NativeEndian.Uint32(b))
		}
		if l < cmsgHdrLen || l > len(b) {
			break
		}
		level := int32(binary.NativeEndian.Uint32(b[wordSize:]))
		typ := int32(binary.NativeEndian.Uint32(b[wordSize+4:]))
		data := b[cmsgHdrLen:l]
		switch {
		case level == solIP && typ == ipPktinfo && len(data) >= sizeofPktinfo4:
			// ipi_addr is the header destination; ipi_spec_dst would be
			// the routing choice, which differs for broadcasts.
			info.ifindex = binary.NativeEndian.Uint32(data)
			info.dst = netip.AddrFrom4([4]byte(data[8:12]))
		case level == solIPv6 && typ == ipv6Pkt && len(data) >= sizeofPktinfo6:
			info.dst = netip.AddrFrom16([16]byte(data[:16]))
			info.ifindex = binary.NativeEndian.Uint32(data[16:])
		case level == solUDP && typ == udpGRO && len(data) >= 4:
			// udp_cmsg_recv puts an int.
			if v := int32(binary.NativeEndian.Uint32(data)); v > 0 {
				info.gsoSize = int(v)
			}
		case level == solUDP && typ == udpGRO && len(data) >= 2:
			info.gsoSize = int(binary.NativeEndian.Uint16(data))
		}
		next := cmsgAlign(l)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return info
}

// parseSockaddr decodes a struct sockaddr_in or sockaddr_in6 as filled in
// by recvmsg. For IPv6 it also returns sin6_scope_id. It returns the zero
// AddrPort for anything else.
func parseSockaddr(b []byte) (ap netip.AddrPort, scope uint32) {
	if len(b) < 2 {
		return netip.AddrPort{}, 0
	}
	switch binary.NativeEndian.Uint16(b) {
	case afInet:
		if len(b) < 8 {
			break
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:])), 0
	case afInet6:
		if len(b) < sizeofSockaddr {
			break
		}
		addr := netip.AddrFrom16([16]byte(b[8:24]))
		return netip.AddrPortFrom(addr, binary.BigEndian.Uint16(b[2:])), binary.NativeEndian.Uint32(b[24:])
	}
	return netip.AddrPort{}, 0
}

// putSockaddr encodes ap as a sockaddr_in (IPv4) or sockaddr_in6 into b
// and returns its length. ap must not be an IPv4-mapped address on an IPv4
// socket; callers unmap first.
func putSockaddr(b *[sizeofSockaddr]byte, ap netip.AddrPort, scope uint32) int {
	clear(b[:])
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	if ap.Addr().Is4() {
		binary.NativeEndian.PutUint16(b[:], afInet)
		a := ap.Addr().As4()
		copy(b[4:8], a[:])
		return 16
	}
	binary.NativeEndian.PutUint16(b[:], afInet6)
	a := ap.Addr().As16()
	copy(b[8:24], a[:])
	binary.NativeEndian.PutUint32(b[24:], scope)
	return sizeofSockaddr
}
