// Package windows holds what the commands need to know about Windows that
// is not tied to one API: today the table of wg-quick keys Windows cannot
// honour (Warnings). The subpackages do the work:
//
//   - tundev: the Wintun TUN device (core/tun.Device);
//   - pipe: the UAPI named pipe (core/uapi over \\.\pipe\...);
//   - iphelper: addresses, routes, MTU and DNS through IP Helper;
//   - service: running a tunnel as a Windows service.
//
// Everything here is plain Go without build tags and is tested on every OS.
// Importers: the commands and the wg-quick Windows backend. See
// docs/windows.md for the user's view.
package windows
