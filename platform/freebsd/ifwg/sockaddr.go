package ifwg

import (
	"encoding/binary"
	"net/netip"

	"github.com/wgshim/wgshim/platform/bsd"
)

// EncodeSockaddr returns the struct sockaddr_in or sockaddr_in6 bytes for
// ap, with sa_len set, as if_wg stores them verbatim for a peer endpoint
// (spec §2.7). The layout is shared with OpenBSD; only AF_INET6 differs.
func EncodeSockaddr(ap netip.AddrPort) ([]byte, error) {
	var b [bsd.SizeofSockaddrInet6]byte
	n, err := bsd.PutEndpoint(b[:], ap, bsd.AFInet6FreeBSD)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b[:n]...), nil
}

// DecodeSockaddr parses an endpoint returned by SIOCGWG; order is the byte
// order of the reply (for sin6_scope_id).
func DecodeSockaddr(b []byte, order binary.ByteOrder) (netip.AddrPort, error) {
	return bsd.ParseEndpoint(b, bsd.AFInet6FreeBSD, order)
}
