package quick

import (
	"fmt"
	"net/netip"

	"github.com/wgshim/wgshim/platform/openbsd/wgio"
	"github.com/wgshim/wgshim/wg-quick/config"
)

// Exact texts upstream prints about DNS (openbsd.bash set_dns).
const (
	WarnUnwind      = "[!] WARNING: unwind will leak DNS queries"
	WarnResolvd     = "[!] WARNING: resolvd may leak DNS queries"
	NoteNoResolvd   = "[+] resolvd is not running, DNS will not be configured"
	NoteMonitor     = "[+] Backgrounding route monitor"
	noSaveConfigFmt = "[!] SaveConfig = true: saving the running configuration is not implemented on OpenBSD yet; %s is left as it is"
)

// DNSWarnings is upstream's choice for DNS = servers: unwind(8) running
// wins (it leaks queries to its other resolvers), then resolvd(8) (it
// may merge other interfaces' servers); with neither, DNS is skipped.
// configure says whether to set the servers.
func DNSWarnings(unwind, resolvd bool) (lines []string, configure bool) {
	switch {
	case unwind:
		return []string{WarnUnwind}, true
	case resolvd:
		return []string{WarnResolvd}, true
	}
	return []string{NoteNoResolvd}, false
}

// Warnings are the "[!]" lines for keys of c that mean something else on
// OpenBSD than on Linux, in key order:
//
//   - FwMark = N: there are no packet marks; wg(4) uses N as the routing
//     table (rtable) its encrypted UDP traffic is sent through.
//   - Table = N: routes go into routing table N (`route -T N`), and a
//     default route there is added as is; nothing steers traffic into
//     that table unless the interface is in its routing domain or pf
//     says so.
//   - Table = auto (or unset) with a /0 allowed IP: no policy routing;
//     the tunnel takes the two /1 halves and adds endpoint host routes
//     through the current default gateway, kept up to date by a route
//     monitor.
//   - Table = off: as on Linux, no routes at all; with a /0 nothing is
//     taken over either.
//
// Errors for values OpenBSD cannot express are returned by Check.
func Warnings(c *config.Config) []string {
	var w []string
	i := &c.Interface
	if i.FwMark != nil && i.FwMark.V != 0 {
		w = append(w, fmt.Sprintf("[!] %s: FwMark = %d: OpenBSD has no packet marks; wg(4) sends the encrypted UDP traffic through routing table (rtable) %d instead, which must exist",
			i.FwMark.Pos, i.FwMark.V, i.FwMark.V))
	}
	hasDefault := false
	for _, p := range c.Peers {
		for _, a := range p.AllowedIPs {
			if a.V.Bits() == 0 {
				hasDefault = true
			}
		}
	}
	t := config.Table{Mode: config.TableAuto}
	var pos config.Pos
	if i.Table != nil {
		t, pos = i.Table.V, i.Table.Pos
	}
	switch t.Mode {
	case config.TableNumber:
		w = append(w, fmt.Sprintf("[!] %s: Table = %d: routes go into routing table %d (route -T %d); a default route is added there as it is, and only traffic of routing domain %d or sent there by pf(4) uses it",
			pos, t.ID, t.ID, t.ID, t.ID))
	case config.TableAuto:
		if hasDefault {
			w = append(w, "[!] Table = auto with a default route: OpenBSD has no policy routing; the tunnel takes 0.0.0.0/1 and 128.0.0.0/1 (::/1 and 8000::/1) and routes each endpoint through the current default gateway, kept up to date by a route monitor")
		}
	case config.TableOff:
		if hasDefault {
			w = append(w, fmt.Sprintf("[!] %s: Table = off: no routes are added, not even for the default route; route traffic into the tunnel yourself", pos))
		}
	}
	return w
}

// Check returns the errors for values OpenBSD cannot express: FwMark and
// Table above the highest routing table, named tables.
func Check(c *config.Config) error {
	i := &c.Interface
	if i.FwMark != nil && i.FwMark.V > wgio.RtableMax {
		return fmt.Errorf("%s: FwMark = %d: on OpenBSD this is the routing table of the encrypted traffic, which must be 0-%d", i.FwMark.Pos, i.FwMark.V, wgio.RtableMax)
	}
	if i.Table != nil {
		switch t := i.Table.V; t.Mode {
		case config.TableNumber:
			if t.ID > wgio.RtableMax {
				return fmt.Errorf("%s: Table = %d: OpenBSD routing tables are 0-%d", i.Table.Pos, t.ID, wgio.RtableMax)
			}
		case config.TableName:
			return fmt.Errorf("%s: Table = %s: OpenBSD routing tables have numbers (0-%d), not names", i.Table.Pos, t.Name, wgio.RtableMax)
		}
	}
	return nil
}

// firstAddrs are upstream's FIRSTADDR4 and FIRSTADDR6: the first address
// of each family in Address order, the local end routes are set with.
func firstAddrs(c *config.Config) (v4, v6 netip.Addr) {
	for _, a := range c.Interface.Address {
		ad := a.V.Addr()
		if ad.Is4() && !v4.IsValid() {
			v4 = ad
		}
		if ad.Is6() && !v6.IsValid() {
			v6 = ad
		}
	}
	return v4, v6
}
