// Package ifwg drives OpenBSD's in-kernel WireGuard, wg(4), and
// implements platform.Driver and platform.Link for it.
//
// Interfaces are configured with SIOCSWG / SIOCGWG on a datagram socket;
// package wgio encodes and decodes their buffers. This package adds the
// interface lifecycle (SIOCIFCREATE, SIOCIFDESTROY, the "wg" interface
// group, descriptions), the naming rules of wg-quick(8) on OpenBSD, errno
// mapping, and restoring the previous state when a SIOCSWG fails part
// way.
//
// Everything except the syscalls is portable and tested on any OS
// through an injected system interface; the glue lives in
// sys_openbsd.go, and on other systems NewDriver returns a Driver whose
// methods fail with errors.ErrUnsupported.
//
// OpenBSD cannot rename interfaces: every wg(4) interface is called wgN.
// Create and Open therefore accept either a unit name ("wg0", used as
// is) or a wg-quick configuration name ("office"), which is mapped to the
// lowest free wgN tagged with the description "wg-quick: office" and
// found again by that description, as wg-quick(8) does
// (src/wg-quick/openbsd.bash). Link.Name is always the real wgN.
//
// What the kernel cannot express is handled explicitly, never dropped
// (see wgio.SetRequests): RemoveAllowedIPs is emulated from a snapshot
// taken just before the change, FirewallMark is the routing table of the
// tunnel's sockets (0-255), and Link.Set restores the snapshot when the
// kernel fails after it may have applied part of a request; restored
// peers lose their sessions, counters and descriptions.
//
// Importers: the platform registry and commands; nothing in core/.
package ifwg
