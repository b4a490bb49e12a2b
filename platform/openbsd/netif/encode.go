package netif

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/wgshim/wgshim/platform/bsd"
)

// Request sizes and ioctl numbers (sys/sockio.h, netinet6/in6_var.h).
const (
	SizeofInAliasreq  = 64
	SizeofIn6Aliasreq = 128
)

var (
	// SIOCAIFADDR is _IOW('i', 26, struct in_aliasreq): 0x8040691a.
	SIOCAIFADDR = bsd.IOW('i', 26, SizeofInAliasreq)
	// SIOCAIFADDR_IN6 is _IOW('i', 26, struct in6_aliasreq): 0x8080691a.
	SIOCAIFADDR_IN6 = bsd.IOW('i', 26, SizeofIn6Aliasreq)
)

// infiniteLifetime is ND6_INFINITE_LIFETIME, for vltime and pltime.
const infiniteLifetime = 0xffffffff

// Offsets in the requests.
const (
	offAddr   = 16
	offDst4   = 32
	offMask4  = 48
	offDst6   = 44
	offMask6  = 72
	offFlags6 = 100
	offLife6  = 104 // ia6t_expire, ia6t_preferred (int64), then:
	offVltime = 120
	offPltime = 124
)

// EncodeInAliasreq is the SIOCAIFADDR request ifconfig(8) sends for
// `ifconfig NAME inet ADDR/LEN alias`: the address and its netmask, no
// destination or broadcast (the kernel derives the broadcast address on
// broadcast interfaces).
func EncodeInAliasreq(name string, p netip.Prefix) ([SizeofInAliasreq]byte, error) {
	var b [SizeofInAliasreq]byte
	if !p.IsValid() || !p.Addr().Is4() {
		return b, fmt.Errorf("address %v: not an IPv4 prefix", p)
	}
	if err := putName(b[:], name); err != nil {
		return b, err
	}
	bsd.PutSockaddrInet4(b[offAddr:], p.Addr())
	bsd.PutSockaddrInet4(b[offMask4:], bsd.PrefixMask(p))
	return b, nil
}

// EncodeIn6Aliasreq is the SIOCAIFADDR_IN6 request of `ifconfig NAME
// inet6 ADDR/LEN alias`: the address, its prefix mask and infinite
// lifetimes. netip.Prefix carries no zone: the kernel scopes a
// link-local address to the interface it is added to.
func EncodeIn6Aliasreq(name string, p netip.Prefix) ([SizeofIn6Aliasreq]byte, error) {
	var b [SizeofIn6Aliasreq]byte
	if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() {
		return b, fmt.Errorf("address %v: not an IPv6 prefix", p)
	}
	if err := putName(b[:], name); err != nil {
		return b, err
	}
	bsd.PutSockaddrInet6(b[offAddr:], p.Addr(), bsd.AFInet6OpenBSD)
	bsd.PutSockaddrInet6(b[offMask6:], bsd.PrefixMask(p), bsd.AFInet6OpenBSD)
	binary.NativeEndian.PutUint32(b[offVltime:], infiniteLifetime)
	binary.NativeEndian.PutUint32(b[offPltime:], infiniteLifetime)
	return b, nil
}

func putName(b []byte, name string) error {
	var n [bsd.IfNameSize]byte
	if err := bsd.PutName(&n, name); err != nil {
		return err
	}
	copy(b, n[:])
	return nil
}

// DescrSize is IFDESCRSIZE: descriptions are at most 63 bytes and a NUL.
const DescrSize = 64
