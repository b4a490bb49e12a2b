package bsd

import (
	"fmt"
	"net/netip"
	"strings"
)

// Route is one routing-table entry wg-quick adds or removes. Exactly one
// of Iface, Gateway and Blackhole says where traffic to Dst goes.
type Route struct {
	// Dst is the destination; a host route has all bits set (/32, /128).
	Dst netip.Prefix
	// Iface sends Dst out of this interface (`-interface IF`): the
	// gateway is the interface's link-level address (sockaddr_dl).
	Iface string
	// Gateway sends Dst to this router (`-gateway GW`, RTF_GATEWAY).
	Gateway netip.Addr
	// Blackhole discards traffic to Dst (RTF_BLACKHOLE; the gateway is
	// the loopback address, as route(8) requires one).
	Blackhole bool
	// Table is the FIB (FreeBSD `-fib N`) or routing table (OpenBSD
	// rtable); 0 is the default one.
	Table uint32
}

// IsHost reports whether r is a host route (RTF_HOST, no netmask).
func (r Route) IsHost() bool { return r.Dst.Bits() == r.Dst.Addr().BitLen() }

// Is6 reports whether r is an IPv6 route.
func (r Route) Is6() bool { return r.Dst.Addr().Is6() }

// Validate checks that r names a valid destination and exactly one way
// out, and that a gateway is of the destination's family.
func (r Route) Validate() error {
	if !r.Dst.IsValid() {
		return fmt.Errorf("route: invalid destination")
	}
	if r.Dst != r.Dst.Masked() {
		return fmt.Errorf("route %s: host bits set", r.Dst)
	}
	n := 0
	if r.Iface != "" {
		n++
	}
	if r.Gateway.IsValid() {
		n++
		if r.Gateway.Is6() != r.Is6() {
			return fmt.Errorf("route %s: gateway %s is of another family", r.Dst, r.Gateway)
		}
	}
	if r.Blackhole {
		n++
	}
	if n != 1 {
		return fmt.Errorf("route %s: needs exactly one of interface, gateway or blackhole", r.Dst)
	}
	return nil
}

// dstText is the destination as route(8) is given it by wg-quick: a bare
// address for host routes (endpoints), CIDR otherwise.
func (r Route) dstText() string {
	if r.IsHost() && (r.Gateway.IsValid() || r.Blackhole) {
		return r.Dst.Addr().String()
	}
	return r.Dst.String()
}

func (r Route) family() string {
	if r.Is6() {
		return "-inet6"
	}
	return "-inet"
}

// AddCommand is the FreeBSD route(8) command upstream wg-quick runs to add
// r, which wg-quick prints as "[#] ...":
//
//	route -q -n add -inet 0.0.0.0/1 -interface wg0
//	route -q -n add -inet -fib 5 10.0.0.0/24 -interface wg0
//	route -q -n add -inet 192.0.2.1 -gateway 198.51.100.1
//	route -q -n add -inet 192.0.2.1 127.0.0.1 -blackhole
func (r Route) AddCommand() string {
	var b strings.Builder
	b.WriteString("route -q -n add " + r.family())
	if r.Table != 0 {
		fmt.Fprintf(&b, " -fib %d", r.Table)
	}
	b.WriteString(" " + r.dstText())
	switch {
	case r.Iface != "":
		b.WriteString(" -interface " + r.Iface)
	case r.Gateway.IsValid():
		b.WriteString(" -gateway " + r.Gateway.String())
	case r.Blackhole:
		b.WriteString(" " + loopback(r.Is6()).String() + " -blackhole")
	}
	return b.String()
}

// DeleteCommand is the route(8) command that deletes r; a host route is
// named by its bare address, as upstream's del_routes does.
func (r Route) DeleteCommand() string {
	s := "route -q -n delete " + r.family()
	if r.Table != 0 {
		s += fmt.Sprintf(" -fib %d", r.Table)
	}
	dst := r.Dst.String()
	if r.IsHost() {
		dst = r.Dst.Addr().String()
	}
	return s + " " + dst
}

// String is AddCommand.
func (r Route) String() string { return r.AddCommand() }

// loopback is the gateway of a blackhole route.
func loopback(v6 bool) netip.Addr {
	if v6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// Gateways are the default routers of each family; an invalid Addr means
// there is no default route of that family (or only one through an
// interface, without a router address).
type Gateways struct {
	V4, V6 netip.Addr
}

// For returns the gateway of a's family.
func (g Gateways) For(a netip.Addr) netip.Addr {
	if a.Is4() {
		return g.V4
	}
	return g.V6
}

func (g Gateways) String() string {
	s := func(a netip.Addr) string {
		if !a.IsValid() {
			return "none"
		}
		return a.String()
	}
	return "v4 " + s(g.V4) + ", v6 " + s(g.V6)
}

// TableEntry is one row of a routing-table dump, as needed to find the
// default gateways and the routes through an interface.
type TableEntry struct {
	Dst netip.Prefix
	// Gateway is the router for RTF_GATEWAY routes; invalid for routes
	// whose gateway is a link (sockaddr_dl, "link#N").
	Gateway netip.Addr
	// Index is the interface the route goes out of.
	Index int
	Flags int
}

// DefaultGateways returns the first IPv4 and the first IPv6 default route's
// router in dump order, as upstream's collect_gateways takes the first
// "default" line of `netstat -nr -f inet|inet6`. A default route with no
// router address (through an interface: "link#N") gives no gateway, like
// macOS's wg-quick which skips link# gateways; on FreeBSD such a gateway
// would make `route add -gateway link#3` fail anyway.
func DefaultGateways(table []TableEntry) Gateways {
	var g Gateways
	seen4, seen6 := false, false
	for _, e := range table {
		if !e.Dst.IsValid() || e.Dst.Bits() != 0 {
			continue
		}
		gw := e.Gateway.Unmap()
		if e.Dst.Addr().Is4() && !seen4 {
			seen4 = true
			if gw.Is4() {
				g.V4 = gw
			}
		}
		if e.Dst.Addr().Is6() && !seen6 {
			seen6 = true
			if gw.Is6() {
				g.V6 = gw
			}
		}
	}
	return g
}
