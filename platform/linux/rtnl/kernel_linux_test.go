package rtnl

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The tests in this file change a real kernel's tables, each in its own
// network namespace, and compare what our decoders report with what
// iproute2 (`ip -j`) reports.

type ipLink struct {
	Ifindex  int      `json:"ifindex"`
	Ifname   string   `json:"ifname"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	Linkinfo struct {
		InfoKind string `json:"info_kind"`
	} `json:"linkinfo"`
	AddrInfo []struct {
		Local     string `json:"local"`
		Prefixlen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func TestNetnsLink(t *testing.T) {
	n := newNetns(t)
	c := n.c
	l := n.testLink(t, "rt0")

	if err := c.CreateLink("rt0", l.Kind); !errors.Is(err, os.ErrExist) {
		t.Errorf("second CreateLink: err = %v, want os.ErrExist", err)
	}
	err := c.CreateLink("rt1", "nosuchkind")
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("CreateLink of unknown kind: err = %v, want errors.ErrUnsupported", err)
	} else if want := "create link: rt1 type nosuchkind: operation not supported"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want prefix %q", err, want)
	}
	if err := c.CreateLink("0123456789abcdef", l.Kind); err == nil || !strings.Contains(err.Error(), "1 to 15 bytes") {
		t.Errorf("CreateLink with a 16-byte name: err = %v", err)
	}

	check := func(wantUp bool, wantMTU int) {
		t.Helper()
		var ip []ipLink
		n.ip(t, &ip, "-d", "link", "show", "dev", "rt0")
		if len(ip) != 1 {
			t.Fatalf("ip link show: %d links", len(ip))
		}
		got, err := c.LinkByName("rt0")
		if err != nil {
			t.Fatal(err)
		}
		want := Link{Index: ip[0].Ifindex, Name: ip[0].Ifname, MTU: ip[0].MTU, Kind: ip[0].Linkinfo.InfoKind, Flags: got.Flags}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LinkByName vs ip link (-ip +ours):\n%s", diff)
		}
		if ipUp := slices.Contains(ip[0].Flags, "UP"); got.Up() != ipUp || ipUp != wantUp {
			t.Errorf("Up() = %v, ip flags %v, want up=%v", got.Up(), ip[0].Flags, wantUp)
		}
		if got.MTU != wantMTU {
			t.Errorf("MTU = %d, want %d", got.MTU, wantMTU)
		}
		byIndex, err := c.LinkByIndex(got.Index)
		if err != nil || byIndex != got {
			t.Errorf("LinkByIndex(%d) = %+v, %v; want %+v", got.Index, byIndex, err, got)
		}
	}
	check(false, l.MTU)
	if err := c.SetLinkMTU("rt0", 1380); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLinkUp("rt0"); err != nil {
		t.Fatal(err)
	}
	check(true, 1380)
	if err := c.SetLinkDown("rt0"); err != nil {
		t.Fatal(err)
	}
	check(false, 1380)
	if err := c.SetLinkMTU("rt0", 0); err == nil {
		t.Error("SetLinkMTU(0) succeeded")
	}

	var ip []ipLink
	n.ip(t, &ip, "-d", "link", "show")
	links, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []Link
	for _, l := range ip {
		want = append(want, Link{Index: l.Ifindex, Name: l.Ifname, MTU: l.MTU, Kind: l.Linkinfo.InfoKind})
	}
	for _, l := range links {
		l.Flags = 0
		got = append(got, l)
	}
	if len(want) < 2 {
		t.Errorf("ip link shows %d links, want lo and rt0", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Links vs ip link (-ip +ours):\n%s", diff)
	}

	if err := c.DeleteLink("rt0"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LinkByName("rt0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LinkByName after delete: err = %v, want os.ErrNotExist", err)
	}
	if err := c.DeleteLink("rt0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("second DeleteLink: err = %v, want os.ErrNotExist", err)
	}
	if err := c.SetLinkUp("rt0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SetLinkUp of a missing link: err = %v, want os.ErrNotExist", err)
	}
	if _, err := c.LinkByIndex(9999); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LinkByIndex(9999): err = %v, want os.ErrNotExist", err)
	}
}

func TestNetnsAddresses(t *testing.T) {
	n := newNetns(t)
	c := n.c
	n.testLink(t, "rt0")
	add := []netip.Prefix{
		netip.MustParsePrefix("10.9.0.1/24"),
		netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("fd00::1/64"),
		netip.MustParsePrefix("fd01::2/128"),
	}
	for _, p := range add {
		if err := c.AddAddress("rt0", p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.AddAddress("rt0", add[0]); !errors.Is(err, os.ErrExist) {
		t.Errorf("duplicate AddAddress: err = %v, want os.ErrExist", err)
	}
	if err := c.AddAddress("nope0", add[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("AddAddress on a missing link: err = %v, want os.ErrNotExist", err)
	}

	compare := func(want []netip.Prefix) {
		t.Helper()
		var ip []ipLink
		n.ip(t, &ip, "address", "show", "dev", "rt0")
		var fromIP []netip.Prefix
		for _, a := range ip[0].AddrInfo {
			fromIP = append(fromIP, netip.PrefixFrom(netip.MustParseAddr(a.Local), a.Prefixlen))
		}
		got, err := c.Addresses("rt0")
		if err != nil {
			t.Fatal(err)
		}
		sort := cmpopts.SortSlices(func(a, b netip.Prefix) bool { return a.String() < b.String() })
		if diff := cmp.Diff(fromIP, got, sort, addrCmp[1]); diff != "" {
			t.Errorf("Addresses vs ip address (-ip +ours):\n%s", diff)
		}
		if diff := cmp.Diff(want, got, sort, addrCmp[1]); diff != "" {
			t.Errorf("Addresses (-want +got):\n%s", diff)
		}
	}
	compare(add)
	if err := c.DeleteAddress("rt0", add[2]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteAddress("rt0", add[0]); err != nil {
		t.Fatal(err)
	}
	compare([]netip.Prefix{add[1], add[3]})
	if err := c.DeleteAddress("rt0", add[0]); err == nil {
		t.Error("deleting a missing address succeeded")
	}
	if _, err := c.Addresses("nope0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Addresses of a missing link: err = %v", err)
	}
}

type ipRoute struct {
	Type     string           `json:"type"`
	Dst      string           `json:"dst"`
	Gateway  string           `json:"gateway"`
	Dev      string           `json:"dev"`
	Table    string           `json:"table"`
	Protocol string           `json:"protocol"`
	Scope    string           `json:"scope"`
	Prefsrc  string           `json:"prefsrc"`
	Metric   uint32           `json:"metric"`
	Metrics  []map[string]any `json:"metrics"`
}

// route converts `ip -N -j route` output, which leaves out fields that
// have their default value (table main, protocol boot, scope universe,
// type unicast, metric 0).
func (r ipRoute) route(t *testing.T, index int, v6 bool) Route {
	t.Helper()
	num := func(s string, def uint64) uint64 {
		if s == "" {
			return def
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			t.Fatalf("ip route: %q: %v", s, err)
		}
		return v
	}
	out := Route{
		LinkIndex: index,
		Table:     uint32(num(r.Table, TableMain)),
		Protocol:  uint8(num(r.Protocol, ProtoBoot)),
		Scope:     uint8(num(r.Scope, ScopeUniverse)),
		Type:      uint8(num(r.Type, TypeUnicast)),
		Metric:    r.Metric,
	}
	switch {
	case r.Dst == "default" && v6:
		out.Dst = netip.MustParsePrefix("::/0")
	case r.Dst == "default":
		out.Dst = netip.MustParsePrefix("0.0.0.0/0")
	case strings.Contains(r.Dst, "/"):
		out.Dst = netip.MustParsePrefix(r.Dst)
	default:
		a := netip.MustParseAddr(r.Dst)
		out.Dst = netip.PrefixFrom(a, a.BitLen())
	}
	if r.Gateway != "" {
		out.Gateway = netip.MustParseAddr(r.Gateway)
	}
	if r.Prefsrc != "" {
		out.PrefSrc = netip.MustParseAddr(r.Prefsrc)
	}
	for _, m := range r.Metrics {
		if v, ok := m["mtu"].(float64); ok {
			out.MTU = uint32(v)
		}
	}
	return out
}

func TestNetnsRoutes(t *testing.T) {
	n := newNetns(t)
	c := n.c
	l := n.testLink(t, "rt0")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.SetLinkMTU("rt0", 1450))
	must(c.SetLinkUp("rt0"))
	must(c.AddAddress("rt0", netip.MustParsePrefix("10.9.0.1/24")))
	must(c.AddAddress("rt0", netip.MustParsePrefix("fd00::1/64")))

	idx := l.Index
	routes := []Route{
		{Dst: netip.MustParsePrefix("10.20.0.0/16"), LinkIndex: idx},
		{Dst: netip.MustParsePrefix("10.30.0.0/16"), LinkIndex: idx, Table: 100},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), LinkIndex: idx, Table: 51820},
		{Dst: netip.MustParsePrefix("::/0"), LinkIndex: idx, Table: 51820},
		{Dst: netip.MustParsePrefix("fd10::/64"), LinkIndex: idx, Metric: 42, Protocol: ProtoStatic},
		{Dst: netip.MustParsePrefix("10.40.0.0/16"), Gateway: netip.MustParseAddr("10.9.0.254"), LinkIndex: idx, MTU: 1400},
		{Dst: netip.MustParsePrefix("192.0.2.0/24"), Gateway: netip.MustParseAddr("10.9.0.254"), LinkIndex: idx, Table: 200, Metric: 7},
		{Dst: netip.MustParsePrefix("fd20::/48"), Gateway: netip.MustParseAddr("fd00::fe"), LinkIndex: idx, Table: 300, MTU: 1300},
		{Dst: netip.MustParsePrefix("198.51.100.0/24"), Type: TypeBlackhole, Table: 100},
	}
	for _, r := range routes {
		must(c.AddRoute(r))
	}
	if err := c.AddRoute(routes[1]); !errors.Is(err, os.ErrExist) {
		t.Errorf("duplicate AddRoute: err = %v, want os.ErrExist", err)
	}

	compare := func() {
		t.Helper()
		var want []Route
		for _, fam := range []string{"-4", "-6"} {
			var ip []ipRoute
			n.ip(t, &ip, fam, "route", "show", "table", "all")
			for _, r := range ip {
				i := 0
				if r.Dev == "rt0" {
					i = idx
				} else if r.Dev != "" {
					continue // lo is down: nothing expected, but be safe
				}
				want = append(want, r.route(t, i, fam == "-6"))
			}
		}
		all, err := c.Routes(FamilyAll, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []Route
		for _, r := range all {
			if r.LinkIndex == idx || r.LinkIndex == 0 {
				got = append(got, r)
			}
		}
		key := func(r Route) string { return fmt.Sprintf("%v %v %d %d", r, r.PrefSrc, r.Protocol, r.Scope) }
		sort := cmpopts.SortSlices(func(a, b Route) bool { return key(a) < key(b) })
		if diff := cmp.Diff(want, got, append(addrCmp, sort)...); diff != "" {
			t.Errorf("Routes vs ip route show table all (-ip +ours):\n%s", diff)
		}
		if len(want) < len(routes) {
			t.Errorf("ip shows %d routes, fewer than the %d added", len(want), len(routes))
		}
	}
	compare()

	// Filtering by family and table.
	v6, err := c.Routes(IPv6, 51820)
	if err != nil {
		t.Fatal(err)
	}
	if len(v6) != 1 || v6[0].Dst != netip.MustParsePrefix("::/0") || v6[0].LinkIndex != idx {
		t.Errorf("Routes(IPv6, 51820) = %v, want only ::/0 dev #%d", v6, idx)
	}

	// Deleting: zero Protocol/Scope/Type match anything.
	must(c.DeleteRoute(Route{Dst: netip.MustParsePrefix("10.30.0.0/16"), Table: 100}))
	must(c.DeleteRoute(Route{Dst: netip.MustParsePrefix("fd10::/64"), LinkIndex: idx}))
	if err := c.DeleteRoute(Route{Dst: netip.MustParsePrefix("10.30.0.0/16"), Table: 100}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("deleting a missing IPv4 route: err = %v, want os.ErrNotExist", err)
	}
	if err := c.DeleteRoute(Route{Dst: netip.MustParsePrefix("fd10::/64"), LinkIndex: idx}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("deleting a missing IPv6 route: err = %v, want os.ErrNotExist", err)
	}
	compare()

	// ip route get, and wg-quick's MTU rule.
	for _, tt := range []struct {
		dst     string
		wantMTU int
	}{
		{"10.20.1.1", 1450}, // device route: the link's MTU
		{"10.40.1.1", 1400}, // route with mtu 1400
		{"10.9.0.77", 1450}, // connected subnet
		{"fd00::99", 1450},  // IPv6 connected
	} {
		dst := netip.MustParseAddr(tt.dst)
		var ip []ipRoute
		n.ip(t, &ip, "route", "get", tt.dst)
		if len(ip) != 1 {
			t.Fatalf("ip route get %s: %d results", tt.dst, len(ip))
		}
		want := ip[0].route(t, idx, dst.Is6())
		got, err := c.RouteGet(dst)
		if err != nil {
			t.Fatal(err)
		}
		// ip route get prints no protocol/scope/type/metric details for
		// cloned routes; compare what it does print.
		got2 := Route{Dst: got.Dst, Gateway: got.Gateway, LinkIndex: got.LinkIndex, PrefSrc: got.PrefSrc, Table: got.Table, MTU: got.MTU}
		want2 := Route{Dst: want.Dst, Gateway: want.Gateway, LinkIndex: want.LinkIndex, PrefSrc: want.PrefSrc, Table: want.Table, MTU: want.MTU}
		if diff := cmp.Diff(want2, got2, addrCmp...); diff != "" {
			t.Errorf("RouteGet(%s) vs ip route get (-ip +ours):\n%s", tt.dst, diff)
		}
		mtu, err := c.RouteMTU(dst)
		if err != nil || mtu != tt.wantMTU {
			t.Errorf("RouteMTU(%s) = %d, %v; want %d", tt.dst, mtu, err, tt.wantMTU)
		}
	}
	if _, err := c.RouteGet(netip.MustParseAddr("203.0.113.1")); err == nil {
		t.Error("RouteGet without a matching route succeeded")
	}

	// Deleting the link takes its routes with it; the blackhole stays.
	must(c.DeleteLink("rt0"))
	left, err := c.Routes(FamilyAll, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range left {
		if r.LinkIndex == idx {
			t.Errorf("route %v left after deleting its link", r)
		}
	}
	if !slices.ContainsFunc(left, func(r Route) bool { return r.Type == TypeBlackhole && r.Table == 100 }) {
		t.Errorf("blackhole route missing after link deletion: %v", left)
	}
}

// TestNetnsWithoutCapNetAdmin checks the EPERM mapping against a real
// kernel: a thread in a fresh namespace drops CAP_NET_ADMIN from its
// effective set (capabilities are per thread; the thread is never unlocked
// and dies with its goroutine), then opens a socket and asks for a change.
func TestNetnsWithoutCapNetAdmin(t *testing.T) {
	requireRoot(t)
	type result struct {
		createErr, listErr error
		links              int
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var r result
		defer func() { res <- r }()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			r.createErr = fmt.Errorf("setup: unshare: %w", err)
			return
		}
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			r.createErr = fmt.Errorf("setup: capget: %w", err)
			return
		}
		data[0].Effective &^= 1 << unix.CAP_NET_ADMIN
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			r.createErr = fmt.Errorf("setup: capset: %w", err)
			return
		}
		c, err := Dial()
		if err != nil {
			r.createErr = fmt.Errorf("setup: %w", err)
			return
		}
		defer c.Close()
		r.createErr = c.CreateLink("rtp0", "bridge")
		links, err := c.Links()
		r.listErr, r.links = err, len(links)
	}()
	r := <-res
	if !errors.Is(r.createErr, os.ErrPermission) {
		t.Fatalf("CreateLink without CAP_NET_ADMIN: err = %v, want os.ErrPermission", r.createErr)
	}
	if want := "create link: rtp0 type bridge: operation not permitted"; !strings.HasPrefix(r.createErr.Error(), want) ||
		!strings.HasSuffix(r.createErr.Error(), "needs CAP_NET_ADMIN") {
		t.Errorf("err = %q, want %q ... needs CAP_NET_ADMIN", r.createErr, want)
	}
	// Reading needs no privilege: a fresh namespace has exactly lo.
	if r.listErr != nil || r.links != 1 {
		t.Errorf("Links without CAP_NET_ADMIN: %d links, %v; want 1 (lo)", r.links, r.listErr)
	}
}

// TestKernelWireguardLink needs the wireguard module, which only the test
// VM has (tests/kernel/run.sh sets WGSHIM_KERNEL_VM=1). It runs in its own
// namespace and uses no external tools.
func TestKernelWireguardLink(t *testing.T) {
	if os.Getenv("WGSHIM_KERNEL_VM") != "1" {
		t.Skip("skipping: needs the kernel test VM (WGSHIM_KERNEL_VM=1)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("WGSHIM_KERNEL_VM=1 but not root")
	}
	n := newNetns(t)
	c := n.c
	if err := c.CreateLink("wgk0", "wireguard"); err != nil {
		t.Fatalf("%v (is the wireguard module available?)", err)
	}
	l, err := c.LinkByName("wgk0")
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != "wireguard" {
		t.Errorf("Kind = %q, want wireguard", l.Kind)
	}
	// drivers/net/wireguard/device.c: MTU 1420, point-to-point, no ARP.
	if l.MTU != 1420 {
		t.Errorf("MTU = %d, want the wireguard default 1420", l.MTU)
	}
	if l.Flags&(FlagPointToPoint|FlagNoARP) != FlagPointToPoint|FlagNoARP {
		t.Errorf("Flags = %#x, want POINTOPOINT|NOARP", l.Flags)
	}
	if err := c.SetLinkMTU("wgk0", 1380); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLinkUp("wgk0"); err != nil {
		t.Fatal(err)
	}
	if l, err = c.LinkByName("wgk0"); err != nil || l.MTU != 1380 || !l.Up() {
		t.Errorf("after set mtu 1380 up: %+v, %v", l, err)
	}
	if err := c.AddAddress("wgk0", netip.MustParsePrefix("10.99.0.1/24")); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRoute(Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), LinkIndex: l.Index, Table: 51820}); err != nil {
		t.Fatal(err)
	}
	links, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	var wg []string
	for _, l := range links {
		if l.Kind == "wireguard" {
			wg = append(wg, l.Name)
		}
	}
	if !slices.Equal(wg, []string{"wgk0"}) {
		t.Errorf("wireguard links = %v, want [wgk0]", wg)
	}
	if err := c.DeleteLink("wgk0"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LinkByName("wgk0"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after delete: err = %v, want os.ErrNotExist", err)
	}
	routes, err := c.Routes(IPv4, 51820)
	if err != nil || len(routes) != 0 {
		t.Errorf("table 51820 after delete: %v, %v; want empty", routes, err)
	}
}
