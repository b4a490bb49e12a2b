package ifwg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// BSD socket address layouts (spec §2.7; sys/netinet/in.h, netinet6/in6.h).
const (
	sizeofSockaddrInet4 = 16
	sizeofSockaddrInet6 = 28
	afInet              = 2
	afInet6             = 28 // FreeBSD's AF_INET6
)

// EncodeSockaddr returns the struct sockaddr_in or sockaddr_in6 bytes for
// ap, with sa_len set, as if_wg stores them verbatim for a peer endpoint.
// IPv4 addresses use sockaddr_in; IPv6 (including IPv4-mapped) use
// sockaddr_in6, whose scope id comes from the zone: a number, or an
// interface name looked up on this host.
func EncodeSockaddr(ap netip.AddrPort) ([]byte, error) {
	a := ap.Addr()
	switch {
	case !ap.IsValid():
		return nil, errors.New("endpoint: invalid address")
	case a.Is4():
		b := make([]byte, sizeofSockaddrInet4)
		b[0], b[1] = sizeofSockaddrInet4, afInet
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		ip := a.As4()
		copy(b[4:8], ip[:])
		return b, nil
	}
	scope, err := scopeID(a.Zone())
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", ap, err)
	}
	b := make([]byte, sizeofSockaddrInet6)
	b[0], b[1] = sizeofSockaddrInet6, afInet6
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	ip := a.As16()
	copy(b[8:24], ip[:])
	// sin6_scope_id is a host-order u32; if_wg runs on the host.
	binary.NativeEndian.PutUint32(b[24:], scope)
	return b, nil
}

func scopeID(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("zone %q: %w", zone, err)
	}
	return uint32(ifi.Index), nil
}

// DecodeSockaddr parses an endpoint returned by SIOCGWG; order is the byte
// order of the reply (for sin6_scope_id). sa_len is not trusted: tools
// that leave it 0 exist, and if_wg echoes what it was given.
func DecodeSockaddr(b []byte, order binary.ByteOrder) (netip.AddrPort, error) {
	if len(b) < 2 {
		return netip.AddrPort{}, fmt.Errorf("endpoint: %d-byte sockaddr", len(b))
	}
	switch fam := b[1]; {
	case fam == afInet && len(b) == sizeofSockaddrInet4:
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	case fam == afInet6 && len(b) == sizeofSockaddrInet6:
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		if scope := order.Uint32(b[24:]); scope != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(scope), 10))
		}
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	default:
		return netip.AddrPort{}, fmt.Errorf("endpoint: %d-byte sockaddr with family %d", len(b), fam)
	}
}
