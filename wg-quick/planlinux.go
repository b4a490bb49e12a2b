package wgquick

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// This file is the Linux planner: linux.bash's cmd_up, cmd_down and
// cmd_save as pure functions (spec wg-quick.md §4.1, §4.2, §5, §6, §8, §9).

// DefaultTable is the first routing table (and fwmark) tried for a full
// tunnel.
const DefaultTable = 51820

// mtuOverhead is IPv6 (40) + UDP (8) + WireGuard (32).
const mtuOverhead = 80

// NeedsDefaultRoute reports whether bringing c up routes a /0 through the
// fwmark table (Table auto and an allowed IP 0.0.0.0/0 or ::/0).
func NeedsDefaultRoute(c *config.Config) bool {
	if c.Interface.Table != nil && c.Interface.Table.V.Mode != config.TableAuto {
		return false
	}
	for _, p := range c.Peers {
		for _, a := range p.AllowedIPs {
			if a.V.Bits() == 0 {
				return true
			}
		}
	}
	return false
}

// PlanError is a planning failure; Pos locates the configuration value
// responsible, when there is one.
type PlanError struct {
	Pos config.Pos
	Msg string
}

func (e *PlanError) Error() string {
	if e.Pos.Line > 0 {
		s := e.Pos.String() + ": "
		if e.Pos.Key != "" {
			s += e.Pos.Key + ": "
		}
		return s + e.Msg
	}
	return e.Msg
}

// PlanUp returns the steps of `wg-quick up` for c on Linux. wc is
// c.WGConfig (endpoints resolved); f comes from GatherUp.
func PlanUp(c *config.Config, wc *wgtypes.Config, f *Facts) ([]Op, error) {
	iface := f.Iface
	if f.LinkExists {
		return nil, errAlreadyExists(iface)
	}
	in := &c.Interface
	plan := []Op{opCreateLink(iface)}
	plan = append(plan, opHooks(iface, in.PreUp)...)
	plan = append(plan, opSetConfig(iface, wc))
	if err := checkAddresses(in.Address); err != nil {
		return nil, err
	}
	for _, a := range in.Address {
		plan = append(plan, opAddress(AddAddress, iface, a.V, a.Pos))
	}

	mtu, mtuPos := planMTU(in, detectMTU(f))
	plan = append(plan, opSetMTUUp(iface, mtu, mtuPos))

	if len(in.DNS) > 0 {
		op, err := dnsOp(c, f)
		if err != nil {
			return nil, err
		}
		plan = append(plan, op)
	}

	table, tablePos := config.Table{Mode: config.TableAuto}, config.Pos{}
	if in.Table != nil {
		table, tablePos = in.Table.V, in.Table.Pos
	}
	d := defaultRoute{iface: iface, c: c, f: f, mark: 0}
	if wc.FirewallMark != nil {
		d.mark = *wc.FirewallMark
	}
	for _, r := range routePrefixes(wc) {
		pos := allowedPos(c, r)
		switch table.Mode {
		case config.TableOff:
			continue
		case config.TableNumber:
			plan = append(plan, opRoute(AddRoute, iface, r, table.ID, pos))
		case config.TableName:
			if f.TableID == 0 {
				return nil, &PlanError{Pos: tablePos, Msg: fmt.Sprintf("table %q is not in rt_tables", table.Name)}
			}
			plan = append(plan, opRouteNamed(AddRoute, iface, r, f.TableID, table.Name, pos))
		default:
			if r.Bits() == 0 {
				ops, err := d.add(r, pos)
				if err != nil {
					return nil, err
				}
				plan = append(plan, ops...)
				continue
			}
			if coveredByAddress(in.Address, r) {
				continue // `ip route show dev IF match R` lists the address's prefix route
			}
			plan = append(plan, opRoute(AddRoute, iface, r, 0, pos))
		}
	}
	return append(plan, opHooks(iface, in.PostUp)...), nil
}

// checkAddresses refuses an address the kernel would refuse as a
// duplicate (upstream fails at `ip address add` with "File exists"): the
// same IPv4 address and prefix length, or the same IPv6 address.
func checkAddresses(addrs []config.Value[netip.Prefix]) error {
	seen := map[netip.Prefix]config.Pos{}
	for _, a := range addrs {
		k := a.V
		if k.Addr().Is6() {
			k = netip.PrefixFrom(k.Addr(), 128)
		}
		if first, ok := seen[k]; ok {
			return &PlanError{Pos: a.Pos, Msg: fmt.Sprintf("%s is already set at line %d", a.V, first.Line)}
		}
		seen[k] = a.Pos
	}
	return nil
}

// detectMTU is set_mtu_up without MTU: the smallest path MTU towards an
// endpoint, else the default route's, else 1500; minus 80.
func detectMTU(f *Facts) int {
	mtu := math.MaxInt32
	for _, m := range f.EndpointMTUs {
		if m < mtu {
			mtu = m
		}
	}
	if mtu == math.MaxInt32 && f.DefaultMTU > 0 {
		mtu = f.DefaultMTU
	}
	if mtu <= 0 || mtu == math.MaxInt32 {
		mtu = 1500
	}
	return mtu - mtuOverhead
}

// routePrefixes is the effective allowed IPs after `wg addconf` onto a new
// interface (masked; a prefix listed twice belongs to the last peer, once)
// in upstream's order: `sort -nr -k 2 -t /`, that is by prefix length,
// longest first, and ties by the whole text, descending (sort's last-resort
// comparison, reversed by -r, in the C locale).
func routePrefixes(wc *wgtypes.Config) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	var out []netip.Prefix
	for _, p := range wc.Peers {
		for _, a := range p.AllowedIPs {
			a = a.Masked()
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
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

// allowedPos finds where r was allowed, for error messages.
func allowedPos(c *config.Config, r netip.Prefix) config.Pos {
	var pos config.Pos
	for _, p := range c.Peers {
		for _, a := range p.AllowedIPs {
			if a.V.Masked() == r {
				pos = a.Pos
			}
		}
	}
	return pos
}

// coveredByAddress reports whether one of the interface addresses makes
// the kernel add a prefix route that contains r: an address with a prefix
// shorter than a host route (10.0.0.1/24 gives 10.0.0.0/24 dev IF).
func coveredByAddress(addrs []config.Value[netip.Prefix], r netip.Prefix) bool {
	for _, a := range addrs {
		p := a.V
		if p.Bits() == p.Addr().BitLen() || p.Addr().Is4() != r.Addr().Is4() {
			continue
		}
		if p.Bits() <= r.Bits() && p.Masked().Contains(r.Addr()) {
			return true
		}
	}
	return false
}

// defaultRoute is add_default: the fwmark table, two rules, the /0 route
// in that table and the firewall rules, per family.
type defaultRoute struct {
	iface     string
	c         *config.Config
	f         *Facts
	mark      uint32 // the table; 0 until chosen
	sysctlSet bool
}

func (d *defaultRoute) add(r netip.Prefix, pos config.Pos) ([]Op, error) {
	var ops []Op
	if d.mark == 0 {
		t := uint32(DefaultTable)
		for d.f.UsedTables[t] {
			t++
		}
		d.mark = t
		ops = append(ops, opSetFwMark(d.iface, t))
	}
	t := d.mark
	fam := rtnlFamily(r)
	ops = append(ops,
		opRule(AddRule, d.iface, rtnl.Rule{Family: fam, Invert: true, Mark: t, Table: t}),
		opRule(AddRule, d.iface, rtnl.Rule{Family: fam, Table: rtnl.TableMain, Suppress: true}),
		opRoute(AddRoute, d.iface, r, t, pos),
	)
	var addrs []netip.Addr
	for _, a := range d.c.Interface.Address {
		if a.V.Addr().Is4() == r.Addr().Is4() {
			addrs = append(addrs, a.V.Addr())
		}
	}
	if fam == rtnl.IPv4 && d.f.SrcValidMark != "1" && !d.sysctlSet {
		d.sysctlSet = true
		ops = append(ops, opSysctl(srcValidMark, "1"))
	}
	switch {
	case d.f.HaveNft:
		ops = append(ops, nftOp(d.iface, fam, t, addrs))
	case d.f.HaveIptables:
		ops = append(ops, iptablesOp(d.iface, fam, t, addrs))
	default:
		return nil, &PlanError{Pos: pos, Msg: fmt.Sprintf("AllowedIPs: %s: routing all traffic through %s needs nft(8) or iptables-restore(8); install nftables, or set Table = off and route yourself", r, d.iface)}
	}
	return ops, nil
}

func nftFamily(f rtnl.Family) string {
	if f == rtnl.IPv6 {
		return "ip6"
	}
	return "ip"
}

// NftRules is the nft(8) script upstream's add_default feeds to `nft -f`
// for one family: the table wg-quick-IFACE with its three chains, the
// anti-spoofing rules for addrs, and the conntrack mark rules.
func NftRules(iface string, fam rtnl.Family, table uint32, addrs []netip.Addr) string {
	pf, t := nftFamily(fam), "wg-quick-"+iface
	var b strings.Builder
	fmt.Fprintf(&b, "add table %s %s\n", pf, t)
	fmt.Fprintf(&b, "add chain %s %s preraw { type filter hook prerouting priority -300; }\n", pf, t)
	fmt.Fprintf(&b, "add chain %s %s premangle { type filter hook prerouting priority -150; }\n", pf, t)
	fmt.Fprintf(&b, "add chain %s %s postmangle { type filter hook postrouting priority -150; }\n", pf, t)
	for _, a := range addrs {
		fmt.Fprintf(&b, "add rule %s %s preraw iifname != \"%s\" %s daddr %s fib saddr type != local drop\n", pf, t, iface, pf, a)
	}
	// The trailing spaces are upstream's.
	fmt.Fprintf(&b, "add rule %s %s postmangle meta l4proto udp mark %d ct mark set mark \n", pf, t, table)
	fmt.Fprintf(&b, "add rule %s %s premangle meta l4proto udp meta mark set ct mark \n", pf, t)
	return b.String()
}

func nftOp(iface string, fam rtnl.Family, table uint32, addrs []netip.Addr) Op {
	op := opExec(iface, "nft -f /dev/fd/63", Cmd{Args: []string{"nft", "-f", "-"}, Stdin: NftRules(iface, fam, table, addrs)})
	undo := opExec(iface, "nft -f /dev/fd/63", Cmd{Args: []string{"nft", "-f", "-"},
		Stdin: fmt.Sprintf("delete table %s wg-quick-%s\n", nftFamily(fam), iface)})
	op.Undo = &undo
	return op
}

func iptablesMarker(iface string) string {
	return `-m comment --comment "wg-quick(8) rule for ` + iface + `"`
}

// IptablesRules is the iptables-restore(8) input upstream's add_default
// uses when nft(8) is missing.
func IptablesRules(iface string, table uint32, addrs []netip.Addr) string {
	marker := iptablesMarker(iface)
	var b strings.Builder
	b.WriteString("*raw\n")
	for _, a := range addrs {
		fmt.Fprintf(&b, "-I PREROUTING ! -i %s -d %s -m addrtype ! --src-type LOCAL -j DROP %s\n", iface, a, marker)
	}
	fmt.Fprintf(&b, "COMMIT\n*mangle\n-I POSTROUTING -m mark --mark %d -p udp -j CONNMARK --save-mark %s\n", table, marker)
	fmt.Fprintf(&b, "-I PREROUTING -p udp -j CONNMARK --restore-mark %s\nCOMMIT\n", marker)
	return b.String()
}

func iptablesTool(fam rtnl.Family) string {
	if fam == rtnl.IPv6 {
		return "ip6tables"
	}
	return "iptables"
}

func iptablesOp(iface string, fam rtnl.Family, table uint32, addrs []netip.Addr) Op {
	tool := iptablesTool(fam) + "-restore"
	text := IptablesRules(iface, table, addrs)
	op := opExec(iface, tool+" -n", Cmd{Args: []string{tool, "-n"}, Stdin: text})
	var del strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if rest, ok := strings.CutPrefix(l, "-I "); ok {
			l = "-D " + rest
		}
		del.WriteString(l)
	}
	undo := opExec(iface, tool+" -n", Cmd{Args: []string{tool, "-n"}, Stdin: del.String()})
	op.Undo = &undo
	return op
}

// dnsName is the name DNS settings are registered under.
func dnsName(f *Facts) string {
	if f.DNSBackend == Resolvconf {
		return f.DNSPrefix + f.Iface
	}
	return f.Iface
}

// dnsOp is set_dns: resolvconf with upstream's arguments and input, or
// resolvectl when systemd-resolved runs.
func dnsOp(c *config.Config, f *Facts) (Op, error) {
	in := &c.Interface
	iface, name := f.Iface, dnsName(f)
	switch f.DNSBackend {
	case Resolvconf:
		var b strings.Builder
		for _, d := range in.DNS {
			fmt.Fprintf(&b, "nameserver %s\n", d.V)
		}
		if len(in.DNSSearch) > 0 {
			s := make([]string, len(in.DNSSearch))
			for i, d := range in.DNSSearch {
				s[i] = d.V
			}
			fmt.Fprintf(&b, "search %s\n", strings.Join(s, " "))
		}
		op := opExec(iface, "resolvconf -a "+name+" -m 0 -x", Cmd{Args: []string{"resolvconf", "-a", name, "-m", "0", "-x"}, Stdin: b.String()})
		op.Pos = in.DNS[0].Pos
		undo := unsetDNSOp(f)
		op.Undo = &undo
		return op, nil
	case Resolvectl:
		dns := []string{"resolvectl", "dns", iface}
		for _, d := range in.DNS {
			dns = append(dns, d.V.String())
		}
		// "~." makes the link the route for every domain, as
		// resolvconf's -x (exclusive) does.
		dom := []string{"resolvectl", "domain", iface}
		for _, d := range in.DNSSearch {
			dom = append(dom, d.V)
		}
		dom = append(dom, "~.")
		cmds := []Cmd{{Args: dns}, {Args: dom}, {Args: []string{"resolvectl", "default-route", iface, "true"}}}
		var disp []string
		for _, c := range cmds {
			disp = append(disp, strings.Join(c.Args, " "))
		}
		op := opExec(iface, strings.Join(disp, "; "), cmds...)
		op.Pos = in.DNS[0].Pos
		undo := unsetDNSOp(f)
		op.Undo = &undo
		return op, nil
	}
	return Op{}, &PlanError{Pos: in.DNS[0].Pos, Msg: "no resolver backend found (tried systemd-resolved, resolvconf); remove DNS= or install one"}
}

func unsetDNSOp(f *Facts) Op {
	if f.DNSBackend == Resolvectl {
		return opExec(f.Iface, "resolvectl revert "+f.Iface, Cmd{Args: []string{"resolvectl", "revert", f.Iface}})
	}
	name := dnsName(f)
	return opExec(f.Iface, "resolvconf -d "+name+" -f", Cmd{Args: []string{"resolvconf", "-d", name, "-f"}})
}

// PlanDown returns the steps of `wg-quick down` for c on Linux, from the
// state in f (GatherDown).
func PlanDown(c *config.Config, f *Facts) ([]Op, error) {
	iface := f.Iface
	if !f.IsWireGuard {
		return nil, errNotWireGuard(iface)
	}
	in := &c.Interface
	plan := downHead(c, iface)
	plan = append(plan, delRules(c, f)...)
	plan = append(plan, opDeleteLink(iface))
	if len(in.DNS) > 0 {
		op := unsetDNSOp(f)
		op.BestEffort = true
		plan = append(plan, op)
	}
	plan = append(plan, removeFirewall(f)...)
	return append(plan, opHooks(iface, in.PostDown)...), nil
}

// PlanSave returns the steps of `wg-quick save`.
func PlanSave(c *config.Config, f *Facts) ([]Op, error) {
	if !f.IsWireGuard {
		return nil, errNotWireGuard(f.Iface)
	}
	return []Op{opSaveConfig(f.Iface, c)}, nil
}

// delRules is the rule part of del_if: with Table auto, a fwmark on the
// interface and a /0 among its allowed IPs, every rule looking up the mark's
// table and every "table main suppress_prefixlength 0" rule, IPv4 then IPv6.
func delRules(c *config.Config, f *Facts) []Op {
	if c.Interface.Table != nil && c.Interface.Table.V.Mode != config.TableAuto {
		return nil
	}
	dev := f.Device
	if dev == nil || dev.FirewallMark == 0 {
		return nil
	}
	all := false
	for _, p := range dev.Peers {
		for _, a := range p.AllowedIPs {
			all = all || a.Bits() == 0
		}
	}
	if !all {
		return nil
	}
	t := dev.FirewallMark
	var ops []Op
	for _, rules := range [][]rtnl.Rule{f.Rules4, f.Rules6} {
		for _, r := range rules {
			if r.Table == t {
				ops = append(ops, opRule(DeleteRule, f.Iface, r))
			}
		}
		for _, r := range rules {
			if r.Table == rtnl.TableMain && r.Suppress && r.SuppressPrefixLen == 0 {
				ops = append(ops, opRule(DeleteRule, f.Iface, r))
			}
		}
	}
	return ops
}

// removeFirewall is remove_firewall: delete every nftables table named
// wg-quick-IFACE, and every iptables rule carrying the wg-quick comment.
func removeFirewall(f *Facts) []Op {
	var ops []Op
	var nft strings.Builder
	for _, t := range f.NftTables {
		if strings.HasSuffix(t, " wg-quick-"+f.Iface) {
			fmt.Fprintf(&nft, "delete %s\n", t)
		}
	}
	if nft.Len() > 0 {
		op := opExec(f.Iface, "nft -f /dev/fd/63", Cmd{Args: []string{"nft", "-f", "-"}, Stdin: nft.String()})
		op.BestEffort = true
		ops = append(ops, op)
	}
	marker := "-A "
	comment := iptablesMarker(f.Iface)
	for _, tool := range []string{"iptables", "ip6tables"} {
		save, ok := f.IptablesSave[tool]
		if !ok {
			continue
		}
		var b strings.Builder
		found := false
		for _, l := range strings.Split(save, "\n") {
			switch {
			case strings.HasPrefix(l, "*") || l == "COMMIT":
				b.WriteString(l + "\n")
			case strings.HasPrefix(l, marker) && strings.Contains(l, comment):
				found = true
				b.WriteString("-D " + l[len(marker):] + "\n")
			}
		}
		if found {
			op := opExec(f.Iface, tool+"-restore -n", Cmd{Args: []string{tool + "-restore", "-n"}, Stdin: b.String()})
			op.BestEffort = true
			ops = append(ops, op)
		}
	}
	return ops
}
