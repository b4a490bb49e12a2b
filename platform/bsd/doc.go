// Package bsd is the part of the BSD host side shared by FreeBSD and
// OpenBSD: routes through the PF_ROUTE routing socket, and the route
// planning wg-quick(8) does on both systems.
//
// Most of it is pure and portable, tested on any OS:
//
//   - Route is one routing-table entry as wg-quick manages it (to a prefix
//     via an interface, via a gateway, or a blackhole), printed as the
//     route(8) command upstream wg-quick runs for it.
//   - PlanRoutes turns a configuration (addresses, effective allowed IPs,
//     resolved endpoints, Table) and the current default gateways into the
//     routes `wg-quick up` adds: allowed-IP routes via the interface, a
//     default route split into two /1 halves, and a host route per endpoint
//     via the previous default gateway (spec wg-quick.md §7).
//   - Endpoints.Reconcile is the route monitor's decision when the
//     default gateway or the endpoint list changes; RunMonitor is its loop
//     over an injected system (MonitorSystem).
//   - DefaultGateways picks the default gateways out of a routing table
//     dump, as upstream's `netstat -nr` parsing does.
//
// The routing socket itself (Conn: add, delete, get, dump, monitor) lives
// in rtsock_bsd.go and uses golang.org/x/net/route to marshal and parse
// messages; it builds only on FreeBSD and OpenBSD, and other systems get
// a Conn whose methods return errors.ErrUnsupported.
//
// It also holds the small kernel-interface pieces both systems share:
// ioctl request encoding (IOW, IOR, IOWR) and the raw Ioctl call
// (FreeBSD and OpenBSD only), struct ifreq views and interface names,
// SIOCGIFGMEMB group listing, sockaddrs of endpoints and interface
// addresses, and the tun(4) address-family header. Subpackage rollback
// restores a WireGuard device that a failed SIOCSWG changed in part.
//
// Importers: platform/freebsd, platform/openbsd and wg-quick; nothing in
// core/.
package bsd
