// Package host picks the WireGuard drivers of the running OS; every command
// (wg, wg-quick, the daemon's helpers) goes through it rather than naming
// drivers itself.
//
// Drivers lists them in order of preference for creating interfaces:
// the kernel's first where there is one, then userspace (platform/uapi):
//
//	Linux    kernel (platform/linux/kernel), userspace
//	FreeBSD  if_wg (platform/freebsd/ifwg), userspace
//	OpenBSD  userspace only until platform/openbsd exists
//	Windows  the named-pipe driver (platform/windows), listed where the
//	         kernel's would be; the unix-socket driver is unsupported there
//	others   userspace only (macOS)
//
// Open and List find interfaces as wg(8) does (spec uapi.md §6): a
// userspace socket that answers shadows a kernel interface of the same
// name; List gives the kernel interfaces first, then the sockets in
// directory order, without removing duplicates.
package host
