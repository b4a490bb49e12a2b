package rtnl

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// kernelVM skips outside the kernel test VM (tests/kernel/run.sh sets
// WGSHIM_KERNEL_VM=1); inside it, a missing prerequisite fails.
func kernelVM(t *testing.T) {
	t.Helper()
	if os.Getenv("WGSHIM_KERNEL_VM") != "1" {
		t.Skip("skipping: needs the kernel test VM (WGSHIM_KERNEL_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("WGSHIM_KERNEL_VM=1 but not root")
	}
}

// TestKernelWireguardReadBack does on a real wireguard link everything
// wg-quick does through this package (MTU, v4 and v6 addresses, routes in
// main and in a numbered table, the two policy rules of a full tunnel) and
// checks that `ip -j` reads back exactly what we wrote and what we decode.
func TestKernelWireguardReadBack(t *testing.T) {
	kernelVM(t)
	n := newNetns(t)
	c := n.c
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const name, table = "wgrb0", 51820
	rulesBefore := map[Family][]Rule{}
	for _, f := range []Family{IPv4, IPv6} {
		r, err := c.Rules(f)
		must(err)
		rulesBefore[f] = r
	}

	must(c.CreateLink(name, "wireguard"))
	must(c.SetLinkMTU(name, 1372))
	must(c.SetLinkUp(name))
	l, err := c.LinkByName(name)
	must(err)

	// MTU and flags as ip link reports them.
	var links []ipLink
	n.ip(t, &links, "-d", "link", "show", "dev", name)
	if len(links) != 1 {
		t.Fatalf("ip link show dev %s: %d links", name, len(links))
	}
	if got, want := l, (Link{Index: links[0].Ifindex, Name: name, MTU: 1372, Kind: "wireguard", Flags: l.Flags}); got != want {
		t.Errorf("LinkByName = %+v, ip link says %+v", got, want)
	}
	if links[0].MTU != 1372 || links[0].Linkinfo.InfoKind != "wireguard" || !slices.Contains(links[0].Flags, "UP") {
		t.Errorf("ip link: mtu %d kind %q flags %v, want 1372 wireguard UP", links[0].MTU, links[0].Linkinfo.InfoKind, links[0].Flags)
	}

	// Addresses, v4 and v6.
	addrs := []netip.Prefix{
		netip.MustParsePrefix("10.66.0.2/24"),
		netip.MustParsePrefix("10.67.0.2/32"),
		netip.MustParsePrefix("fd66::2/64"),
		netip.MustParsePrefix("fd67::2/128"),
	}
	for _, p := range addrs {
		must(c.AddAddress(name, p))
	}
	checkAddrs := func(want []netip.Prefix) {
		t.Helper()
		var ip []ipLink
		n.ip(t, &ip, "addr", "show", "dev", name)
		var fromIP []netip.Prefix
		for _, a := range ip[0].AddrInfo {
			fromIP = append(fromIP, netip.PrefixFrom(netip.MustParseAddr(a.Local), a.Prefixlen))
		}
		got, err := c.Addresses(name)
		must(err)
		sort := cmpopts.SortSlices(func(a, b netip.Prefix) bool { return a.String() < b.String() })
		if diff := cmp.Diff(fromIP, got, sort, addrCmp[1]); diff != "" {
			t.Errorf("Addresses vs ip -j addr (-ip +ours):\n%s", diff)
		}
		// A wireguard link gets no link-local address: exactly ours.
		if diff := cmp.Diff(want, fromIP, sort, addrCmp[1]); diff != "" {
			t.Errorf("ip -j addr vs what we added (-added +ip):\n%s", diff)
		}
	}
	checkAddrs(addrs)

	// Routes in main and in the numbered table, both families.
	idx := l.Index
	routes := []Route{
		{Dst: netip.MustParsePrefix("10.70.0.0/16"), LinkIndex: idx},
		{Dst: netip.MustParsePrefix("10.71.0.0/24"), LinkIndex: idx, Metric: 20, MTU: 1300},
		{Dst: netip.MustParsePrefix("fd70::/48"), LinkIndex: idx},
		{Dst: netip.MustParsePrefix("fd71::/64"), LinkIndex: idx, Metric: 5, Protocol: ProtoStatic},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), LinkIndex: idx, Table: table},
		{Dst: netip.MustParsePrefix("::/0"), LinkIndex: idx, Table: table},
		{Dst: netip.MustParsePrefix("10.72.0.0/16"), LinkIndex: idx, Table: table, MTU: 1280},
	}
	for _, r := range routes {
		must(c.AddRoute(r))
	}
	checkRoutes := func(wantAdded []Route) {
		t.Helper()
		var fromIP []Route
		for _, fam := range []string{"-4", "-6"} {
			var ip []ipRoute
			n.ip(t, &ip, fam, "route", "show", "table", "all", "dev", name)
			for _, r := range ip {
				fromIP = append(fromIP, r.route(t, idx, fam == "-6"))
			}
		}
		all, err := c.Routes(FamilyAll, 0)
		must(err)
		var got []Route
		for _, r := range all {
			if r.LinkIndex == idx {
				got = append(got, r)
			}
		}
		key := func(r Route) string { return fmt.Sprintf("%v %v %d %d %d", r, r.PrefSrc, r.Protocol, r.Scope, r.Type) }
		sort := cmpopts.SortSlices(func(a, b Route) bool { return key(a) < key(b) })
		if diff := cmp.Diff(fromIP, got, append(addrCmp, sort)...); diff != "" {
			t.Errorf("Routes vs ip -j route show table all (-ip +ours):\n%s", diff)
		}
		// Every route we added is there with the defaults filled in.
		for _, w := range wantAdded {
			if w.Table == 0 {
				w.Table = TableMain
			}
			if w.Protocol == 0 {
				w.Protocol = ProtoBoot
			}
			w.Type = TypeUnicast
			w.Scope = ScopeLink
			if w.Metric == 0 && w.Dst.Addr().Is6() {
				w.Metric = 1024
			}
			if !slices.ContainsFunc(fromIP, func(r Route) bool {
				return r.Dst == w.Dst && r.Table == w.Table && r.Protocol == w.Protocol && r.Metric == w.Metric &&
					r.MTU == w.MTU && r.Type == w.Type && (w.Dst.Addr().Is6() || r.Scope == w.Scope)
			}) {
				t.Errorf("route %v (protocol %d scope %d) not in ip's list %v", w, w.Protocol, w.Scope, fromIP)
			}
		}
		if len(fromIP) < len(wantAdded) {
			t.Errorf("ip shows %d routes on %s, fewer than the %d added", len(fromIP), name, len(wantAdded))
		}
	}
	checkRoutes(routes)

	// The route lookups wg-quick makes for its MTU: through the numbered
	// table's default route only with the mark-less rule set, so here the
	// main table's routes.
	for _, tt := range []struct {
		dst string
		mtu int
	}{{"10.70.1.1", 1372}, {"10.71.0.9", 1300}, {"fd70::9", 1372}} {
		var ip []ipRoute
		n.ip(t, &ip, "route", "get", tt.dst)
		if len(ip) != 1 || ip[0].Dev != name {
			t.Fatalf("ip route get %s = %+v, want one route via %s", tt.dst, ip, name)
		}
		dst := netip.MustParseAddr(tt.dst)
		want := ip[0].route(t, idx, dst.Is6())
		got, err := c.RouteGet(dst)
		must(err)
		got2 := Route{Dst: got.Dst, LinkIndex: got.LinkIndex, PrefSrc: got.PrefSrc, Table: got.Table, MTU: got.MTU}
		want2 := Route{Dst: want.Dst, LinkIndex: want.LinkIndex, PrefSrc: want.PrefSrc, Table: want.Table, MTU: want.MTU}
		if diff := cmp.Diff(want2, got2, addrCmp...); diff != "" {
			t.Errorf("RouteGet(%s) vs ip route get (-ip +ours):\n%s", tt.dst, diff)
		}
		if mtu, err := c.RouteMTU(dst); err != nil || mtu != tt.mtu {
			t.Errorf("RouteMTU(%s) = %d, %v; want %d", tt.dst, mtu, err, tt.mtu)
		}
	}

	// wg-quick's two rules for a full tunnel, in its order, both families.
	for _, f := range []Family{IPv4, IPv6} {
		must(c.AddRule(Rule{Family: f, Invert: true, Mark: table, Table: table}))
		must(c.AddRule(Rule{Family: f, Table: TableMain, Suppress: true}))
		got, err := c.Rules(f)
		must(err)
		fromIP := n.ipRules(t, f)
		if diff := cmp.Diff(fromIP, got); diff != "" {
			t.Errorf("%v: Rules vs ip -j rule (-ip +ours):\n%s", f, diff)
		}
		want := append(slices.Clone(rulesBefore[f]),
			Rule{Family: f, Priority: 32764, Table: TableMain, Suppress: true, Action: ActionToTable},
			Rule{Family: f, Priority: 32765, Invert: true, Mark: table, Mask: 0xffffffff, Table: table, Action: ActionToTable})
		sortRules := cmpopts.SortSlices(func(a, b Rule) bool { return a.Priority < b.Priority })
		if diff := cmp.Diff(want, fromIP, sortRules); diff != "" {
			t.Errorf("%v: ip -j rule vs the expected wg-quick rules (-want +ip):\n%s", f, diff)
		}
	}

	// Take it all down again the way wg-quick does.
	for _, f := range []Family{IPv4, IPv6} {
		must(c.DeleteRule(Rule{Family: f, Table: table}))
		must(c.DeleteRule(Rule{Family: f, Table: TableMain, Suppress: true}))
		if diff := cmp.Diff(rulesBefore[f], n.ipRules(t, f)); diff != "" {
			t.Errorf("%v: ip rule after deleting ours (-before +after):\n%s", f, diff)
		}
	}
	must(c.DeleteRoute(routes[1]))
	must(c.DeleteRoute(routes[5]))
	must(c.DeleteAddress(name, addrs[1]))
	must(c.DeleteAddress(name, addrs[3]))
	checkAddrs([]netip.Prefix{addrs[0], addrs[2]})
	checkRoutes([]Route{routes[0], routes[2], routes[3], routes[4], routes[6]})
	must(c.DeleteLink(name))
	var left []ipRoute
	n.ip(t, &left, "route", "show", "table", "all")
	for _, r := range left {
		if r.Dev == name {
			t.Errorf("route %+v left after deleting the link", r)
		}
	}
}
