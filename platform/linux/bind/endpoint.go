package bind

import (
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/wgshim/wgshim/core/conn"
)

// Endpoint is a remote UDP address plus the sticky source: the local
// address (and interface) the peer's last packet arrived on, used as the
// source of replies (protocol.md §10).
//
// Endpoints returned by a ReceiveFunc are shared: the bind keeps one per
// (remote, local address, interface) and hands the same pointer out for
// every packet of that flow, so receiving does not allocate. ClearSrc on a
// shared endpoint lasts until the next packet of the same flow arrives,
// which restores the source it carries, as a fresh endpoint would have it.
type Endpoint struct {
	dst   netip.AddrPort // Dst, with a numeric zone for scoped IPv6
	scope uint32         // sin6_scope_id for dst

	mu      sync.Mutex
	src     netip.Addr
	ifindex uint32
}

var _ conn.Endpoint = (*Endpoint)(nil)

// Dst returns the remote address.
func (e *Endpoint) Dst() netip.AddrPort { return e.dst }

// Src returns the sticky local address, or the zero Addr if none.
func (e *Endpoint) Src() netip.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.src
}

// SrcIfindex returns the interface the sticky source belongs to, 0 if none.
func (e *Endpoint) SrcIfindex() uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ifindex
}

// ClearSrc forgets the sticky source: replies use the kernel's choice.
func (e *Endpoint) ClearSrc() {
	e.mu.Lock()
	e.src, e.ifindex = netip.Addr{}, 0
	e.mu.Unlock()
}

// String returns the remote address as host:port.
func (e *Endpoint) String() string { return e.dst.String() }

func (e *Endpoint) source() (netip.Addr, uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.src, e.ifindex
}

// clearSrcIf forgets the sticky source only if it is still src, so that a
// send failing on an old source does not wipe a newer one.
func (e *Endpoint) clearSrcIf(src netip.Addr) {
	e.mu.Lock()
	if e.src == src {
		e.src, e.ifindex = netip.Addr{}, 0
	}
	e.mu.Unlock()
}

// newEndpoint returns an endpoint for dst, unmapping IPv4-mapped IPv6
// addresses (they leave through the IPv4 socket) and resolving a zone to a
// scope id.
func newEndpoint(dst netip.AddrPort) *Endpoint {
	addr := dst.Addr().Unmap()
	var scope uint32
	if z := dst.Addr().Zone(); z != "" && addr.Is6() {
		scope = zoneIndex(z)
	}
	return &Endpoint{dst: netip.AddrPortFrom(addr, dst.Port()), scope: scope}
}

// epKey identifies a received flow: who sent it and where it arrived.
type epKey struct {
	dst     netip.AddrPort // no zone
	scope   uint32
	src     netip.Addr
	ifindex uint32
}

// maxCachedEndpoints bounds the endpoint cache. Once full it is dropped and
// refilled, so spoofed sources cost allocations, never unbounded memory.
const maxCachedEndpoints = 1 << 14

// endpointCache maps received flows to shared endpoints.
type endpointCache struct {
	mu sync.RWMutex
	m  map[epKey]*Endpoint
}

// get returns the endpoint for a datagram from dst (with IPv6 scope)
// received on local address src, interface ifindex. It does not allocate
// once the flow is known.
func (c *endpointCache) get(dst netip.AddrPort, scope uint32, src netip.Addr, ifindex uint32) *Endpoint {
	k := epKey{dst: dst, scope: scope, src: src, ifindex: ifindex}
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e != nil {
		e.mu.Lock()
		if e.src != src || e.ifindex != ifindex {
			e.src, e.ifindex = src, ifindex
		}
		e.mu.Unlock()
		return e
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.m[k]; e != nil {
		return e
	}
	if c.m == nil || len(c.m) >= maxCachedEndpoints {
		c.m = make(map[epKey]*Endpoint)
	}
	d := dst
	if scope != 0 {
		d = netip.AddrPortFrom(dst.Addr().WithZone(strconv.FormatUint(uint64(scope), 10)), dst.Port())
	}
	e = &Endpoint{dst: d, scope: scope, src: src, ifindex: ifindex}
	c.m[k] = e
	return e
}

// zoneIndex maps an IPv6 zone (an interface name or a decimal index) to an
// interface index, 0 if unknown.
func zoneIndex(zone string) uint32 {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// reset drops all cached endpoints. Endpoints already handed out stay
// valid; later packets get new ones.
func (c *endpointCache) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
