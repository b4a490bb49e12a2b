package rtnl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
)

// Request flags.
const (
	flagsAck    = netlink.Request | netlink.Acknowledge
	flagsCreate = flagsAck | netlink.Create | netlink.Excl
	flagsDump   = netlink.Request | netlink.Dump
)

// ne is the byte order of every integer in rtnetlink headers and
// attributes (addresses inside attributes are raw network-order bytes).
var ne = binary.NativeEndian

// maxIfnameLen is IFNAMSIZ-1: the longest interface name Linux accepts.
const maxIfnameLen = 15

var errBadName = errors.New("interface name must be 1 to 15 bytes without '/', ':' or white space")

func checkName(name string) error {
	if len(name) == 0 || len(name) > maxIfnameLen || name == "." || name == ".." {
		return errBadName
	}
	for _, c := range []byte(name) {
		if c == '/' || c == ':' || c == 0 || c == ' ' || c == '\t' || c == '\n' {
			return errBadName
		}
	}
	return nil
}

// ifinfomsg builds struct ifinfomsg: family u8, pad u8, type u16,
// index i32, flags u32, change u32.
func ifinfomsg(index int32, flags, change uint32) []byte {
	b := make([]byte, ifinfomsgLen)
	b[0] = afUnspec
	ne.PutUint32(b[4:], uint32(index))
	ne.PutUint32(b[8:], flags)
	ne.PutUint32(b[12:], change)
	return b
}

func encodeAttrs(hdr []byte, fn func(ae *netlink.AttributeEncoder)) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	return append(hdr, attrs...), nil
}

func message(typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) netlink.Message {
	return netlink.Message{Header: netlink.Header{Type: typ, Flags: flags}, Data: data}
}

// newLinkMsg is `ip link add dev NAME type KIND`.
func newLinkMsg(name, kind string) (netlink.Message, error) {
	b, err := encodeAttrs(ifinfomsg(0, 0, 0), func(ae *netlink.AttributeEncoder) {
		ae.String(iflaIfname, name)
		ae.Nested(iflaLinkinfo, func(nae *netlink.AttributeEncoder) error {
			nae.String(iflaInfoKind, kind)
			return nil
		})
	})
	return message(rtmNewLink, flagsCreate, b), err
}

// linkNameMsg addresses an existing link by name (ifi_index 0 plus
// IFLA_IFNAME), which RTM_GETLINK, RTM_DELLINK and RTM_SETLINK accept.
func linkNameMsg(typ netlink.HeaderType, flags netlink.HeaderFlags, name string, ifflags, change uint32, mtu uint32) (netlink.Message, error) {
	b, err := encodeAttrs(ifinfomsg(0, ifflags, change), func(ae *netlink.AttributeEncoder) {
		ae.String(iflaIfname, name)
		if mtu != 0 {
			ae.Uint32(iflaMTU, mtu)
		}
	})
	return message(typ, flags, b), err
}

func linkIndexMsg(index int) netlink.Message {
	return message(rtmGetLink, netlink.Request, ifinfomsg(int32(index), 0, 0))
}

// parseLink decodes an RTM_NEWLINK payload.
func parseLink(b []byte) (Link, error) {
	if len(b) < ifinfomsgLen {
		return Link{}, errShort("ifinfomsg", len(b))
	}
	l := Link{
		Index: int(int32(ne.Uint32(b[4:]))),
		Flags: ne.Uint32(b[8:]),
	}
	ad, err := netlink.NewAttributeDecoder(b[ifinfomsgLen:])
	if err != nil {
		return Link{}, err
	}
	for ad.Next() {
		switch ad.Type() {
		case iflaIfname:
			l.Name = ad.String()
		case iflaMTU:
			l.MTU = int(ad.Uint32())
		case iflaLinkinfo:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == iflaInfoKind {
						l.Kind = nad.String()
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return Link{}, err
	}
	return l, nil
}

// addrBytes returns a's bytes as the kernel wants them for f.
func addrBytes(a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return b[:]
	}
	b := a.As16()
	return b[:]
}

// addrMsg is `ip address add|del P dev #index`: struct ifaddrmsg (family,
// prefixlen, flags, scope u8; index u32) plus IFA_LOCAL and IFA_ADDRESS,
// both the address itself, as iproute2 sends when there is no peer.
func addrMsg(typ netlink.HeaderType, flags netlink.HeaderFlags, index int, p netip.Prefix) (netlink.Message, error) {
	if !p.IsValid() {
		return netlink.Message{}, fmt.Errorf("invalid prefix %v", p)
	}
	h := make([]byte, ifaddrmsgLen)
	h[0] = uint8(familyOf(p.Addr()))
	h[1] = uint8(p.Bits())
	ne.PutUint32(h[4:], uint32(index))
	a := addrBytes(p.Addr())
	b, err := encodeAttrs(h, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(ifaLocal, a)
		ae.Bytes(ifaAddress, a)
	})
	return message(typ, flags, b), err
}

// parseAddr decodes an RTM_NEWADDR payload into the link index and the
// local address with its prefix length.
func parseAddr(b []byte) (int, netip.Prefix, error) {
	if len(b) < ifaddrmsgLen {
		return 0, netip.Prefix{}, errShort("ifaddrmsg", len(b))
	}
	family, bits := b[0], int(b[1])
	index := int(ne.Uint32(b[4:]))
	ad, err := netlink.NewAttributeDecoder(b[ifaddrmsgLen:])
	if err != nil {
		return 0, netip.Prefix{}, err
	}
	var local, address []byte
	for ad.Next() {
		switch ad.Type() {
		case ifaLocal:
			local = ad.Bytes()
		case ifaAddress:
			address = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return 0, netip.Prefix{}, err
	}
	// On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
	raw := local
	if raw == nil {
		raw = address
	}
	a, err := parseIP(family, raw)
	if err != nil {
		return 0, netip.Prefix{}, err
	}
	p := netip.PrefixFrom(a, bits)
	if !p.IsValid() {
		return 0, netip.Prefix{}, fmt.Errorf("prefix length %d too long for %v", bits, a)
	}
	return index, p, nil
}

func parseIP(family uint8, b []byte) (netip.Addr, error) {
	switch {
	case family == afInet && len(b) == 4:
		return netip.AddrFrom4([4]byte(b)), nil
	case family == afInet6 && len(b) == 16:
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, fmt.Errorf("bad %v address of %d bytes", Family(family), len(b))
}

// routeMsg builds RTM_NEWROUTE or RTM_DELROUTE: struct rtmsg (family,
// dst_len, src_len, tos, table, protocol, scope, type u8; flags u32) plus
// attributes. The table id always goes in RTA_TABLE and, when it fits, in
// rtm_table too; ids >= 256 leave rtm_table RT_TABLE_UNSPEC.
func routeMsg(typ netlink.HeaderType, flags netlink.HeaderFlags, r Route) (netlink.Message, error) {
	if !r.Dst.IsValid() {
		return netlink.Message{}, errors.New("route needs a valid destination prefix")
	}
	fam := familyOf(r.Dst.Addr())
	if r.Gateway.IsValid() && familyOf(r.Gateway) != fam {
		return netlink.Message{}, fmt.Errorf("gateway %v is not %v", r.Gateway, fam)
	}
	if r.PrefSrc.IsValid() && familyOf(r.PrefSrc) != fam {
		return netlink.Message{}, fmt.Errorf("source %v is not %v", r.PrefSrc, fam)
	}
	del := typ == rtmDelRoute
	table := r.Table
	if table == 0 {
		table = TableMain
	}
	proto, typeb, scope := r.Protocol, r.Type, r.Scope
	if !del {
		if proto == 0 {
			proto = ProtoBoot
		}
		if typeb == 0 {
			typeb = TypeUnicast
		}
		if scope == ScopeUniverse && typeb == TypeUnicast && !r.Gateway.IsValid() {
			scope = ScopeLink
		}
	} else if scope == ScopeUniverse {
		scope = scopeNowhere // any scope, as `ip route del` asks
	}
	h := make([]byte, rtmsgLen)
	h[0] = uint8(fam)
	h[1] = uint8(r.Dst.Bits())
	if table < 256 {
		h[4] = uint8(table)
	}
	h[5], h[6], h[7] = proto, scope, typeb
	b, err := encodeAttrs(h, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(rtaTable, table)
		if r.Dst.Bits() > 0 {
			ae.Bytes(rtaDst, addrBytes(r.Dst.Masked().Addr()))
		}
		if r.Gateway.IsValid() {
			ae.Bytes(rtaGateway, addrBytes(r.Gateway))
		}
		if r.PrefSrc.IsValid() {
			ae.Bytes(rtaPrefSrc, addrBytes(r.PrefSrc))
		}
		if r.LinkIndex != 0 {
			ae.Uint32(rtaOIF, uint32(r.LinkIndex))
		}
		if r.Metric != 0 {
			ae.Uint32(rtaPriority, r.Metric)
		}
		if r.MTU != 0 {
			ae.Nested(rtaMetrics, func(nae *netlink.AttributeEncoder) error {
				nae.Uint32(rtaxMTU, r.MTU)
				return nil
			})
		}
	})
	return message(typ, flags, b), err
}

// routeGetMsg is `ip route get DST`: a full-length RTA_DST, and
// RTM_F_LOOKUP_TABLE so the reply names the table that matched.
func routeGetMsg(dst netip.Addr) (netlink.Message, error) {
	h := make([]byte, rtmsgLen)
	h[0] = uint8(familyOf(dst))
	h[1] = uint8(dst.BitLen())
	ne.PutUint32(h[8:], rtmFLookupTable)
	b, err := encodeAttrs(h, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(rtaDst, addrBytes(dst))
	})
	return message(rtmGetRoute, netlink.Request, b), err
}

// parseRoute decodes an RTM_NEWROUTE payload.
func parseRoute(b []byte) (Route, error) {
	if len(b) < rtmsgLen {
		return Route{}, errShort("rtmsg", len(b))
	}
	family, bits := b[0], int(b[1])
	r := Route{
		Table:    uint32(b[4]),
		Protocol: b[5],
		Scope:    b[6],
		Type:     b[7],
	}
	if family != afInet && family != afInet6 {
		return Route{}, fmt.Errorf("route of unknown family %d", family)
	}
	dst := netip.IPv4Unspecified()
	if family == afInet6 {
		dst = netip.IPv6Unspecified()
	}
	ad, err := netlink.NewAttributeDecoder(b[rtmsgLen:])
	if err != nil {
		return Route{}, err
	}
	var perr error
	ip := func() netip.Addr {
		a, err := parseIP(family, ad.Bytes())
		if err != nil && perr == nil {
			perr = err
		}
		return a
	}
	for ad.Next() {
		switch ad.Type() {
		case rtaDst:
			dst = ip()
		case rtaGateway:
			r.Gateway = ip()
		case rtaPrefSrc:
			r.PrefSrc = ip()
		case rtaOIF:
			r.LinkIndex = int(ad.Uint32())
		case rtaPriority:
			r.Metric = ad.Uint32()
		case rtaTable:
			r.Table = ad.Uint32()
		case rtaMetrics:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == rtaxMTU {
						r.MTU = nad.Uint32()
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return Route{}, err
	}
	if perr != nil {
		return Route{}, perr
	}
	r.Dst = netip.PrefixFrom(dst, bits)
	if !r.Dst.IsValid() {
		return Route{}, fmt.Errorf("route prefix length %d too long for %v", bits, dst)
	}
	return r, nil
}

// ruleMsg builds RTM_NEWRULE or RTM_DELRULE: struct fib_rule_hdr (family,
// dst_len, src_len, tos, table, res1, res2, action u8; flags u32) plus
// attributes, with the same table convention as routeMsg.
func ruleMsg(typ netlink.HeaderType, flags netlink.HeaderFlags, r Rule) (netlink.Message, error) {
	if r.Family != IPv4 && r.Family != IPv6 {
		return netlink.Message{}, fmt.Errorf("rule family must be inet or inet6, not %v", r.Family)
	}
	action := r.Action
	if action == 0 {
		action = ActionToTable
	}
	if action == ActionToTable && r.Table == 0 && typ == rtmNewRule {
		return netlink.Message{}, errors.New("rule needs a table")
	}
	h := make([]byte, fibRuleHdrLen)
	h[0] = uint8(r.Family)
	if r.Table < 256 {
		h[4] = uint8(r.Table)
	}
	h[7] = action
	if r.Invert {
		ne.PutUint32(h[8:], fibRuleInvert)
	}
	b, err := encodeAttrs(h, func(ae *netlink.AttributeEncoder) {
		if r.Table != 0 {
			ae.Uint32(fraTable, r.Table)
		}
		if r.Priority != 0 {
			ae.Uint32(fraPriority, r.Priority)
		}
		if r.Mark != 0 || r.Mask != 0 {
			ae.Uint32(fraFwmark, r.Mark)
		}
		if r.Mask != 0 {
			ae.Uint32(fraFwmask, r.Mask)
		}
		if r.Suppress {
			ae.Uint32(fraSuppressPrefixln, r.SuppressPrefixLen)
		}
	})
	return message(typ, flags, b), err
}

// parseRule decodes an RTM_NEWRULE payload.
func parseRule(b []byte) (Rule, error) {
	if len(b) < fibRuleHdrLen {
		return Rule{}, errShort("fib_rule_hdr", len(b))
	}
	r := Rule{
		Family: Family(b[0]),
		Table:  uint32(b[4]),
		Action: b[7],
		Invert: ne.Uint32(b[8:])&fibRuleInvert != 0,
	}
	ad, err := netlink.NewAttributeDecoder(b[fibRuleHdrLen:])
	if err != nil {
		return Rule{}, err
	}
	for ad.Next() {
		switch ad.Type() {
		case fraTable:
			r.Table = ad.Uint32()
		case fraPriority:
			r.Priority = ad.Uint32()
		case fraFwmark:
			r.Mark = ad.Uint32()
		case fraFwmask:
			r.Mask = ad.Uint32()
		case fraSuppressPrefixln:
			// The kernel stores "unset" as -1 and may report it.
			if v := ad.Uint32(); v != 0xffffffff {
				r.Suppress, r.SuppressPrefixLen = true, v
			}
		}
	}
	if err := ad.Err(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// dumpMsg asks for every object of a kind: the payload is the type's
// fixed header with only the family set (zeros elsewhere pass the
// kernel's strict dump checks).
func dumpMsg(typ netlink.HeaderType, hdrLen int, f Family) netlink.Message {
	h := make([]byte, hdrLen)
	h[0] = uint8(f)
	return message(typ, flagsDump, h)
}

func errShort(what string, n int) error {
	return fmt.Errorf("%s: short message of %d bytes", what, n)
}
