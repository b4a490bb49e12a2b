package bsd

import (
	"net/netip"
	"slices"
	"strings"
)

// PlanInput is what the routes of `wg-quick up` depend on.
type PlanInput struct {
	Iface string
	// Addresses are the interface's addresses (Address =); those with a
	// prefix shorter than a host route give the interface a connected
	// route.
	Addresses []netip.Prefix
	// AllowedIPs are the peers' allowed IPs, in any order, as `wg show
	// IF allowed-ips` would list them after `wg addconf` (masking and
	// de-duplication happen here).
	AllowedIPs []netip.Prefix
	// Endpoints are the peers' endpoint addresses, resolved.
	Endpoints []netip.Addr
	// TableOff is Table = off: no routes at all.
	TableOff bool
	// Table is Table = N, a FIB: every route goes there and a /0 is
	// routed as it is, without the split and the endpoint routes.
	Table uint32
	// Gateways are the default routers before the tunnel comes up.
	Gateways Gateways
}

// Plan is the routes `wg-quick up` adds, in order.
type Plan struct {
	// Routes are the allowed-IP routes via the interface, a /0 replaced
	// by its two /1 halves.
	Routes []Route
	// Auto4 and Auto6 record that the tunnel took over the default
	// route of that family (upstream's AUTO_ROUTE4/6).
	Auto4, Auto6 bool
	// Endpoints are the endpoint routes and the state the route monitor
	// starts from.
	Endpoints Endpoints
}

// All is Routes followed by the endpoint routes: everything to add.
func (p *Plan) All() []Route {
	return append(slices.Clone(p.Routes), p.Endpoints.Routes...)
}

// SortAllowedIPs returns the effective allowed IPs in upstream's order:
// masked, each once, by prefix length, longest first, ties by text,
// descending (`sort -nr -k 2 -t /` in the C locale).
func SortAllowedIPs(in []netip.Prefix) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	for _, a := range in {
		a = a.Masked()
		if a.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if a.Bits() != b.Bits() {
			return b.Bits() - a.Bits()
		}
		return strings.Compare(b.String(), a.String())
	})
	return out
}

// Halves are the two /1 routes that replace a default route: together
// they cover everything and beat the real default route by prefix length
// without touching it.
func Halves(v6 bool) [2]netip.Prefix {
	if v6 {
		return [2]netip.Prefix{netip.MustParsePrefix("::/1"), netip.MustParsePrefix("8000::/1")}
	}
	return [2]netip.Prefix{netip.MustParsePrefix("0.0.0.0/1"), netip.MustParsePrefix("128.0.0.0/1")}
}

// PlanRoutes is upstream FreeBSD wg-quick's add_route loop followed by
// set_endpoint_direct_route (spec wg-quick.md §7, freebsd.bash):
//
//   - Table = off: nothing.
//   - Table = N: every allowed IP, /0 included, via the interface in FIB N.
//   - Table = auto: a /0 becomes 0.0.0.0/1 + 128.0.0.0/1 (::/1 + 8000::/1)
//     via the interface; any other prefix is routed via the interface
//     unless the interface already has it (upstream asks `route -n get`;
//     here: an address's connected route equals the prefix, or contains
//     the host route). Then, for each family taken over, a host route per
//     endpoint via the old default gateway, or a blackhole when there is
//     none, so that the encrypted packets do not loop into the tunnel.
//
// Endpoints routed into the tunnel by a more specific allowed IP (a
// nested tunnel: the endpoint is only reachable through another peer)
// get no direct route, where upstream would add one that bypasses the
// tunnel they need.
func PlanRoutes(in PlanInput) Plan {
	var p Plan
	if in.TableOff {
		return p
	}
	allowed := SortAllowedIPs(in.AllowedIPs)
	var inside []netip.Prefix
	for _, a := range allowed {
		switch {
		case in.Table != 0:
			p.Routes = append(p.Routes, Route{Dst: a, Iface: in.Iface, Table: in.Table})
		case a.Bits() == 0:
			for _, h := range Halves(a.Addr().Is6()) {
				p.Routes = append(p.Routes, Route{Dst: h, Iface: in.Iface})
			}
			if a.Addr().Is6() {
				p.Auto6 = true
			} else {
				p.Auto4 = true
			}
		default:
			inside = append(inside, a)
			if !connected(in.Addresses, a) {
				p.Routes = append(p.Routes, Route{Dst: a, Iface: in.Iface})
			}
		}
	}
	p.Endpoints = Endpoints{Auto4: p.Auto4, Auto6: p.Auto6, Inside: inside}
	if p.Auto4 || p.Auto6 {
		p.Endpoints, _ = p.Endpoints.Reconcile(in.Gateways, in.Endpoints)
	}
	return p
}

// connected reports whether an interface address gives the interface a
// route that `route -n get PREFIX` resolves to it: the address's prefix
// route equals a, or contains a when a is a host route.
func connected(addrs []netip.Prefix, a netip.Prefix) bool {
	for _, ad := range addrs {
		if ad.Bits() == ad.Addr().BitLen() || ad.Addr().Is4() != a.Addr().Is4() {
			continue
		}
		if ad.Masked() == a {
			return true
		}
		if a.Bits() == a.Addr().BitLen() && ad.Contains(a.Addr()) {
			return true
		}
	}
	return false
}

// Endpoints is the route monitor's state: the endpoint routes installed
// and the gateways they were installed for.
type Endpoints struct {
	// Auto4 and Auto6: the families whose default route the tunnel took
	// over; endpoints of other families get no route.
	Auto4, Auto6 bool
	// Inside are the tunnel's specific (non-default) allowed IPs;
	// endpoints within them get no direct route.
	Inside []netip.Prefix
	// Gateways are those the routes below go through.
	Gateways Gateways
	// Routes are the endpoint routes installed, one per endpoint.
	Routes []Route
}

// Changes are the routes to delete and then add.
type Changes struct {
	Delete, Add []Route
}

// Empty reports whether there is nothing to do.
func (c Changes) Empty() bool { return len(c.Delete) == 0 && len(c.Add) == 0 }

// Reconcile returns the state for gateways gw and endpoint addresses eps,
// and the changes from e to it, as set_endpoint_direct_route decides
// after every routing-socket message:
//
//   - a gateway of either family changed: delete every endpoint route
//     and add them all again through the new gateways;
//   - otherwise delete the routes of endpoints that went away and add
//     routes for new ones; routes of endpoints still present stay.
//
// An endpoint whose family's default route is not taken over, or that
// lies inside the tunnel, gets no route. With no gateway for its family
// the route is a blackhole: dropping is better than a routing loop.
func (e Endpoints) Reconcile(gw Gateways, eps []netip.Addr) (Endpoints, Changes) {
	next := e
	next.Gateways = gw
	next.Routes = nil
	want := e.wanted(gw, eps)
	var ch Changes
	if gw != e.Gateways {
		ch.Delete = slices.Clone(e.Routes)
		ch.Add = want
		next.Routes = slices.Clone(want)
		return next, ch
	}
	have := map[netip.Prefix]Route{}
	for _, r := range e.Routes {
		have[r.Dst] = r
	}
	keep := map[netip.Prefix]bool{}
	for _, r := range want {
		keep[r.Dst] = true
		if old, ok := have[r.Dst]; ok {
			next.Routes = append(next.Routes, old)
			continue
		}
		ch.Add = append(ch.Add, r)
		next.Routes = append(next.Routes, r)
	}
	for _, r := range e.Routes {
		if !keep[r.Dst] {
			ch.Delete = append(ch.Delete, r)
		}
	}
	return next, ch
}

// wanted is the endpoint route of every endpoint that needs one, each
// address once, in the order given.
func (e Endpoints) wanted(gw Gateways, eps []netip.Addr) []Route {
	var out []Route
	seen := map[netip.Addr]bool{}
	for _, a := range eps {
		a = a.Unmap().WithZone("")
		if !a.IsValid() || seen[a] || a.IsUnspecified() {
			continue
		}
		seen[a] = true
		if a.Is4() && !e.Auto4 || a.Is6() && !e.Auto6 || e.inside(a) {
			continue
		}
		r := Route{Dst: netip.PrefixFrom(a, a.BitLen())}
		if g := gw.For(a); g.IsValid() {
			r.Gateway = g
		} else {
			r.Blackhole = true
		}
		out = append(out, r)
	}
	return out
}

func (e Endpoints) inside(a netip.Addr) bool {
	for _, p := range e.Inside {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Cleanup is what the monitor's exit trap deletes: every endpoint route.
// The routes via the interface go away with the interface itself.
func (e Endpoints) Cleanup() []Route { return slices.Clone(e.Routes) }
