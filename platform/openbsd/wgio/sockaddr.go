package wgio

import (
	"encoding/binary"
	"net/netip"

	"github.com/wgshim/wgshim/platform/bsd"
)

// BSD socket address sizes, shared with FreeBSD (platform/bsd).
const (
	sizeofSockaddrInet4 = bsd.SizeofSockaddrInet4
	sizeofSockaddrInet6 = bsd.SizeofSockaddrInet6
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
	if ap.Addr().Is4In6() {
		ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	_, err := bsd.PutEndpoint(b[:sizeofEndpoint], ap, afInet6)
	return err
}

// endpoint reads a p_endpoint union reported by SIOCGWG. The family
// decides the layout; sa_len is not trusted (wg(4) echoes whatever the
// setter wrote).
func endpoint(b []byte) (netip.AddrPort, error) {
	return bsd.ParseEndpoint(b[:sizeofEndpoint], afInet6, binary.NativeEndian)
}
