// Package rtnl speaks the Linux rtnetlink protocol (NETLINK_ROUTE): network
// links, addresses, routes and policy-routing (FIB) rules.
//
// It is what wg-quick on Linux and the Linux kernel driver use for
// everything except WireGuard's own configuration, which travels over the
// "wireguard" generic netlink family and lives elsewhere. The operations
// mirror the iproute2 commands wg-quick runs (see
// /work/shared/spec/wg-quick.md and linux-netlink.md §5):
//
//	ip link add dev wg0 type wireguard     Conn.CreateLink("wg0", "wireguard")
//	ip link set mtu 1420 up dev wg0        Conn.SetLinkMTU, Conn.SetLinkUp
//	ip -4 address add 10.0.0.1/24 dev wg0  Conn.AddAddress
//	ip route add 10.0.0.0/8 dev wg0 ...    Conn.AddRoute
//	ip route get 192.0.2.1                 Conn.RouteGet, Conn.RouteMTU
//	ip rule add not fwmark 51820 ...       Conn.AddRule
//	ip link delete dev wg0                 Conn.DeleteLink
//
// Framing (nlmsghdr, attributes, dumps, acknowledgements) comes from
// github.com/mdlayher/netlink; this package encodes and decodes the
// rtnetlink payloads itself (ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr and
// their attributes, laid out as in the kernel's include/uapi/linux/
// rtnetlink.h, if_link.h, if_addr.h and fib_rules.h). The encoders and
// decoders are plain Go and are tested on every OS; only Dial needs Linux,
// and on other systems it returns an error wrapping errors.ErrUnsupported.
//
// Errors read "op: target: cause" and wrap the kernel's errno, mapped so
// that errors.Is works with os.ErrPermission (EPERM: the caller lacks
// CAP_NET_ADMIN), os.ErrExist (EEXIST) and os.ErrNotExist (ENODEV, ENOENT,
// ESRCH). It does not watch for changes (no multicast groups), does not do
// multipath routes, and knows nothing about WireGuard peers.
//
// Importers: platform/linux (the kernel driver and the host backend) and
// wg-quick's Linux backend. Nothing in core/ may import it.
package rtnl
