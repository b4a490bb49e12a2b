// Package windows runs and reaches userspace WireGuard tunnels on Windows.
//
//   - StartDaemon brings one tunnel up in this process: a Wintun adapter
//     (tundev), the core engine with the standard UDP bind, and the UAPI
//     named pipe (pipe) serving the engine to wg. A service (service) or
//     a foreground command calls it, then configures addresses, routes and
//     DNS with iphelper using Daemon.LUID.
//   - Driver is the platform.Driver that reaches running tunnels over
//     their pipes, for wg and wg-quick.
//   - Warnings is the table of wg-quick keys Windows cannot honour.
//
// The subpackages do the OS work:
//
//   - tundev: the Wintun TUN device (core/tun.Device);
//   - pipe: the UAPI named pipe (core/uapi over \\.\pipe\...);
//   - iphelper: addresses, routes, MTU and DNS through IP Helper;
//   - service: running a tunnel as a Windows service.
//
// This package has no build tags: on other systems its Windows calls fail
// with errors.ErrUnsupported from the subpackages, and its logic is tested
// there with in-memory TUNs and unix sockets standing in for pipes.
// Importers: the commands and the wg-quick Windows backend. See
// docs/windows.md for the user's view.
package windows
