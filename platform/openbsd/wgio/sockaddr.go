package wgio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// BSD socket address sizes (netinet/in.h, netinet6/in6.h).
const (
	sizeofSockaddrInet4 = 16
	sizeofSockaddrInet6 = 28
)

// putEndpoint writes ap into the 28-byte p_endpoint union b as a
// struct sockaddr_in or sockaddr_in6 with sa_len set: wg(4) copies the
// union verbatim and later sends with sa_len as the address length.
//
// IPv4-mapped IPv6 addresses are written as sockaddr_in: OpenBSD has no
// IPv4-mapped addresses on IPv6 sockets, so such an endpoint would never
// be reachable through the tunnel's IPv6 socket. An IPv6 zone becomes
// sin6_scope_id: a number, or an interface name looked up on this host.
func putEndpoint(b []byte, ap netip.AddrPort) error {
	clear(b[:sizeofEndpoint])
	a := ap.Addr()
	if !ap.IsValid() {
		return errors.New("endpoint: invalid address")
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		b[0], b[1] = sizeofSockaddrInet4, afInet
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		ip := a.As4()
		copy(b[4:8], ip[:])
		return nil
	}
	scope, err := scopeID(a.Zone())
	if err != nil {
		return fmt.Errorf("endpoint %s: %w", ap, err)
	}
	b[0], b[1] = sizeofSockaddrInet6, afInet6
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	// sin6_flowinfo at 4 stays 0.
	ip := a.As16()
	copy(b[8:24], ip[:])
	binary.NativeEndian.PutUint32(b[24:], scope)
	return nil
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

// endpoint reads a p_endpoint union reported by SIOCGWG. The family
// decides the layout; sa_len is not trusted (wg(4) echoes whatever the
// setter wrote).
func endpoint(b []byte) (netip.AddrPort, error) {
	switch fam := b[1]; fam {
	case afInet:
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	case afInet6:
		ip := netip.AddrFrom16([16]byte(b[8:24]))
		if scope := binary.NativeEndian.Uint32(b[24:]); scope != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(scope), 10))
		}
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), nil
	default:
		return netip.AddrPort{}, fmt.Errorf("endpoint: address family %d", fam)
	}
}
