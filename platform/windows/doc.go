// Package windows runs and reaches userspace WireGuard tunnels on Windows.
//
//   - StartDaemon brings one tunnel up in this process: a Wintun adapter
//     (tundev), the core engine with the batched UDP bind (bind), and the
//     UAPI named pipe (pipe) serving the engine to wg. A service (service) or
//     a foreground command calls it, then configures addresses, routes and
//     DNS with iphelper using Daemon.LUID.
//   - RunTunnel is the whole tunnel a service owns (the wireguard-windows
//     design): StartDaemon, the engine's configuration, addresses, routes,
//     MTU and DNS through iphelper, hooks only if HooksEnabled, a route
//     watch that re-plans the endpoint host routes, and the teardown in
//     reverse. Its sequencing is tested on every OS against doubles.
//   - Driver is the platform.Driver that reaches running tunnels over
//     their pipes, for wg and wg-quick (platform/host uses it on Windows).
//   - Warnings is the table of wg-quick keys Windows cannot honour.
//
// The subpackages do the OS work:
//
//   - tundev: the Wintun TUN device (core/tun.Device);
//   - pipe: the UAPI named pipe (core/uapi over \\.\pipe\...);
//   - iphelper: addresses, routes, MTU and DNS through IP Helper;
//   - service: running a tunnel as a Windows service.
//
// Only the hook runner and HooksEnabled (the registry) are Windows files:
// on other systems the Windows calls fail with errors.ErrUnsupported from
// the subpackages, and the logic is tested there with in-memory TUNs,
// unix sockets standing in for pipes and an IP configuration double.
// Importers: platform/host, the daemon's Windows command line and the
// wg-quick Windows backend (which turns a configuration file into a
// Tunnel). See docs/windows.md for the user's view.
package windows
