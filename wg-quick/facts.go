package wgquick

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"

	"github.com/wgshim/wgshim/core/wgtypes"
	"github.com/wgshim/wgshim/platform/linux/rtnl"
)

// DNSBackend is how DNS servers are handed to the system resolver.
type DNSBackend uint8

const (
	NoDNSBackend DNSBackend = iota
	Resolvconf              // resolvconf(8): -a IFACE -m 0 -x, stdin resolv.conf lines
	Resolvectl              // systemd-resolved via resolvectl(1)
)

// Prober answers the questions a plan depends on. The Linux one asks the
// kernel and looks at the file system; Fake answers from its state.
type Prober interface {
	// LinkExists reports whether any network interface called name exists
	// (`ip link show dev NAME`).
	LinkExists(name string) (bool, error)
	// WireGuardInterfaces lists the WireGuard interfaces (`wg show
	// interfaces`): kernel links and userspace sockets.
	WireGuardInterfaces() ([]string, error)
	// Device returns the WireGuard state of the interface name.
	Device(name string) (*wgtypes.Device, error)
	// RouteMTU is the MTU wg-quick uses for the path to dst: the route's
	// mtu attribute, else its device's MTU (`ip route get`).
	RouteMTU(dst netip.Addr) (int, error)
	// DefaultRouteMTU does the same for the first IPv4 default route of
	// the main table (`ip route show default`); ok is false if there is
	// none.
	DefaultRouteMTU() (mtu int, ok bool, err error)
	// UsedTables is the set of routing tables holding an IPv4 or IPv6
	// route.
	UsedTables() (map[uint32]bool, error)
	// Rules lists the policy rules of family f.
	Rules(f rtnl.Family) ([]rtnl.Rule, error)
	// Sysctl reads a sysctl ("net.ipv4.conf.all.src_valid_mark").
	Sysctl(key string) (string, error)
	// Have reports whether an external program is installed ("nft",
	// "iptables": `type -p`).
	Have(prog string) bool
	// NftTables lists the nftables tables as "table FAMILY NAME" lines
	// (`nft list tables`).
	NftTables() ([]string, error)
	// IptablesSave is the output of `iptables-save` (tool "iptables") or
	// `ip6tables-save` (tool "ip6tables").
	IptablesSave(tool string) (string, error)
	// TableID resolves a routing table name from rt_tables(5).
	TableID(name string) (uint32, error)
	// DNS says which resolver backend to use and, for resolvconf, the
	// interface name prefix ("tun." with Debian's resolvconf).
	DNS() (backend DNSBackend, prefix string)
}

// Facts is what a plan is built from besides the configuration.
type Facts struct {
	Iface string

	// up
	LinkExists   bool
	EndpointMTUs []int // path MTU candidates, one per endpoint that had a route
	DefaultMTU   int   // MTU of the default route, 0 if none
	UsedTables   map[uint32]bool
	SrcValidMark string // current net.ipv4.conf.all.src_valid_mark
	HaveNft      bool   // nft(8) installed: firewall via nft, else iptables
	HaveIptables bool
	TableID      uint32 // Table = NAME resolved; 0 otherwise
	DNSBackend   DNSBackend
	DNSPrefix    string

	// down and save
	IsWireGuard bool
	Device      *wgtypes.Device // nil unless IsWireGuard
	Rules4      []rtnl.Rule
	Rules6      []rtnl.Rule
	NftTables   []string
	// IptablesSave holds `iptables-save` / `ip6tables-save` output by
	// tool name, when iptables is installed.
	IptablesSave map[string]string
}

// GatherUp collects the facts PlanUp needs for bringing iface up with the
// wg configuration wc (endpoints resolved).
// tableName is the Table key's value when it names a table ("" otherwise);
// needDefault says whether the configuration routes a /0 with Table=auto.
func GatherUp(p Prober, iface string, wc *wgtypes.Config, tableName string, needDefault bool) (*Facts, error) {
	f := &Facts{Iface: iface}
	var err error
	if f.LinkExists, err = p.LinkExists(iface); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	f.EndpointMTUs = endpointMTUs(p.RouteMTU, wc)
	if mtu, ok, err := p.DefaultRouteMTU(); err == nil && ok {
		f.DefaultMTU = mtu
	}
	if needDefault {
		if f.UsedTables, err = p.UsedTables(); err != nil {
			return nil, fmt.Errorf("gather: %w", err)
		}
		if f.SrcValidMark, err = p.Sysctl(srcValidMark); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("gather: %w", err)
		}
		f.HaveNft, f.HaveIptables = p.Have("nft"), p.Have("iptables")
	}
	if tableName != "" {
		if f.TableID, err = p.TableID(tableName); err != nil {
			return nil, fmt.Errorf("gather: %w", err)
		}
	}
	f.DNSBackend, f.DNSPrefix = p.DNS()
	return f, nil
}

// GatherDown collects the facts PlanDown and PlanSave need.
func GatherDown(p Prober, iface string) (*Facts, error) {
	f := &Facts{Iface: iface}
	names, err := p.WireGuardInterfaces()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	for _, n := range names {
		if n == iface {
			f.IsWireGuard = true
		}
	}
	if !f.IsWireGuard {
		return f, nil
	}
	if f.Device, err = p.Device(iface); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	if f.Rules4, err = p.Rules(rtnl.IPv4); err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	// A kernel without IPv6 policy routing has no IPv6 rules to remove.
	if f.Rules6, err = p.Rules(rtnl.IPv6); err != nil {
		f.Rules6 = nil
	}
	// Errors are ignored like upstream's 2>/dev/null: nothing found,
	// nothing removed.
	if f.HaveNft = p.Have("nft"); f.HaveNft {
		f.NftTables, _ = p.NftTables()
	}
	if f.HaveIptables = p.Have("iptables"); f.HaveIptables {
		f.IptablesSave = map[string]string{}
		for _, tool := range []string{"iptables", "ip6tables"} {
			if out, err := p.IptablesSave(tool); err == nil {
				f.IptablesSave[tool] = out
			}
		}
	}
	f.DNSBackend, f.DNSPrefix = p.DNS()
	return f, nil
}

const srcValidMark = "net.ipv4.conf.all.src_valid_mark"

// endpointMTUs are the MTU candidates towards the endpoints of wc, as
// routeMTU (a Prober's or FreeBSDProber's RouteMTU) gives them. Like
// upstream's `ip route get ... || true` (`route -n get` on the BSDs), an
// endpoint without a route just gives no candidate.
func endpointMTUs(routeMTU func(netip.Addr) (int, error), wc *wgtypes.Config) []int {
	var mtus []int
	for _, pc := range wc.Peers {
		if pc.Endpoint == nil {
			continue
		}
		if mtu, err := routeMTU(pc.Endpoint.Addr().Unmap()); err == nil && mtu > 0 {
			mtus = append(mtus, mtu)
		}
	}
	return mtus
}
