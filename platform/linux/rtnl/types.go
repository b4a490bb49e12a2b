package rtnl

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Family is an address family as used by rtnetlink (AF_INET, AF_INET6).
type Family uint8

const (
	// FamilyAll (AF_UNSPEC) asks listing calls for both IPv4 and IPv6.
	FamilyAll Family = afUnspec
	// IPv4 is AF_INET.
	IPv4 Family = afInet
	// IPv6 is AF_INET6.
	IPv6 Family = afInet6
)

func (f Family) String() string {
	switch f {
	case FamilyAll:
		return "all"
	case IPv4:
		return "inet"
	case IPv6:
		return "inet6"
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// familyOf returns the family of a; IPv4-mapped IPv6 addresses are IPv6.
func familyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// Link is a network interface as reported by RTM_GETLINK.
type Link struct {
	Index int
	Name  string
	// Flags holds the IFF_* bits (FlagUp, FlagRunning, ...).
	Flags uint32
	MTU   int
	// Kind is IFLA_LINKINFO/IFLA_INFO_KIND ("wireguard", "veth", ...);
	// empty for links without a driver kind, such as physical NICs.
	Kind string
}

// Up reports whether the link is administratively up (IFF_UP).
func (l Link) Up() bool { return l.Flags&FlagUp != 0 }

// Route is one routing table entry.
//
// When adding a route, zero fields take the values `ip route add` uses:
// Table main (254), Protocol boot (3), Type unicast (1), and Scope link
// (253) for a unicast route without Gateway, universe (0) otherwise. Metric
// 0 leaves the kernel default (0 for IPv4, 1024 for IPv6).
//
// When deleting, zero fields match any value, except Table, which still
// means main.
type Route struct {
	// Dst is the destination prefix; 0.0.0.0/0 and ::/0 are default routes.
	Dst netip.Prefix
	// Gateway is the next hop (RTA_GATEWAY), or the zero Addr for a route
	// straight out of the device.
	Gateway netip.Addr
	// LinkIndex is the output interface (RTA_OIF); 0 when unknown or for
	// routes without a device (blackhole, multipath).
	LinkIndex int
	// PrefSrc is the preferred source address (RTA_PREFSRC).
	PrefSrc  netip.Addr
	Table    uint32
	Protocol uint8
	Scope    uint8
	Type     uint8
	// Metric is the route priority (RTA_PRIORITY); lower wins.
	Metric uint32
	// MTU is the route's MTU metric (RTA_METRICS/RTAX_MTU); 0 if none.
	MTU uint32
}

// String formats r roughly as `ip route` prints it.
func (r Route) String() string {
	var b strings.Builder
	if r.Type != 0 && r.Type != TypeUnicast {
		b.WriteString(typeName(r.Type))
		b.WriteByte(' ')
	}
	if r.Dst.IsValid() && r.Dst.Bits() == 0 {
		b.WriteString("default")
		if r.Dst.Addr().Is6() {
			b.WriteString(" (::/0)")
		}
	} else {
		b.WriteString(r.Dst.String())
	}
	if r.Gateway.IsValid() {
		b.WriteString(" via ")
		b.WriteString(r.Gateway.String())
	}
	if r.LinkIndex != 0 {
		fmt.Fprintf(&b, " dev #%d", r.LinkIndex)
	}
	if r.Table != 0 {
		b.WriteString(" table ")
		b.WriteString(TableName(r.Table))
	}
	if r.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", r.Metric)
	}
	if r.MTU != 0 {
		fmt.Fprintf(&b, " mtu %d", r.MTU)
	}
	return b.String()
}

// Rule is one policy-routing (FIB) rule, as `ip rule` manages them.
//
// The two rules wg-quick adds for a full tunnel with table and mark T are
//
//	Rule{Family: f, Invert: true, Mark: T, Table: T}       // not fwmark T table T
//	Rule{Family: f, Table: TableMain, Suppress: true}      // table main suppress_prefixlength 0
//
// When adding, Priority 0 lets the kernel pick one just above the first
// rule after "local" (so the rule added last is consulted first), and
// Action 0 means ActionToTable. When deleting, zero fields match any rule;
// the kernel does not compare Invert when matching (net/core/fib_rules.c
// rule_find), so give Priority to tell apart two rules that differ only
// in it.
type Rule struct {
	Family Family
	// Priority is the rule's preference (FRA_PRIORITY); lower is consulted
	// first.
	Priority uint32
	Table    uint32
	// Mark and Mask match the packet's fwmark (FRA_FWMARK, FRA_FWMASK).
	// A zero Mask with a non-zero Mark means all ones.
	Mark, Mask uint32
	// Invert negates the selector (`ip rule add not ...`, FIB_RULE_INVERT).
	Invert bool
	// Suppress, with SuppressPrefixLen, makes the rule reject any route
	// lookup result whose prefix length is <= SuppressPrefixLen
	// (FRA_SUPPRESS_PREFIXLEN), so `table main suppress_prefixlength 0`
	// uses the main table for everything but its default route.
	Suppress          bool
	SuppressPrefixLen uint32
	// Action is the FR_ACT_* value; ActionToTable for table lookups.
	Action uint8
}

// String formats r roughly as `ip rule` prints it.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Family.String())
	if r.Priority != 0 {
		fmt.Fprintf(&b, " pref %d", r.Priority)
	}
	if r.Invert {
		b.WriteString(" not")
	}
	if r.Mark != 0 || r.Mask != 0 {
		fmt.Fprintf(&b, " fwmark %#x", r.Mark)
		if r.Mask != 0 && r.Mask != 0xffffffff {
			fmt.Fprintf(&b, "/%#x", r.Mask)
		}
	}
	if r.Table != 0 {
		b.WriteString(" table ")
		b.WriteString(TableName(r.Table))
	}
	if r.Suppress {
		fmt.Fprintf(&b, " suppress_prefixlength %d", r.SuppressPrefixLen)
	}
	if r.Action != 0 && r.Action != ActionToTable {
		fmt.Fprintf(&b, " action %d", r.Action)
	}
	return b.String()
}

// TableName returns "main", "local" or "default" for the well-known
// routing tables and the decimal id for the others.
func TableName(t uint32) string {
	switch t {
	case TableMain:
		return "main"
	case TableLocal:
		return "local"
	case TableDefault:
		return "default"
	}
	return strconv.FormatUint(uint64(t), 10)
}

func typeName(t uint8) string {
	switch t {
	case TypeUnicast:
		return "unicast"
	case TypeLocal:
		return "local"
	case TypeBroadcast:
		return "broadcast"
	case TypeBlackhole:
		return "blackhole"
	case TypeUnreachable:
		return "unreachable"
	case TypeProhibit:
		return "prohibit"
	}
	return "type" + strconv.Itoa(int(t))
}
