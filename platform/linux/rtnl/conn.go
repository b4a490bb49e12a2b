package rtnl

import (
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
)

// Conn is an rtnetlink socket. It is safe for concurrent use; requests are
// serialised on the socket. The socket stays in the network namespace it
// was opened in.
type Conn struct {
	nl *netlink.Conn
}

// newConn wraps an open netlink connection (a real socket or, in tests,
// an nltest fake kernel).
func newConn(nl *netlink.Conn) *Conn { return &Conn{nl: nl} }

// Close closes the socket.
func (c *Conn) Close() error { return c.nl.Close() }

// dumpRetries bounds how often a dump flagged NLM_F_DUMP_INTR is redone.
const dumpRetries = 10

// do sends one request and returns the replies, mapping errors.
func (c *Conn) do(op, target string, m netlink.Message, err error) ([]netlink.Message, error) {
	if err != nil {
		return nil, wrapErr(op, target, err)
	}
	msgs, err := c.nl.Execute(m)
	if err != nil {
		return nil, wrapErr(op, target, err)
	}
	return msgs, nil
}

// dump runs a dump request and returns the payloads of the replies of
// type want, starting over when the kernel flags the dump inconsistent.
func (c *Conn) dump(op string, m netlink.Message, want netlink.HeaderType) ([][]byte, error) {
	for range dumpRetries {
		msgs, err := c.nl.Execute(m)
		if err != nil {
			return nil, wrapErr(op, "", err)
		}
		var out [][]byte
		intr := false
		for _, r := range msgs {
			if r.Header.Flags&netlink.DumpInterrupted != 0 {
				intr = true
				break
			}
			if r.Header.Type == want {
				out = append(out, r.Data)
			}
		}
		if !intr {
			return out, nil
		}
	}
	return nil, wrapErr(op, "", ErrDumpInterrupted)
}

// isInet reports whether a dump reply is about IPv4 or IPv6. AF_UNSPEC
// dumps also return other families' objects, such as the multicast
// routing rules (RTNL_FAMILY_IPMR 128, RTNL_FAMILY_IP6MR 129).
func isInet(d []byte) bool {
	return len(d) > 0 && (d[0] == afInet || d[0] == afInet6)
}

// CreateLink adds a link called name of the given kind ("wireguard",
// "dummy", ...), down, like `ip link add dev NAME type KIND`. An existing
// name gives an error wrapping os.ErrExist; an unknown kind (module not
// available) one wrapping errors.ErrUnsupported.
func (c *Conn) CreateLink(name, kind string) error {
	const op = "create link"
	target := name + " type " + kind
	if err := checkName(name); err != nil {
		return wrapErr(op, fmt.Sprintf("%q", name), err)
	}
	m, err := newLinkMsg(name, kind)
	_, err = c.do(op, target, m, err)
	return err
}

// DeleteLink removes the link called name, and with it its addresses and
// routes. A missing link gives an error wrapping os.ErrNotExist.
func (c *Conn) DeleteLink(name string) error {
	m, err := linkNameMsg(rtmDelLink, flagsAck, name, 0, 0, 0)
	_, err = c.do("delete link", name, m, err)
	return err
}

// LinkByName returns the link called name, or an error wrapping
// os.ErrNotExist.
func (c *Conn) LinkByName(name string) (Link, error) {
	const op = "get link"
	if err := checkName(name); err != nil {
		return Link{}, wrapErr(op, fmt.Sprintf("%q", name), err)
	}
	m, err := linkNameMsg(rtmGetLink, netlink.Request, name, 0, 0, 0)
	msgs, err := c.do(op, name, m, err)
	if err != nil {
		return Link{}, err
	}
	return c.oneLink(op, name, msgs)
}

// LinkByIndex returns the link with the given interface index, or an
// error wrapping os.ErrNotExist.
func (c *Conn) LinkByIndex(index int) (Link, error) {
	const op = "get link"
	target := fmt.Sprintf("index %d", index)
	msgs, err := c.do(op, target, linkIndexMsg(index), nil)
	if err != nil {
		return Link{}, err
	}
	return c.oneLink(op, target, msgs)
}

func (c *Conn) oneLink(op, target string, msgs []netlink.Message) (Link, error) {
	for _, m := range msgs {
		if m.Header.Type == rtmNewLink {
			l, err := parseLink(m.Data)
			return l, wrapErr(op, target, err)
		}
	}
	return Link{}, wrapErr(op, target, fmt.Errorf("no RTM_NEWLINK in %d replies", len(msgs)))
}

// Links lists every link in the namespace.
func (c *Conn) Links() ([]Link, error) {
	const op = "list links"
	datas, err := c.dump(op, dumpMsg(rtmGetLink, ifinfomsgLen, FamilyAll), rtmNewLink)
	if err != nil {
		return nil, err
	}
	links := make([]Link, 0, len(datas))
	for _, d := range datas {
		l, err := parseLink(d)
		if err != nil {
			return nil, wrapErr(op, "", err)
		}
		links = append(links, l)
	}
	return links, nil
}

// SetLinkUp brings the link up, like `ip link set up dev NAME`.
func (c *Conn) SetLinkUp(name string) error {
	m, err := linkNameMsg(rtmSetLink, flagsAck, name, FlagUp, FlagUp, 0)
	_, err = c.do("set link up", name, m, err)
	return err
}

// SetLinkDown takes the link down, like `ip link set down dev NAME`.
func (c *Conn) SetLinkDown(name string) error {
	m, err := linkNameMsg(rtmSetLink, flagsAck, name, 0, FlagUp, 0)
	_, err = c.do("set link down", name, m, err)
	return err
}

// SetLinkMTU sets the link's MTU, like `ip link set mtu MTU dev NAME`.
func (c *Conn) SetLinkMTU(name string, mtu int) error {
	const op = "set link mtu"
	target := fmt.Sprintf("%s mtu %d", name, mtu)
	if mtu <= 0 || mtu > 1<<31-1 {
		return wrapErr(op, target, fmt.Errorf("mtu must be positive"))
	}
	m, err := linkNameMsg(rtmSetLink, flagsAck, name, 0, 0, uint32(mtu))
	_, err = c.do(op, target, m, err)
	return err
}

// index resolves a link name for the calls that need an ifindex.
func (c *Conn) index(op, target, name string) (int, error) {
	l, err := c.LinkByName(name)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", op, target, err)
	}
	return l.Index, nil
}

// AddAddress adds p (the interface's address with the subnet's prefix
// length, e.g. 10.0.0.1/24) to the link, like `ip address add P dev NAME`.
// An address already present gives an error wrapping os.ErrExist.
func (c *Conn) AddAddress(link string, p netip.Prefix) error {
	return c.addr("add address", rtmNewAddr, flagsCreate, link, p)
}

// DeleteAddress removes p from the link.
func (c *Conn) DeleteAddress(link string, p netip.Prefix) error {
	return c.addr("delete address", rtmDelAddr, flagsAck, link, p)
}

func (c *Conn) addr(op string, typ netlink.HeaderType, flags netlink.HeaderFlags, link string, p netip.Prefix) error {
	target := p.String() + " dev " + link
	idx, err := c.index(op, target, link)
	if err != nil {
		return err
	}
	m, err := addrMsg(typ, flags, idx, p)
	_, err = c.do(op, target, m, err)
	return err
}

// Addresses lists the IPv4 and IPv6 addresses on the link, including
// kernel-made ones such as IPv6 link-local addresses.
func (c *Conn) Addresses(link string) ([]netip.Prefix, error) {
	const op = "list addresses"
	idx, err := c.index(op, link, link)
	if err != nil {
		return nil, err
	}
	datas, err := c.dump(op, dumpMsg(rtmGetAddr, ifaddrmsgLen, FamilyAll), rtmNewAddr)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	for _, d := range datas {
		if !isInet(d) {
			continue
		}
		i, p, err := parseAddr(d)
		if err != nil {
			return nil, wrapErr(op, link, err)
		}
		if i == idx {
			out = append(out, p)
		}
	}
	return out, nil
}

// AddRoute adds r (see Route for the defaults of zero fields). A route
// already present gives an error wrapping os.ErrExist.
func (c *Conn) AddRoute(r Route) error {
	m, err := routeMsg(rtmNewRoute, flagsCreate, r)
	_, err = c.do("add route", r.String(), m, err)
	return err
}

// DeleteRoute removes the first route matching r (zero fields match
// anything except Table, where zero means main). No match gives an error
// wrapping os.ErrNotExist.
func (c *Conn) DeleteRoute(r Route) error {
	m, err := routeMsg(rtmDelRoute, flagsAck, r)
	_, err = c.do("delete route", r.String(), m, err)
	return err
}

// Routes lists the routes of family f (FamilyAll for both) in table, or
// in every table (local and main included) when table is 0.
func (c *Conn) Routes(f Family, table uint32) ([]Route, error) {
	const op = "list routes"
	datas, err := c.dump(op, dumpMsg(rtmGetRoute, rtmsgLen, f), rtmNewRoute)
	if err != nil {
		return nil, err
	}
	var out []Route
	for _, d := range datas {
		if !isInet(d) {
			continue
		}
		r, err := parseRoute(d)
		if err != nil {
			return nil, wrapErr(op, "", err)
		}
		if table == 0 || r.Table == table {
			out = append(out, r)
		}
	}
	return out, nil
}

// RouteGet asks the kernel which route it would use to send to dst, like
// `ip route get DST`: the result has Dst = dst as a host prefix, and
// LinkIndex, Gateway, PrefSrc, Table and MTU (if the route or a cached
// path MTU sets one) of the decision. No route gives an error wrapping
// the kernel's ENETUNREACH.
func (c *Conn) RouteGet(dst netip.Addr) (Route, error) {
	const op = "get route"
	target := "to " + dst.String()
	if !dst.IsValid() {
		return Route{}, wrapErr(op, target, fmt.Errorf("invalid address"))
	}
	m, err := routeGetMsg(dst)
	msgs, err := c.do(op, target, m, err)
	if err != nil {
		return Route{}, err
	}
	for _, m := range msgs {
		if m.Header.Type == rtmNewRoute {
			r, err := parseRoute(m.Data)
			return r, wrapErr(op, target, err)
		}
	}
	return Route{}, wrapErr(op, target, fmt.Errorf("no RTM_NEWROUTE in %d replies", len(msgs)))
}

// RouteMTU is the MTU wg-quick considers for a path to dst: the MTU of
// the route the kernel picks if it has one, else the MTU of that route's
// output device (linux.bash get_mtu).
func (c *Conn) RouteMTU(dst netip.Addr) (int, error) {
	r, err := c.RouteGet(dst)
	if err != nil {
		return 0, err
	}
	if r.MTU != 0 {
		return int(r.MTU), nil
	}
	if r.LinkIndex == 0 {
		return 0, wrapErr("get route mtu", "to "+dst.String(), fmt.Errorf("route %v has no device", r))
	}
	l, err := c.LinkByIndex(r.LinkIndex)
	if err != nil {
		return 0, fmt.Errorf("get route mtu: to %v: %w", dst, err)
	}
	return l.MTU, nil
}

// AddRule adds the policy-routing rule r. An identical rule with the same
// explicit Priority gives an error wrapping os.ErrExist; without Priority
// the kernel gives the copy a new preference and adds it again (like
// `ip rule add`), so callers that may repeat themselves should set one or
// list first.
func (c *Conn) AddRule(r Rule) error {
	m, err := ruleMsg(rtmNewRule, flagsCreate, r)
	_, err = c.do("add rule", r.String(), m, err)
	return err
}

// DeleteRule removes the first rule matching r (see Rule). No match gives
// an error wrapping os.ErrNotExist.
func (c *Conn) DeleteRule(r Rule) error {
	m, err := ruleMsg(rtmDelRule, flagsAck, r)
	_, err = c.do("delete rule", r.String(), m, err)
	return err
}

// Rules lists the rules of family f (FamilyAll for both) in the order the
// kernel consults them.
func (c *Conn) Rules(f Family) ([]Rule, error) {
	const op = "list rules"
	datas, err := c.dump(op, dumpMsg(rtmGetRule, fibRuleHdrLen, f), rtmNewRule)
	if err != nil {
		return nil, err
	}
	out := make([]Rule, 0, len(datas))
	for _, d := range datas {
		if !isInet(d) {
			continue
		}
		r, err := parseRule(d)
		if err != nil {
			return nil, wrapErr(op, "", err)
		}
		out = append(out, r)
	}
	return out, nil
}
