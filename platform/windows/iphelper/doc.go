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
//     up. DiffRoutes re-plans after the underlay changes (roaming).
//   - Settings (MTU, metric, router discovery, DAD) per address family,
//     DNS server and search lists per family, and address differences.
//
// The Windows glue (Apply) reads the route table once, applies addresses,
// interface settings, routes and DNS in that order, and returns an undo
// function; on failure everything already done is undone. It uses the row
// types of golang.org/x/sys/windows and binds the few missing functions
// (Create/Delete/Set*, SetInterfaceDnsSettings) from iphlpapi.dll itself;
// golang.zx2c4.com/wireguard/windows/tunnel/winipcfg was not used, to keep
// its module's dependencies (UI libraries, wireguard-go) out of go.mod.
//
// What it does not: watch the route table (the caller re-runs PlanRoutes
// and DiffRoutes on a NotifyRouteChange2 callback), and it has no kill
// switch: KillSwitch returns errors.ErrUnsupported (it needs WFP rules,
// spec windows.md §4.3).
//
// Importers: platform/windows and the wg-quick Windows backend.
package iphelper
