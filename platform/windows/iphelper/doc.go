// Package iphelper configures the IP interface of a tunnel adapter through
// the Windows IP Helper API (iphlpapi.dll): addresses, routes, MTU,
// interface metric and DNS, keyed by the adapter's NET_LUID (spec
// windows.md §4).
//
// The decisions are plain functions without build tags, tested on every OS:
//
//   - PlanRoutes turns allowed IPs and peer endpoints into routes that do
//     not loop: a /0 becomes two /1 halves on the tunnel (the real default
//     route stays, and loses on prefix length, as wg-quick does on the
//     BSDs and macOS), and every endpoint that a tunnel route would capture
//     gets a host route through the route it used before the tunnel came
//     up.
//   - Settings (MTU, metric, router discovery, DAD) per address family,
//     DNS server and search lists per family, and address differences.
//
// Apply reads the route table, applies addresses, interface settings,
// routes and DNS in that order, all or nothing, and returns an Applied:
// Undo reverts it, and Replan (from a WatchRoutes callback, or when a peer
// roams) re-plans against the current table and endpoints and changes only
// the routes that differ, adding before deleting. The sequencing runs
// against an interface that tests fake on every OS. It uses the row
// types of golang.org/x/sys/windows and binds the few missing functions
// (Create/Delete/Set*, SetInterfaceDnsSettings) from iphlpapi.dll itself;
// golang.zx2c4.com/wireguard/windows/tunnel/winipcfg was not used, to keep
// its module's dependencies (UI libraries, wireguard-go) out of go.mod.
//
// The kill switch is not here: it is WFP filters, platform/windows/firewall.
//
// Importers: platform/windows and the wg-quick Windows backend.
package iphelper
