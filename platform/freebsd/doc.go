// Package freebsd holds what wg-quick(8) needs to know about FreeBSD that
// is not a syscall: how the Linux-flavoured keys FwMark and Table
// translate (Warnings, ParseTable), and the resolvconf(8) commands for
// DNS (SetDNS, UnsetDNS). All of it is pure and tested on any OS.
//
// The syscall work lives in the sub-packages: ifwg (the if_wg kernel
// driver), nv (libnv), ifconf (addresses, MTU, flags through ioctls),
// tundev (the tun(4) device of the userspace fallback); routes are in
// platform/bsd, shared with OpenBSD.
//
// Importers: wg-quick and the daemon's FreeBSD hooks.
package freebsd
