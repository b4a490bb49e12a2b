package bsd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// Socket address families and sizes (sys/socket.h, netinet/in.h,
// netinet6/in6.h). AF_INET6 differs between the two systems.
const (
	AFInet         = 2
	AFInet6FreeBSD = 28
	AFInet6OpenBSD = 24

	SizeofSockaddrInet4 = 16 // struct sockaddr_in
	SizeofSockaddrInet6 = 28 // struct sockaddr_in6
)

// PutEndpoint writes ap into b as a struct sockaddr_in (for an IPv4
// address) or sockaddr_in6 (anything else, IPv4-mapped included) with
// sa_len set, as the WireGuard drivers of both systems store a peer's
// endpoint verbatim and send with sa_len as the address length. af6 is
// the system's AF_INET6. It returns the size written; b must hold
// SizeofSockaddrInet6 bytes, and the rest of it up to that size is zeroed.
// An IPv6 zone becomes sin6_scope_id (host byte order): a number, or an
// interface looked up by name on this host.
//
// Callers that want IPv4-mapped addresses sent over IPv4 (OpenBSD, which
// has no mapped addresses on IPv6 sockets) unmap ap first.
func PutEndpoint(b []byte, ap netip.AddrPort, af6 uint8) (int, error) {
	if len(b) < SizeofSockaddrInet6 {
		return 0, fmt.Errorf("endpoint: %d-byte buffer, need %d", len(b), SizeofSockaddrInet6)
	}
	clear(b[:SizeofSockaddrInet6])
	if !ap.IsValid() {
		return 0, errors.New("endpoint: invalid address")
	}
	a := ap.Addr()
	if a.Is4() {
		PutSockaddrInet4(b, a)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		return SizeofSockaddrInet4, nil
	}
	scope, err := endpointScope(a.Zone())
	if err != nil {
		return 0, fmt.Errorf("endpoint %s: %w", ap, err)
	}
	PutSockaddrInet6(b, a, af6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	binary.NativeEndian.PutUint32(b[24:], scope)
	return SizeofSockaddrInet6, nil
}

// PutSockaddrInet4 writes the IPv4 address a into b as a struct
// sockaddr_in with sa_len set, as interface address requests
// (SIOCAIFADDR, SIOCDIFADDR) carry addresses and netmasks: sin_len,
// sin_family and sin_addr. The port and sin_zero are left as they are
// (zero in a fresh request); b must hold SizeofSockaddrInet4 bytes.
func PutSockaddrInet4(b []byte, a netip.Addr) {
	b[0], b[1] = SizeofSockaddrInet4, AFInet
	ip := a.As4()
	copy(b[4:8], ip[:])
}

// PutSockaddrInet6 writes the IPv6 address a into b as a struct
// sockaddr_in6 of family af6 (the system's AF_INET6) with sa_len set:
// sin6_len, sin6_family and sin6_addr. The port, sin6_flowinfo and
// sin6_scope_id are left as they are; b must hold SizeofSockaddrInet6
// bytes.
func PutSockaddrInet6(b []byte, a netip.Addr, af6 uint8) {
	b[0], b[1] = SizeofSockaddrInet6, af6
	ip := a.As16()
	copy(b[8:24], ip[:])
}

func endpointScope(zone string) (uint32, error) {
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

// ParseEndpoint reads a sockaddr_in or sockaddr_in6 from the start of b,
// the family (AF_INET, or af6) deciding the layout; sa_len is not
// trusted, since the drivers echo whatever the setter wrote. order is
// the byte order of sin6_scope_id (the host's, for a reply from this
// kernel). A non-zero scope id becomes a numeric zone.
func ParseEndpoint(b []byte, af6 uint8, order binary.ByteOrder) (netip.AddrPort, error) {
	if len(b) < 2 {
		return netip.AddrPort{}, fmt.Errorf("endpoint: %d-byte sockaddr", len(b))
	}
	switch fam := b[1]; {
	case fam == AFInet && len(b) >= SizeofSockaddrInet4:
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	case fam == af6 && len(b) >= SizeofSockaddrInet6:
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		if scope := order.Uint32(b[24:]); scope != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(scope), 10))
		}
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	default:
		return netip.AddrPort{}, fmt.Errorf("endpoint: address family %d in a %d-byte sockaddr", fam, len(b))
	}
}
