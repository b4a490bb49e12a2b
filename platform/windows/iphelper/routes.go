package iphelper

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
)

// Route is one route to install. LUID 0 means the tunnel adapter; an
// invalid NextHop means on-link.
// Routes get metric 0 (the interface metric still applies), as
// wireguard-windows does.
type Route struct {
	Prefix  netip.Prefix
	LUID    uint64
	NextHop netip.Addr
}

func (r Route) String() string {
	dev := "tunnel"
	if r.LUID != 0 {
		dev = fmt.Sprintf("luid %#x", r.LUID)
	}
	if r.NextHop.IsValid() && !r.NextHop.IsUnspecified() {
		return fmt.Sprintf("%s via %s dev %s", r.Prefix, r.NextHop, dev)
	}
	return fmt.Sprintf("%s dev %s", r.Prefix, dev)
}

// SystemRoute is a route of the system table as read before the tunnel's
// routes are added. Metric is the effective metric: the route's plus its
// interface's, which Windows compares between routes of equal prefix length.
type SystemRoute struct {
	Prefix  netip.Prefix
	LUID    uint64
	NextHop netip.Addr
	Metric  uint32
}

// RoutePlan is the outcome of PlanRoutes.
type RoutePlan struct {
	// Routes to add, longest prefix first, then by address.
	Routes []Route
	// FullTunnel4 and FullTunnel6 report a /0 taken over for that family;
	// the tunnel interface then gets metric 0 (see Settings).
	FullTunnel4, FullTunnel6 bool
	// Warnings explain endpoints that could not be protected from a loop.
	Warnings []string
}

// PlanRoutes plans the tunnel's routes for allowed IPs (the peers' union)
// and the peers' endpoint addresses, against the system table sys read
// before the tunnel's routes exist. tunnelLUID identifies routes of the
// tunnel itself in sys (ignored as underlay).
//
// Every allowed prefix becomes an on-link route on the tunnel (host bits
// cleared, duplicates dropped); a /0 becomes its two /1 halves, so the
// real default route stays in place for the underlay. An endpoint inside
// any planned route would send the encrypted packets into the tunnel
// itself; it gets a host route (/32, /128) copied from the best route sys
// has for it: longest prefix, then lowest metric. If sys has none, the
// endpoint is reported in Warnings.
func PlanRoutes(allowed []netip.Prefix, endpoints []netip.Addr, sys []SystemRoute, tunnelLUID uint64) RoutePlan {
	var p RoutePlan
	seen := map[netip.Prefix]bool{}
	add := func(pfx netip.Prefix) {
		if !seen[pfx] {
			seen[pfx] = true
			p.Routes = append(p.Routes, Route{Prefix: pfx})
		}
	}
	for _, a := range allowed {
		if !a.IsValid() {
			continue
		}
		a = normalize(a)
		if a.Bits() == 0 {
			if a.Addr().Is4() {
				p.FullTunnel4 = true
			} else {
				p.FullTunnel6 = true
			}
			lo, hi := halves(a.Addr().Is4())
			add(lo)
			add(hi)
			continue
		}
		add(a)
	}
	tunnel := slices.Clone(p.Routes)

	seenEP := map[netip.Addr]bool{}
	for _, ep := range endpoints {
		ep = ep.Unmap().WithZone("")
		if !ep.IsValid() || seenEP[ep] {
			continue
		}
		seenEP[ep] = true
		if !slices.ContainsFunc(tunnel, func(r Route) bool { return r.Prefix.Contains(ep) }) {
			continue
		}
		host := netip.PrefixFrom(ep, ep.BitLen())
		if seen[host] {
			// The endpoint's own address is an allowed IP: a host route
			// outside the tunnel would contradict the configuration.
			p.Warnings = append(p.Warnings, fmt.Sprintf("endpoint %s is itself in AllowedIPs: its packets would loop into the tunnel", ep))
			continue
		}
		via, ok := bestRoute(sys, ep, tunnelLUID)
		if !ok {
			p.Warnings = append(p.Warnings, fmt.Sprintf("endpoint %s has no route outside the tunnel: its packets would loop into the tunnel", ep))
			continue
		}
		p.Routes = append(p.Routes, Route{
			Prefix:  host,
			LUID:    via.LUID,
			NextHop: via.NextHop,
		})
	}
	sortRoutes(p.Routes)
	return p
}

// normalize clears host bits and turns an IPv4-mapped prefix of at least
// 96 bits into the IPv4 prefix it denotes.
func normalize(a netip.Prefix) netip.Prefix {
	if a.Addr().Is4In6() && a.Bits() >= 96 {
		a = netip.PrefixFrom(a.Addr().Unmap(), a.Bits()-96)
	}
	return a.Masked()
}

func halves(v4 bool) (netip.Prefix, netip.Prefix) {
	if v4 {
		return netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("128.0.0.0/1")
	}
	return netip.MustParsePrefix("::/1"), netip.MustParsePrefix("8000::/1")
}

// bestRoute is Windows' choice for dst among sys without the tunnel:
// longest prefix, then lowest effective metric.
func bestRoute(sys []SystemRoute, dst netip.Addr, tunnelLUID uint64) (SystemRoute, bool) {
	var best SystemRoute
	found := false
	for _, r := range sys {
		if r.LUID == tunnelLUID || !r.Prefix.Contains(dst) {
			continue
		}
		if !found || r.Prefix.Bits() > best.Prefix.Bits() ||
			r.Prefix.Bits() == best.Prefix.Bits() && r.Metric < best.Metric {
			best, found = r, true
		}
	}
	return best, found
}

func sortRoutes(rs []Route) {
	slices.SortStableFunc(rs, func(a, b Route) int {
		if c := cmp.Compare(b.Prefix.Bits(), a.Prefix.Bits()); c != 0 {
			return c
		}
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.LUID, b.LUID)
	})
}

// DiffRoutes returns what to delete and what to add to go from the routes
// of plan old to those of plan cur, for example after the default gateway
// changed. Routes in both are left alone.
func DiffRoutes(old, cur []Route) (del, add []Route) {
	for _, r := range old {
		if !slices.Contains(cur, r) {
			del = append(del, r)
		}
	}
	for _, r := range cur {
		if !slices.Contains(old, r) {
			add = append(add, r)
		}
	}
	return del, add
}
