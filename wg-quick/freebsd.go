package wgquick

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/bsd"
	"github.com/wgshim/wgshim/platform/freebsd"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// This file is the FreeBSD planner: freebsd.bash's cmd_up and cmd_down
// as pure functions (spec wg-quick.md §4.3, §5, §7, §8), built from the
// platform/bsd route planning and the platform/freebsd quirks. Each op's
// Display is upstream's command. Routes through the interface are
// AddRoute ops; an endpoint route goes through a router, which Op cannot
// carry, so it is an Exec op whose single Cmd is upstream's route(8)
// argv: a FreeBSD executor performs those with platform/bsd (ParseRouteArgs
// reads them back) rather than running route(8).

// FreeBSDFacts is what the FreeBSD plan depends on besides the
// configuration.
type FreeBSDFacts struct {
	Iface string

	// up
	LinkExists bool
	// EndpointMTUs are the MTUs of the interfaces towards each endpoint
	// (`route -n get` then `ifconfig`); the largest wins on BSD.
	EndpointMTUs []int
	// DefaultMTU is the MTU of the default route's interface, 0 if none.
	DefaultMTU int
	// Gateways are the default routers before the tunnel comes up.
	Gateways bsd.Gateways
	// FIBs is sysctl net.fibs (0 if unknown).
	FIBs int

	// down
	IsWireGuard bool
	// Userspace: IFACE is a userspace daemon's (its socket exists), so
	// down removes the socket rather than destroying the interface.
	Userspace bool
}

// FreeBSDPlan is a FreeBSD `up` plan: the steps, the warnings to print
// first, and the state the route monitor starts from.
type FreeBSDPlan struct {
	Ops      []Op
	Warnings []string
	// Monitor is non-nil when a default route was taken over: the route
	// monitor (bsd.RunMonitor) keeps the endpoint routes up to date from
	// this state until the interface goes away.
	Monitor *bsd.Endpoints
}

// PlanUpFreeBSD returns the steps of `wg-quick up` for c on FreeBSD. wc is
// c.WGConfig (endpoints resolved).
func PlanUpFreeBSD(c *config.Config, wc *wgtypes.Config, f *FreeBSDFacts) (*FreeBSDPlan, error) {
	iface := f.Iface
	if f.LinkExists {
		return nil, errAlreadyExists(iface)
	}
	in := &c.Interface
	tableText, tablePos := "", config.Pos{}
	if in.Table != nil {
		tableText, tablePos = in.Table.V.String(), in.Table.Pos
	}
	fib, _, off, err := freebsd.ParseTable(tableText, f.FIBs)
	if err != nil {
		return nil, &PlanError{Pos: tablePos, Msg: err.Error()}
	}
	var allowed []netip.Prefix
	var endpoints []netip.Addr
	keys := freebsd.Keys{Iface: iface, Table: tableText}
	if wc.FirewallMark != nil {
		keys.FwMark = *wc.FirewallMark
	}
	for _, p := range wc.Peers {
		allowed = append(allowed, p.AllowedIPs...)
		if p.Endpoint != nil {
			endpoints = append(endpoints, p.Endpoint.Addr())
		}
		for _, a := range p.AllowedIPs {
			if a.Bits() == 0 {
				keys.Default4 = keys.Default4 || a.Addr().Is4()
				keys.Default6 = keys.Default6 || a.Addr().Is6()
			}
		}
	}
	p := &FreeBSDPlan{Warnings: freebsd.Warnings(keys)}

	del := Op{Kind: DeleteLink, Iface: iface, Display: "ifconfig " + iface + " destroy"}
	p.Ops = append(p.Ops, Op{Kind: CreateLink, Iface: iface, Display: "ifconfig wg create name " + iface, Undo: &del})
	p.Ops = append(p.Ops, opHooks(iface, in.PreUp)...)
	p.Ops = append(p.Ops, Op{Kind: SetConfig, Iface: iface, Display: "wg addconf " + iface + " /dev/stdin", Config: wc})
	var addrs []netip.Prefix
	for _, a := range in.Address {
		fam := "inet"
		if a.V.Addr().Is6() {
			fam = "inet6"
		}
		addrs = append(addrs, a.V)
		// No undo: destroying the interface removes its addresses.
		p.Ops = append(p.Ops, Op{Kind: AddAddress, Iface: iface, Prefix: a.V, Pos: a.Pos,
			Display: fmt.Sprintf("ifconfig %s %s %s alias", iface, fam, a.V)})
	}
	mtu, mtuPos := planMTU(in, detectMTUBSD(f))
	p.Ops = append(p.Ops, Op{Kind: SetMTUUp, Iface: iface, MTU: mtu, Pos: mtuPos,
		Display: fmt.Sprintf("ifconfig %s mtu %d up", iface, mtu)})

	if len(in.DNS) > 0 {
		servers := make([]netip.Addr, len(in.DNS))
		for i, d := range in.DNS {
			servers[i] = d.V
		}
		search := make([]string, len(in.DNSSearch))
		for i, d := range in.DNSSearch {
			search[i] = d.V
		}
		args, stdin := freebsd.SetDNS(iface, servers, search)
		unset := freebsd.UnsetDNS(iface)
		undo := opExec(iface, strings.Join(unset, " "), Cmd{Args: unset})
		op := opExec(iface, strings.Join(args, " "), Cmd{Args: args, Stdin: stdin})
		op.Pos, op.Undo = in.DNS[0].Pos, &undo
		p.Ops = append(p.Ops, op)
	}

	routes := bsd.PlanRoutes(bsd.PlanInput{
		Iface: iface, Addresses: addrs, AllowedIPs: allowed, Endpoints: endpoints,
		TableOff: off, Table: fib, Gateways: f.Gateways,
	})
	for _, r := range routes.Routes {
		// No undo: routes through the interface go with it.
		p.Ops = append(p.Ops, Op{Kind: AddRoute, Iface: iface, Prefix: r.Dst, Table: r.Table,
			Pos: allowedPos(c, r.Dst), Display: r.AddCommand()})
	}
	for _, r := range routes.Endpoints.Routes {
		undo := opExec(iface, r.DeleteCommand(), Cmd{Args: strings.Fields(r.DeleteCommand())})
		op := opExec(iface, r.AddCommand(), Cmd{Args: strings.Fields(r.AddCommand())})
		op.Undo = &undo
		p.Ops = append(p.Ops, op)
	}
	if routes.Auto4 || routes.Auto6 {
		st := routes.Endpoints
		p.Monitor = &st
	}
	p.Ops = append(p.Ops, opHooks(iface, in.PostUp)...)
	return p, nil
}

// detectMTUBSD is set_mtu without MTU on the BSDs: the largest MTU of the
// interfaces towards the endpoints, else the default route's, else 1500;
// minus 80.
func detectMTUBSD(f *FreeBSDFacts) int {
	mtu := 0
	for _, m := range f.EndpointMTUs {
		mtu = max(mtu, m)
	}
	if mtu == 0 {
		mtu = f.DefaultMTU
	}
	if mtu <= 0 {
		mtu = 1500
	}
	return mtu - mtuOverhead
}

// PlanDownFreeBSD returns the steps of `wg-quick down` on FreeBSD. The
// endpoint routes are not here: the route monitor deletes them when it
// sees the interface go.
func PlanDownFreeBSD(c *config.Config, f *FreeBSDFacts) ([]Op, error) {
	iface := f.Iface
	if !f.IsWireGuard {
		return nil, errNotWireGuard(iface)
	}
	in := &c.Interface
	plan := downHead(c, iface)
	display := "ifconfig " + iface + " destroy"
	if f.Userspace {
		display = "rm -f /var/run/wireguard/" + iface + ".sock"
	}
	plan = append(plan, Op{Kind: DeleteLink, Iface: iface, Display: display})
	if len(in.DNS) > 0 {
		unset := freebsd.UnsetDNS(iface)
		op := opExec(iface, strings.Join(unset, " "), Cmd{Args: unset})
		op.BestEffort = true
		plan = append(plan, op)
	}
	return append(plan, opHooks(iface, in.PostDown)...), nil
}

// ParseRouteArgs reads back the route(8) argv of an endpoint-route Exec
// op of PlanUpFreeBSD, so that an executor can perform it through the
// routing socket; add is false for a delete.
func ParseRouteArgs(args []string) (r bsd.Route, add bool, err error) {
	bad := fmt.Errorf("not a wg-quick route command: %q", strings.Join(args, " "))
	if len(args) < 6 || args[0] != "route" || args[1] != "-q" || args[2] != "-n" {
		return r, false, bad
	}
	switch args[3] {
	case "add":
		add = true
	case "delete":
	default:
		return r, false, bad
	}
	rest := args[5:]
	if len(rest) >= 2 && rest[0] == "-fib" {
		var n uint32
		if _, err := fmt.Sscan(rest[1], &n); err != nil {
			return r, false, bad
		}
		r.Table, rest = n, rest[2:]
	}
	if len(rest) == 0 {
		return r, false, bad
	}
	if r.Dst, err = netip.ParsePrefix(rest[0]); err != nil {
		a, aerr := netip.ParseAddr(rest[0])
		if aerr != nil {
			return r, false, bad
		}
		r.Dst, err = netip.PrefixFrom(a, a.BitLen()), nil
	}
	if (args[4] == "-inet6") != r.Dst.Addr().Is6() || args[4] != "-inet" && args[4] != "-inet6" {
		return r, false, bad
	}
	switch rest = rest[1:]; {
	case !add && len(rest) == 0:
	case len(rest) == 2 && rest[0] == "-interface":
		r.Iface = rest[1]
	case len(rest) == 2 && rest[0] == "-gateway":
		if r.Gateway, err = netip.ParseAddr(rest[1]); err != nil {
			return r, false, bad
		}
	case len(rest) == 2 && rest[1] == "-blackhole":
		r.Blackhole = true
	default:
		return r, false, bad
	}
	if add {
		if err := r.Validate(); err != nil {
			return r, false, err
		}
	}
	return r, add, nil
}
