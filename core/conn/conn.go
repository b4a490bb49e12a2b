// Package conn defines the UDP transport the engine sends WireGuard messages
// over. Platforms implement Bind; conntest has an in-memory one, and StdBind
// is a portable implementation on the standard library.
package conn

import (
	"errors"
	"net/netip"
)

// ReceiveFunc receives up to len(packets) datagrams. It stores each payload
// in packets[i][:sizes[i]] and its sender in eps[i], and returns how many it
// received. It returns net.ErrClosed once the Bind is closed.
type ReceiveFunc func(packets [][]byte, sizes []int, eps []Endpoint) (n int, err error)

// Bind is a set of UDP sockets listening on one port, IPv4 and IPv6.
//
// Concurrency: every method may be called concurrently. Open and Close
// serialise with each other; ReceiveFuncs from an earlier Open fail with
// net.ErrClosed after Close.
type Bind interface {
	// Open binds port (0 picks one) and returns one receive function per
	// socket and the port actually bound.
	Open(port uint16) (fns []ReceiveFunc, actualPort uint16, err error)

	// Close closes the sockets.
	Close() error

	// SetMark sets the firewall mark (SO_MARK on Linux) on the sockets.
	// It returns errors.ErrUnsupported where the OS has no such mark.
	SetMark(mark uint32) error

	// Send sends each bufs[i][offset:] as one datagram to ep. An
	// implementation may coalesce them (UDP GSO) and may use the headroom
	// before offset.
	Send(bufs [][]byte, offset int, ep Endpoint) error

	// Endpoint returns an Endpoint for the address, suitable for Send.
	Endpoint(addr netip.AddrPort) Endpoint

	// BatchSize is the number of datagrams Send and ReceiveFunc handle
	// efficiently in one call.
	BatchSize() int
}

// Endpoint is a remote UDP address, with the local source address that
// replies to it should use where the Bind supports sticky sources.
type Endpoint interface {
	// Dst is the remote address.
	Dst() netip.AddrPort
	// Src is the local address a packet from Dst arrived on, or the zero
	// Addr if unknown.
	Src() netip.Addr
	// ClearSrc forgets the sticky source address.
	ClearSrc()
}

// ErrBindClosed is returned by Send on a closed Bind.
var ErrBindClosed = errors.New("conn: bind is closed")
