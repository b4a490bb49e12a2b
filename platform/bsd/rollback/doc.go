// Package rollback undoes a WireGuard configuration change that a BSD
// kernel driver applied only in part.
//
// FreeBSD's if_wg(4) and OpenBSD's wg(4) both apply a SIOCSWG request
// field by field and stop at the first error, with no transaction of
// their own (wgc_set and wg_ioctl_set in the two if_wg.c). So a Link
// reads the device (SIOCGWG) before a change and, when a request fails
// after the kernel may have changed something, writes that snapshot back:
//
//   - Config turns the snapshot into the configuration that restores it.
//   - Send sends a change's requests in order and calls the restore when,
//     and only when, a failure may have left part of the change applied.
//
// Which errnos mean "nothing was applied", how requests are encoded and
// sent, and whether a missing private key can be restored are each
// driver's; they come in as functions and are decided by the callers.
// The package is pure logic over core/wgtypes, tested on any OS.
//
// Importers: platform/freebsd/ifwg, platform/openbsd/ifwg and
// platform/openbsd/wgio; nothing in core/.
package rollback
