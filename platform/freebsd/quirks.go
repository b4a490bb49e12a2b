package freebsd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Keys are the wg-quick values whose meaning differs on FreeBSD.
type Keys struct {
	Iface string
	// FwMark is the FwMark value; 0 is unset or off.
	FwMark uint32
	// Table is the Table value as written ("" when absent).
	Table string
	// Default4 and Default6 say an allowed IP is 0.0.0.0/0 or ::/0.
	Default4, Default6 bool
}

// Warnings returns, in key order, the exact "[!] ..." lines wg-quick
// prints for keys that mean something else on FreeBSD than on Linux. None
// is an error: the tunnel still comes up (ParseTable reports the Table
// values that cannot work).
func Warnings(k Keys) []string {
	var out []string
	if k.FwMark != 0 {
		out = append(out, fmt.Sprintf("[!] FwMark = %#x: on FreeBSD this is a socket cookie (SO_USER_COOKIE) on %s's UDP sockets that ipfw(8) and pf(4) rules can match, not a routing mark: no policy routing uses it, and PostUp rules written for Linux's fwmark will not work", k.FwMark, k.Iface))
	}
	t := strings.ToLower(strings.TrimSpace(k.Table))
	def := k.Default4 || k.Default6
	switch {
	case t == "off" || t == "main":
	case t == "" || t == "auto":
		if def {
			out = append(out, fmt.Sprintf("[!] Table = auto: the default route goes through %s as %s, plus a host route to each endpoint via the current default gateway, kept up to date by a route monitor; not Linux's table %d with fwmark rules", k.Iface, halves(k), 51820))
		}
	default:
		if n, err := strconv.ParseUint(t, 10, 32); err == nil {
			if def {
				out = append(out, fmt.Sprintf("[!] Table = %d: FIB %d, not a Linux routing table; its default route is added as it is, without the /1 split or endpoint routes: only processes run with setfib(1) %d use it", n, n, n))
			} else {
				out = append(out, fmt.Sprintf("[!] Table = %d: FIB %d, not a Linux routing table: only processes run with setfib(1) %d use these routes", n, n, n))
			}
		}
	}
	return out
}

func halves(k Keys) string {
	var s []string
	if k.Default4 {
		s = append(s, "0.0.0.0/1 and 128.0.0.0/1")
	}
	if k.Default6 {
		s = append(s, "::/1 and 8000::/1")
	}
	return strings.Join(s, ", ")
}

// ParseTable interprets the Table value on a system with fibs FIBs
// (sysctl net.fibs): off, auto (the main FIB, 0, with the default-route
// handling), main (FIB 0 without it, as upstream treats any value other
// than auto), or a FIB number below fibs. FreeBSD has no named tables.
func ParseTable(v string, fibs int) (fib uint32, auto, off bool, err error) {
	switch t := strings.ToLower(strings.TrimSpace(v)); t {
	case "", "auto":
		return 0, true, false, nil
	case "off":
		return 0, false, true, nil
	case "main":
		return 0, false, false, nil
	default:
		n, perr := strconv.ParseUint(t, 10, 32)
		if perr != nil {
			return 0, false, false, fmt.Errorf("platform/freebsd: Table = %s: FreeBSD has no named routing tables; use a FIB number, auto or off", v)
		}
		if fibs > 0 && n >= uint64(fibs) {
			return 0, false, false, fmt.Errorf("platform/freebsd: Table = %d: FIB %d does not exist (net.fibs=%d)", n, n, fibs)
		}
		return uint32(n), false, false, nil
	}
}

// SetDNS is the command wg-quick runs to install DNS servers and search
// domains for iface, and its standard input, as upstream's set_dns:
// `resolvconf -a IFACE -x` reading "nameserver X" lines and a "search"
// line. With no servers there is nothing to run (args is nil): search
// domains alone do nothing, as upstream.
func SetDNS(iface string, servers []netip.Addr, search []string) (args []string, stdin string) {
	if len(servers) == 0 {
		return nil, ""
	}
	var b strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	return []string{"resolvconf", "-a", iface, "-x"}, b.String()
}

// UnsetDNS is the command that removes them again (`resolvconf -d IFACE`).
func UnsetDNS(iface string) []string { return []string{"resolvconf", "-d", iface} }
