package conn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// StdEndpoint is a remote UDP address for StdBind. It has no sticky source:
// Src always returns the zero Addr and ClearSrc does nothing.
//
// StdBind hands out shared *StdEndpoint values from a small cache, so an
// endpoint must be treated as immutable.
type StdEndpoint struct {
	AddrPort netip.AddrPort
}

// Dst returns the remote address.
func (e *StdEndpoint) Dst() netip.AddrPort { return e.AddrPort }

// Src returns the zero Addr: StdBind does not track source addresses.
func (e *StdEndpoint) Src() netip.Addr { return netip.Addr{} }

// ClearSrc does nothing.
func (e *StdEndpoint) ClearSrc() {}

// String returns the remote address as host:port.
func (e *StdEndpoint) String() string { return e.AddrPort.String() }

// stdMaxEndpoints bounds the endpoint cache. A flood of packets from
// spoofed sources only costs allocations once the cache is full, never
// unbounded memory.
const stdMaxEndpoints = 4096

// StdBind is a portable Bind on the net package: one IPv4 and one IPv6 UDP
// socket on the same port, one datagram per ReceiveFunc call and one write
// per datagram in Send. It has no sticky sources and no firewall marks.
type StdBind struct {
	mu sync.RWMutex // guards v4, v6 (the pointers, not their use)
	v4 *net.UDPConn
	v6 *net.UDPConn

	epMu sync.RWMutex
	eps  map[netip.AddrPort]*StdEndpoint
}

var _ Bind = (*StdBind)(nil)

// NewStdBind returns a closed StdBind.
func NewStdBind() Bind {
	return &StdBind{}
}

// errAlreadyOpen is returned by Open on an open bind.
var errAlreadyOpen = errors.New("conn: bind is already open")

// Open binds port on IPv4 and IPv6. With port 0 the IPv4 socket picks a
// port and the IPv6 socket binds the same number, retrying with a fresh
// port a few times if that number is taken for IPv6. If the host has no
// IPv6 (or no IPv4) the bind continues with the other family alone.
func (b *StdBind) Open(port uint16) ([]ReceiveFunc, uint16, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.v4 != nil || b.v6 != nil {
		return nil, 0, errAlreadyOpen
	}
	v4, v6, actual, err := listenPair(port)
	if err != nil {
		return nil, 0, err
	}
	b.v4, b.v6 = v4, v6
	var fns []ReceiveFunc
	if v4 != nil {
		fns = append(fns, b.makeReceive(v4))
	}
	if v6 != nil {
		fns = append(fns, b.makeReceive(v6))
	}
	return fns, actual, nil
}

// listenPair opens the two sockets; see Open.
func listenPair(port uint16) (v4, v6 *net.UDPConn, actual uint16, err error) {
	return ListenPair(port, func(v6 bool, port uint16) (*net.UDPConn, uint16, error) {
		network := "udp4"
		if v6 {
			network = "udp6"
		}
		c, err := net.ListenUDP(network, &net.UDPAddr{Port: int(port)})
		if err != nil {
			return nil, 0, fmt.Errorf("conn: listen %s port %d: %w", network, port, err)
		}
		return c, uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	})
}

func (b *StdBind) makeReceive(c *net.UDPConn) ReceiveFunc {
	return func(packets [][]byte, sizes []int, eps []Endpoint) (int, error) {
		n, ap, err := c.ReadFromUDPAddrPort(packets[0])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return 0, net.ErrClosed
			}
			return 0, fmt.Errorf("conn: receive: %w", err)
		}
		sizes[0] = n
		eps[0] = b.endpoint(ap)
		return 1, nil
	}
}

// endpoint returns the cached endpoint for ap, creating it if needed. It
// does not allocate once the peer's endpoint is cached.
func (b *StdBind) endpoint(ap netip.AddrPort) *StdEndpoint {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	b.epMu.RLock()
	ep := b.eps[ap]
	b.epMu.RUnlock()
	if ep != nil {
		return ep
	}
	b.epMu.Lock()
	defer b.epMu.Unlock()
	if ep = b.eps[ap]; ep != nil {
		return ep
	}
	if b.eps == nil || len(b.eps) >= stdMaxEndpoints {
		b.eps = make(map[netip.AddrPort]*StdEndpoint)
	}
	ep = &StdEndpoint{AddrPort: ap}
	b.eps[ap] = ep
	return ep
}

// Close closes both sockets. Blocked ReceiveFuncs return net.ErrClosed.
// Closing a closed bind is not an error.
func (b *StdBind) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	if b.v4 != nil {
		errs = append(errs, b.v4.Close())
	}
	if b.v6 != nil {
		errs = append(errs, b.v6.Close())
	}
	b.v4, b.v6 = nil, nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("conn: close: %w", err)
	}
	return nil
}

// SetMark returns errors.ErrUnsupported: the portable bind cannot set
// firewall marks; platform binds do.
func (b *StdBind) SetMark(mark uint32) error {
	return fmt.Errorf("conn: set mark %d: %w", mark, errors.ErrUnsupported)
}

// Send writes each bufs[i][offset:] as one datagram to ep.
func (b *StdBind) Send(bufs [][]byte, offset int, ep Endpoint) error {
	dst := ep.Dst()
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	b.mu.RLock()
	c := b.v6
	if dst.Addr().Is4() {
		c = b.v4
	}
	closed := b.v4 == nil && b.v6 == nil
	b.mu.RUnlock()
	if closed {
		return ErrBindClosed
	}
	if c == nil {
		return fmt.Errorf("conn: send to %v: no socket for this address family: %w", dst, errors.ErrUnsupported)
	}
	for _, buf := range bufs {
		if _, err := c.WriteToUDPAddrPort(buf[offset:], dst); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return ErrBindClosed
			}
			return fmt.Errorf("conn: send to %v: %w", dst, err)
		}
	}
	return nil
}

// Endpoint returns an endpoint for addr. IPv4-mapped IPv6 addresses are
// unmapped so that they go out of the IPv4 socket.
func (b *StdBind) Endpoint(addr netip.AddrPort) Endpoint {
	return &StdEndpoint{AddrPort: netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())}
}

// BatchSize returns 1: StdBind handles one datagram per receive.
func (b *StdBind) BatchSize() int { return 1 }
