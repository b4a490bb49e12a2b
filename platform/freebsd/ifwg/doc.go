// Package ifwg drives FreeBSD's in-kernel WireGuard, if_wg(4).
//
// if_wg is configured with two ioctls on any datagram socket, SIOCSWG and
// SIOCGWG, whose argument is struct wg_data_io {name[16], data pointer,
// size} pointing at a packed libnv nvlist (package nv). This package maps
// wgtypes.Config to the SIOCSWG request schema and SIOCGWG replies back to
// wgtypes.Device (spec freebsd-nvlist.md §2.6, checked against
// freebsd-src sys/dev/wg/if_wg.c wgc_set/wgc_get/wg_peer_add), performs the
// two-step size negotiation of SIOCGWG, and implements platform.Driver and
// platform.Link.
//
// Everything except the syscalls is portable and tested on any OS through
// an injected ioctl function; the syscall glue lives in *_freebsd.go and
// other systems get a Driver whose methods return errors.ErrUnsupported.
//
// What the kernel cannot express is handled explicitly, never dropped:
//
//   - PeerConfig.UpdateOnly and RemoveAllowedIPs are emulated from a
//     SIOCGWG snapshot taken just before the SIOCSWG (see SetRequest); the
//     emulation is only as current as that snapshot.
//   - A zero Config.PrivateKey is an error: if_wg clamps and installs the
//     zero key as a real identity instead of removing the key.
//   - SIOCSWG is not atomic (keys are applied in order and the first error
//     aborts), so Link.Set restores the snapshot when the kernel fails part
//     way; restoring recreates the peers, losing their sessions.
//
// Importers: the platform registry and commands; nothing in core/.
package ifwg
