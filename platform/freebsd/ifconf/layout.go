package ifconf

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/wgshim/wgshim/platform/bsd"
)

// ifNameSize is IFNAMSIZ, including the terminating NUL.
const ifNameSize = bsd.IfNameSize

// Structure sizes (amd64 and arm64; spec §2.9–2.10).
const (
	sizeofIfreq        = 32
	sizeofInAliasreq   = 68
	sizeofIn6Aliasreq  = 136
	nd6InfiniteLifetim = 0xffffffff
)

// Request numbers (sys/sys/sockio.h, encoded as sys/sys/ioccom.h does).
var (
	siocAIfAddr    = uint32(bsd.IOW('i', 43, sizeofInAliasreq))  // 0x8044692b, not x/sys's legacy 0x8040691a
	siocAIfAddrIn6 = uint32(bsd.IOW('i', 27, sizeofIn6Aliasreq)) // 0x8088691b
	siocSIfFlags   = uint32(bsd.IOW('i', 16, sizeofIfreq))       // 0x80206910
	siocGIfFlags   = uint32(bsd.IOWR('i', 17, sizeofIfreq))      // 0xc0206911
	siocSIfMTU     = uint32(bsd.IOW('i', 52, sizeofIfreq))       // 0x80206934
	siocGIfMTU     = uint32(bsd.IOWR('i', 51, sizeofIfreq))      // 0xc0206933
	siocSIfName    = uint32(bsd.IOW('i', 40, sizeofIfreq))       // 0x80206928
	siocIfDestroy  = uint32(bsd.IOW('i', 121, sizeofIfreq))      // 0x80206979
)

// Interface flags (net/if.h).
const (
	iffUp        = 0x1
	iffBroadcast = 0x2
	iffRunning   = 0x40
	iffMulticast = 0x8000
)

func putName(b []byte, name string) error {
	if name == "" || len(name) >= ifNameSize {
		return fmt.Errorf("interface name %q: must be 1 to %d bytes", name, ifNameSize-1)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == 0 {
			return fmt.Errorf("interface name %q: contains NUL", name)
		}
	}
	copy(b[:ifNameSize], name)
	return nil
}

// InAliasreq is struct in_aliasreq for SIOCAIFADDR: name, the address,
// no broadcast/destination (if_wg and tun(4) here are neither), the
// netmask, vhid 0.
func InAliasreq(name string, p netip.Prefix) ([sizeofInAliasreq]byte, error) {
	var b [sizeofInAliasreq]byte
	if !p.IsValid() || !p.Addr().Is4() {
		return b, fmt.Errorf("in_aliasreq: %s is not an IPv4 prefix", p)
	}
	if err := putName(b[:], name); err != nil {
		return b, err
	}
	bsd.PutSockaddrInet4(b[16:], p.Addr())
	bsd.PutSockaddrInet4(b[48:], bsd.PrefixMask(p))
	return b, nil
}

// In6Aliasreq is struct in6_aliasreq for SIOCAIFADDR_IN6: name, the
// address, no destination, the prefix mask, no flags, infinite valid and
// preferred lifetimes, vhid 0.
func In6Aliasreq(name string, p netip.Prefix) ([sizeofIn6Aliasreq]byte, error) {
	var b [sizeofIn6Aliasreq]byte
	a := p.Addr()
	if !p.IsValid() || !a.Is6() || a.Is4In6() {
		return b, fmt.Errorf("in6_aliasreq: %s is not an IPv6 prefix", p)
	}
	if err := putName(b[:], name); err != nil {
		return b, err
	}
	bsd.PutSockaddrInet6(b[16:], a, bsd.AFInet6FreeBSD)
	bsd.PutSockaddrInet6(b[72:], bsd.PrefixMask(p), bsd.AFInet6FreeBSD)
	binary.NativeEndian.PutUint32(b[120:], nd6InfiniteLifetim)
	binary.NativeEndian.PutUint32(b[124:], nd6InfiniteLifetim)
	return b, nil
}

// Ifreq is struct ifreq with name set and the union zero.
func Ifreq(name string) ([sizeofIfreq]byte, error) {
	var b [sizeofIfreq]byte
	return b, putName(b[:], name)
}

// ifreqInt puts a 32-bit value (ifr_mtu) in the union.
func ifreqInt(name string, v int32) ([sizeofIfreq]byte, error) {
	b, err := Ifreq(name)
	binary.NativeEndian.PutUint32(b[16:], uint32(v))
	return b, err
}

// flags reads ifr_flags (low 16 bits) and ifr_flagshigh (high 16 bits).
func flags(b *[sizeofIfreq]byte) uint32 {
	return uint32(binary.NativeEndian.Uint16(b[16:])) | uint32(binary.NativeEndian.Uint16(b[18:]))<<16
}

func setFlags(b *[sizeofIfreq]byte, f uint32) {
	binary.NativeEndian.PutUint16(b[16:], uint16(f))
	binary.NativeEndian.PutUint16(b[18:], uint16(f>>16))
}

// checkMTU applies if_wg's and tun(4)'s limits before the kernel does, for
// a clearer error.
func checkMTU(mtu int) error {
	if mtu < 576 || mtu > 65535 {
		return fmt.Errorf("MTU %d: out of range 576..65535", mtu)
	}
	return nil
}
