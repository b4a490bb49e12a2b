package bsd

import (
	"math/bits"
	"net/netip"
)

// Routing-socket constants shared by FreeBSD and OpenBSD (net/route.h;
// the values are the same on both).
const (
	rtfUp        = 0x1
	rtfGateway   = 0x2
	rtfHost      = 0x4
	rtfStatic    = 0x800
	rtfBlackhole = 0x1000

	rtmAdd    = 0x1
	rtmDelete = 0x2
	rtmGet    = 0x4
)

// Header is the routing-socket view of a Route: the rtm_flags and which
// sockaddrs go in the message (RTA_DST, RTA_GATEWAY, RTA_NETMASK).
type Header struct {
	Flags int
	// Dst is the destination address.
	Dst netip.Addr
	// Gateway is the router, or the loopback address of a blackhole;
	// invalid when the gateway is the interface (LinkIndex).
	Gateway netip.Addr
	// LinkIndex > 0 makes the gateway a sockaddr_dl naming that
	// interface, which is what route(8) -interface sends.
	LinkIndex int
	// Mask is the netmask; invalid for host routes, which carry none.
	Mask netip.Addr
}

// Header returns the message fields for adding (or deleting) r; index is
// the interface index of r.Iface (ignored for other routes). The flags are
// route(8)'s: RTF_UP|RTF_STATIC, plus RTF_HOST without a netmask for host
// routes, RTF_GATEWAY for a router, RTF_BLACKHOLE for a blackhole.
func (r Route) Header(index int) Header {
	h := dstHeader(rtfUp|rtfStatic, r.Dst)
	switch {
	case r.Gateway.IsValid():
		h.Flags |= rtfGateway
		h.Gateway = r.Gateway
	case r.Blackhole:
		h.Flags |= rtfBlackhole
		h.Gateway = loopback(r.Is6())
	default:
		h.LinkIndex = index
	}
	return h
}

// dstHeader is the destination part of every message about dst, with
// flags: a host route (all bits set) gets RTF_HOST and no netmask, as
// route(8) sends it; any other prefix gets its netmask.
func dstHeader(flags int, dst netip.Prefix) Header {
	h := Header{Flags: flags, Dst: dst.Addr()}
	if dst.Bits() == dst.Addr().BitLen() {
		h.Flags |= rtfHost
	} else {
		h.Mask = PrefixMask(dst)
	}
	return h
}

// PrefixMask is the netmask of p as an address of its family.
func PrefixMask(p netip.Prefix) netip.Addr {
	var b [16]byte
	n := p.Bits()
	for i := range b {
		switch {
		case n >= 8:
			b[i] = 0xff
			n -= 8
		case n > 0:
			b[i] = byte(0xff << (8 - n))
			n = 0
		}
	}
	if p.Addr().Is4() {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16(b)
}

// MaskBits is the prefix length of a netmask: its leading one bits. A
// kernel may shorten masks in messages (trailing zero bytes dropped), so
// mask may be shorter than the address.
func MaskBits(mask []byte) int {
	n := 0
	for _, b := range mask {
		if b == 0xff {
			n += 8
			continue
		}
		n += bits.LeadingZeros8(^b)
		break
	}
	return n
}
