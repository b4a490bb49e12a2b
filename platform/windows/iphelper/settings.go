package iphelper

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Family is an address family with its Windows value.
type Family uint16

const (
	IPv4 Family = 2  // AF_INET
	IPv6 Family = 23 // AF_INET6 on Windows (10 on Linux)
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return fmt.Sprintf("family %d", uint16(f))
}

func familyOf(a netip.Addr) Family {
	if a.Unmap().Is4() {
		return IPv4
	}
	return IPv6
}

// Settings are the fields of one family's MIB_IPINTERFACE_ROW that Apply
// changes, the rest being kept (spec windows.md §4.2; wireguard-windows
// tunnel/addressconfig.go does the same).
type Settings struct {
	Family Family
	// MTU is NlMtu; 0 leaves it.
	MTU uint32
	// AutoMetric false with Metric 0 makes the tunnel the preferred
	// interface (routes of equal length, and the DNS servers Windows asks
	// first) when it carries a full tunnel.
	AutoMetric bool
	Metric     uint32
	// The tunnel has no routers and no duplicates to detect: router
	// discovery, DAD transmissions and DHCPv6 hints are turned off.
	RouterDiscovery bool
	DadTransmits    uint32
	ManagedConfig   bool
	OtherConfig     bool
}

// InterfaceSettings returns the settings of both families: mtu on each (0
// keeps the current MTU), metric 0 on a family the plan takes over fully.
func InterfaceSettings(mtu int, plan RoutePlan) []Settings {
	out := make([]Settings, 0, 2)
	for _, f := range []Family{IPv4, IPv6} {
		full := plan.FullTunnel4
		if f == IPv6 {
			full = plan.FullTunnel6
		}
		out = append(out, Settings{Family: f, MTU: uint32(mtu), AutoMetric: !full})
	}
	return out
}

// DNSFamily is one SetInterfaceDnsSettings call: Windows takes IPv4 and
// IPv6 servers in separate calls (DNS_SETTING_IPV6 marks the second).
type DNSFamily struct {
	Family     Family
	NameServer string // comma-separated
	SearchList string // comma-separated
	Flags      uint64
}

// DNS_INTERFACE_SETTINGS flags (netioapi.h).
const (
	dnsSettingIPv6       = 0x1
	dnsSettingNameServer = 0x2
	dnsSettingSearchList = 0x4
)

// DNSSettings splits servers by family into the two calls to make. The
// search domains go with both families. Empty servers and search give the
// calls that clear the settings.
func DNSSettings(servers []netip.Addr, search []string) []DNSFamily {
	var v4, v6 []string
	for _, s := range servers {
		s = s.Unmap()
		if !s.IsValid() {
			continue
		}
		if s.Is4() {
			v4 = appendNew(v4, s.String())
		} else {
			v6 = appendNew(v6, s.String())
		}
	}
	var domains []string
	for _, d := range search {
		d = strings.TrimSuffix(strings.TrimSpace(d), ".")
		if d != "" {
			domains = appendNew(domains, d)
		}
	}
	sl := strings.Join(domains, ",")
	flags := uint64(dnsSettingNameServer | dnsSettingSearchList)
	return []DNSFamily{
		{Family: IPv4, NameServer: strings.Join(v4, ","), SearchList: sl, Flags: flags},
		{Family: IPv6, NameServer: strings.Join(v6, ","), SearchList: sl, Flags: flags | dnsSettingIPv6},
	}
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// DiffAddresses returns the addresses to delete and to add to go from cur
// to want. A changed prefix length is a delete and an add. Link-local
// addresses in cur (fe80::/10, which Windows gives every adapter, and
// 169.254.0.0/16) are kept unless wanted with another length.
func DiffAddresses(cur, want []netip.Prefix) (del, add []netip.Prefix) {
	norm := func(p netip.Prefix) netip.Prefix {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p
	}
	var w []netip.Prefix
	for _, p := range want {
		if p = norm(p); p.IsValid() && !slices.Contains(w, p) {
			w = append(w, p)
		}
	}
	var c []netip.Prefix
	for _, p := range cur {
		c = append(c, norm(p))
	}
	for _, p := range c {
		keep := p.Addr().IsLinkLocalUnicast() && !slices.ContainsFunc(w, func(q netip.Prefix) bool { return q.Addr() == p.Addr() })
		if !keep && !slices.Contains(w, p) {
			del = append(del, p)
		}
	}
	for _, p := range w {
		if !slices.Contains(c, p) {
			add = append(add, p)
		}
	}
	return del, add
}
