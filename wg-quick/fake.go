package wgquick

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
)

// Fake is an in-memory Linux host for tests: a Prober answering from its
// fields and an Executor changing them. It records every step it is given
// (Log) and can be told to fail one (FailAt). The zero value is an empty
// host with no resolver backend and no firewall tool; set the exported
// fields to describe the host.
type Fake struct {
	// Host description, read by the Prober methods.
	PathMTU    map[netip.Addr]int // RouteMTU answers; missing: no route
	DefaultMTU int                // 0: no default route
	Tables     map[uint32]bool    // tables already holding routes
	Installed  map[string]bool    // "nft", "iptables", "resolvconf", "resolvectl"
	Backend    DNSBackend
	Prefix     string            // resolvconf interface prefix
	TableIDs   map[string]uint32 // rt_tables
	Sysctls    map[string]string

	// State changed by Do.
	Links    map[string]*FakeLink
	RuleList []rtnl.Rule
	Nft      map[string]string // "table ip NAME" -> script that made it
	// Iptables holds the rules added with iptables-restore, one per line,
	// by tool ("iptables", "ip6tables").
	Iptables map[string][]string
	DNSState map[string]string // resolver name -> resolvconf input
	Saved    map[string][]byte // SaveConfig writes: file -> content
	Hooks    []string          // hooks run, in order

	// Log is every step done, as "[#] ..." text; FailAt makes the step
	// with that 1-based index in Log fail (0: never); FailHook makes hooks
	// whose text contains it fail.
	Log      []string
	FailAt   int
	FailHook string

	nextPrio uint32
}

// FakeLink is one interface of a Fake.
type FakeLink struct {
	WireGuard bool
	MTU       int
	Up        bool
	Addrs     []netip.Prefix
	Routes    []FakeRoute
	Device    wgtypes.Device
}

// FakeRoute is a route through a FakeLink.
type FakeRoute struct {
	Dst   netip.Prefix
	Table uint32 // 0 is main
}

var errFakeInjected = errors.New("injected failure")

// FakeExitError is what a failing fake hook returns: a command's exit
// status, which Main passes on as its own.
type FakeExitError struct{ Status int }

func (e *FakeExitError) Error() string { return fmt.Sprintf("exit status %d", e.Status) }

// ExitCode is the status, as (*exec.ExitError).ExitCode.
func (e *FakeExitError) ExitCode() int { return e.Status }

func (f *Fake) init() {
	if f.Links == nil {
		f.Links = map[string]*FakeLink{}
	}
	if f.Nft == nil {
		f.Nft = map[string]string{}
	}
	if f.Iptables == nil {
		f.Iptables = map[string][]string{}
	}
	if f.DNSState == nil {
		f.DNSState = map[string]string{}
	}
	if f.Saved == nil {
		f.Saved = map[string][]byte{}
	}
	if f.Sysctls == nil {
		f.Sysctls = map[string]string{}
	}
}

// Prober methods.

func (f *Fake) LinkExists(name string) (bool, error) { _, ok := f.Links[name]; return ok, nil }

func (f *Fake) WireGuardInterfaces() ([]string, error) {
	var out []string
	for n, l := range f.Links {
		if l.WireGuard {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (f *Fake) Device(name string) (*wgtypes.Device, error) {
	l, ok := f.Links[name]
	if !ok || !l.WireGuard {
		return nil, fmt.Errorf("fake: %s: %w", name, fs.ErrNotExist)
	}
	d := l.Device
	return &d, nil
}

func (f *Fake) RouteMTU(dst netip.Addr) (int, error) {
	if m, ok := f.PathMTU[dst]; ok {
		return m, nil
	}
	return 0, fmt.Errorf("fake: route to %s: network is unreachable", dst)
}

func (f *Fake) DefaultRouteMTU() (int, bool, error) { return f.DefaultMTU, f.DefaultMTU > 0, nil }

func (f *Fake) UsedTables() (map[uint32]bool, error) {
	m := map[uint32]bool{}
	for t := range f.Tables {
		m[t] = true
	}
	for _, l := range f.Links {
		for _, r := range l.Routes {
			m[r.Table] = true
		}
	}
	return m, nil
}

func (f *Fake) Rules(fam rtnl.Family) ([]rtnl.Rule, error) {
	var out []rtnl.Rule
	for _, r := range f.RuleList {
		if r.Family == fam {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *Fake) Sysctl(key string) (string, error) {
	if v, ok := f.Sysctls[key]; ok {
		return v, nil
	}
	return "0", nil
}

func (f *Fake) Have(prog string) bool { return f.Installed[prog] }

func (f *Fake) NftTables() ([]string, error) {
	var out []string
	for t := range f.Nft {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// IptablesSave prints the rules in iptables-save's layout: per table a
// "*table" line, "-A CHAIN ..." lines and COMMIT.
func (f *Fake) IptablesSave(tool string) (string, error) {
	var b strings.Builder
	for _, table := range []string{"*raw", "*mangle", "*filter"} {
		b.WriteString(table + "\n")
		for _, l := range f.Iptables[tool] {
			if rest, ok := strings.CutPrefix(l, table+" "); ok {
				b.WriteString(rest + "\n")
			}
		}
		b.WriteString("COMMIT\n")
	}
	return b.String(), nil
}

func (f *Fake) TableID(name string) (uint32, error) {
	if id, ok := reservedTable(name); ok {
		return id, nil
	}
	if id, ok := f.TableIDs[name]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("fake: table %q: %w", name, fs.ErrNotExist)
}

func (f *Fake) DNS() (DNSBackend, string) { return f.Backend, f.Prefix }

// Do performs op on the fake state.
func (f *Fake) Do(_ context.Context, op Op) (*Op, error) {
	f.init()
	f.Log = append(f.Log, op.String())
	if f.FailAt == len(f.Log) {
		return nil, errFakeInjected
	}
	l := f.Links[op.Iface]
	needLink := func() error {
		if l == nil {
			return fmt.Errorf("fake: %s: %w", op.Iface, fs.ErrNotExist)
		}
		return nil
	}
	switch op.Kind {
	case CreateLink:
		if l != nil {
			return nil, fmt.Errorf("fake: %s: %w", op.Iface, fs.ErrExist)
		}
		f.Links[op.Iface] = &FakeLink{WireGuard: true, MTU: 1420}
	case DeleteLink:
		if err := needLink(); err != nil {
			return nil, err
		}
		delete(f.Links, op.Iface)
	case Hook:
		f.Hooks = append(f.Hooks, op.Text)
		if f.FailHook != "" && strings.Contains(op.Text, f.FailHook) {
			return nil, &FakeExitError{Status: 3}
		}
	case SetConfig, SetFwMark:
		if err := needLink(); err != nil {
			return nil, err
		}
		if op.Kind == SetFwMark {
			l.Device.FirewallMark = op.Mark
		} else {
			applyConfig(&l.Device, op.Config)
		}
	case AddAddress, DeleteAddress:
		if err := needLink(); err != nil {
			return nil, err
		}
		i := slices.Index(l.Addrs, op.Prefix)
		switch {
		case op.Kind == AddAddress && i >= 0:
			return nil, fmt.Errorf("fake: address %s: %w", op.Prefix, fs.ErrExist)
		case op.Kind == AddAddress:
			l.Addrs = append(l.Addrs, op.Prefix)
		case i < 0:
			return nil, fmt.Errorf("fake: address %s: %w", op.Prefix, fs.ErrNotExist)
		default:
			l.Addrs = slices.Delete(l.Addrs, i, i+1)
		}
	case SetMTUUp:
		if err := needLink(); err != nil {
			return nil, err
		}
		l.MTU, l.Up = op.MTU, true
	case AddRoute, DeleteRoute:
		if err := needLink(); err != nil {
			return nil, err
		}
		r := FakeRoute{Dst: op.Prefix, Table: op.Table}
		if r.Table == rtnl.TableMain {
			r.Table = 0
		}
		i := slices.Index(l.Routes, r)
		switch {
		case op.Kind == AddRoute && i >= 0:
			return nil, fmt.Errorf("fake: route %s: %w", op.Prefix, fs.ErrExist)
		case op.Kind == AddRoute:
			l.Routes = append(l.Routes, r)
		case i < 0:
			return nil, fmt.Errorf("fake: route %s: %w", op.Prefix, fs.ErrNotExist)
		default:
			l.Routes = slices.Delete(l.Routes, i, i+1)
		}
	case AddRule:
		r := op.Rule
		if r.Priority == 0 {
			f.nextPrio++
			r.Priority = 32766 - f.nextPrio
		}
		f.RuleList = append(f.RuleList, r)
		undo := opRule(DeleteRule, op.Iface, r)
		return &undo, nil
	case DeleteRule:
		for i, r := range f.RuleList {
			if ruleMatches(op.Rule, r) {
				f.RuleList = slices.Delete(f.RuleList, i, i+1)
				return op.Undo, nil
			}
		}
		return nil, fmt.Errorf("fake: rule %v: %w", op.Rule, fs.ErrNotExist)
	case Sysctl:
		f.Sysctls[op.Key] = op.Text
	case Exec:
		for _, c := range op.Cmds {
			if err := f.exec(c); err != nil {
				return nil, err
			}
		}
	case SaveConfig:
		if err := needLink(); err != nil {
			return nil, err
		}
		var dns []netip.Addr
		for _, line := range strings.Split(f.DNSState[dnsName(&Facts{Iface: op.Iface, DNSBackend: f.Backend, DNSPrefix: f.Prefix})], "\n") {
			if s, ok := strings.CutPrefix(line, "nameserver "); ok {
				if a, err := netip.ParseAddr(s); err == nil {
					dns = append(dns, a)
				}
			}
		}
		c := RunningConfig(op.Save, &l.Device, Running{Addrs: l.Addrs, DNS: dns, MTU: l.MTU})
		b, err := encodeConfig(c)
		if err != nil {
			return nil, err
		}
		f.Saved[op.Save.File] = b
	default:
		return nil, fmt.Errorf("fake: unknown step %v", op.Kind)
	}
	return op.Undo, nil
}

// ruleMatches is the kernel's rule_find for the fields wg-quick uses:
// zero fields of want match anything.
func ruleMatches(want, r rtnl.Rule) bool {
	return want.Family == r.Family &&
		(want.Priority == 0 || want.Priority == r.Priority) &&
		(want.Table == 0 || want.Table == r.Table) &&
		(want.Mark == 0 || want.Mark == r.Mark) &&
		(!want.Suppress || r.Suppress && want.SuppressPrefixLen == r.SuppressPrefixLen)
}

// exec emulates the external commands plans run.
func (f *Fake) exec(c Cmd) error {
	if len(c.Args) == 0 {
		return errors.New("fake: empty command")
	}
	prog := c.Args[0]
	tool, _ := strings.CutSuffix(prog, "-restore")
	if !f.Installed[prog] && !f.Installed[tool] {
		return fmt.Errorf("fake: %s: command not found", prog)
	}
	switch {
	case prog == "nft":
		var created string
		for _, l := range strings.Split(c.Stdin, "\n") {
			w := strings.Fields(l)
			switch {
			case len(w) == 4 && w[0] == "add" && w[1] == "table":
				created = "table " + w[2] + " " + w[3]
				if _, ok := f.Nft[created]; ok {
					return fmt.Errorf("fake: nft: %s: %w", created, fs.ErrExist)
				}
				f.Nft[created] = ""
			case len(w) == 4 && w[0] == "delete" && w[1] == "table":
				t := "table " + w[2] + " " + w[3]
				if _, ok := f.Nft[t]; !ok {
					return fmt.Errorf("fake: nft: %s: %w", t, fs.ErrNotExist)
				}
				delete(f.Nft, t)
			}
		}
		if created != "" {
			f.Nft[created] = c.Stdin
		}
	case tool == "iptables" || tool == "ip6tables":
		table := ""
		for _, l := range strings.Split(c.Stdin, "\n") {
			switch {
			case strings.HasPrefix(l, "*"):
				table = l
			case strings.HasPrefix(l, "-I "):
				f.Iptables[tool] = append(f.Iptables[tool], table+" -A "+l[3:])
			case strings.HasPrefix(l, "-D "):
				want := table + " -A " + l[3:]
				i := slices.Index(f.Iptables[tool], want)
				if i < 0 {
					return fmt.Errorf("fake: %s: no rule %q", prog, l)
				}
				f.Iptables[tool] = slices.Delete(f.Iptables[tool], i, i+1)
			}
		}
	case prog == "resolvconf" && len(c.Args) >= 3 && c.Args[1] == "-a":
		f.DNSState[c.Args[2]] = c.Stdin
	case prog == "resolvconf" && len(c.Args) >= 3 && c.Args[1] == "-d":
		delete(f.DNSState, c.Args[2])
	case prog == "resolvectl" && len(c.Args) >= 3:
		switch c.Args[1] {
		case "dns", "domain", "default-route":
			f.DNSState[c.Args[2]] += strings.Join(c.Args[1:], " ") + "\n"
		case "revert":
			delete(f.DNSState, c.Args[2])
		}
	default:
		return fmt.Errorf("fake: cannot run %q", strings.Join(c.Args, " "))
	}
	return nil
}

// applyConfig is `wg addconf` on a fake device.
func applyConfig(d *wgtypes.Device, c *wgtypes.Config) {
	if c.PrivateKey != nil {
		d.PrivateKey, d.PublicKey = *c.PrivateKey, c.PrivateKey.PublicKey()
	}
	if c.ListenPort != nil {
		d.ListenPort = *c.ListenPort
	}
	if c.FirewallMark != nil {
		d.FirewallMark = *c.FirewallMark
	}
	for _, pc := range c.Peers {
		i := slices.IndexFunc(d.Peers, func(p wgtypes.Peer) bool { return p.PublicKey == pc.PublicKey })
		if i < 0 {
			d.Peers = append(d.Peers, wgtypes.Peer{PublicKey: pc.PublicKey})
			i = len(d.Peers) - 1
		}
		p := &d.Peers[i]
		if pc.PresharedKey != nil {
			p.PresharedKey = *pc.PresharedKey
		}
		if pc.Endpoint != nil {
			p.Endpoint = *pc.Endpoint
		}
		if pc.PersistentKeepalive != nil {
			p.PersistentKeepalive = *pc.PersistentKeepalive
		}
		if pc.ReplaceAllowedIPs {
			p.AllowedIPs = nil
		}
		for _, a := range pc.AllowedIPs {
			a = a.Masked()
			for j := range d.Peers { // an allowed IP belongs to one peer
				d.Peers[j].AllowedIPs = slices.DeleteFunc(d.Peers[j].AllowedIPs, func(b netip.Prefix) bool { return b == a })
			}
			p.AllowedIPs = append(p.AllowedIPs, a)
		}
	}
}

// State describes everything a plan can change, one fact per line in a
// fixed order, so that two states compare as text. Sysctls are left out:
// wg-quick never reverts them.
func (f *Fake) State() string {
	var lines []string
	for n, l := range f.Links {
		lines = append(lines, fmt.Sprintf("link %s wireguard=%v mtu=%d up=%v fwmark=%d peers=%d", n, l.WireGuard, l.MTU, l.Up, l.Device.FirewallMark, len(l.Device.Peers)))
		for _, a := range l.Addrs {
			lines = append(lines, fmt.Sprintf("address %s dev %s", a, n))
		}
		for _, r := range l.Routes {
			lines = append(lines, fmt.Sprintf("route %s dev %s table %d", r.Dst, n, r.Table))
		}
	}
	for _, r := range f.RuleList {
		lines = append(lines, "rule "+r.String())
	}
	for t := range f.Nft {
		lines = append(lines, "nft "+t)
	}
	for tool, rules := range f.Iptables {
		for _, r := range rules {
			lines = append(lines, tool+" "+r)
		}
	}
	for n, s := range f.DNSState {
		lines = append(lines, "dns "+n+" "+strings.ReplaceAll(s, "\n", ";"))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

var (
	_ Prober   = (*Fake)(nil)
	_ Executor = (*Fake)(nil)
)
