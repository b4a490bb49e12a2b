// Package wgio encodes and decodes the SIOCSWG / SIOCGWG ioctl buffers of
// OpenBSD's in-kernel WireGuard, wg(4).
//
// Both ioctls take struct wg_data_io {name[16], size, pointer} whose
// pointer addresses one contiguous buffer: struct wg_interface_io, then
// each struct wg_peer_io immediately followed by its struct wg_aip_io
// entries (spec openbsd-wg-ioctl.md §1-§3, checked against openbsd/src
// sys/net/if_wg.h rev 1.5 and if_wg.c wg_ioctl_set / wg_ioctl_get). The
// peer struct grew a 64-byte description in OpenBSD 7.4, so every
// function takes a Layout, chosen from kern.osrelease by
// LayoutForRelease.
//
// The package is pure Go with no build tags: it builds and is tested on
// every OS. Host-order fields are written in the host's byte order
// (encoding/binary.NativeEndian), since the buffer is read by the kernel
// of the machine that runs the code. Only the LP64 ABI (amd64, arm64 and
// the other 64-bit ports) is described; 32-bit OpenBSD lays the structs
// out differently and is refused by the driver. structs_openbsd.go holds
// Go mirrors of the C structs whose sizes and offsets the OpenBSD-only
// tests compare with the constants used here.
//
// What wg(4) cannot express is handled explicitly (see SetRequests):
// removing single allowed IPs is emulated from the current state, a peer
// the kernel may skip always ends its buffer (older kernels lost their
// place in the buffer on a skipped peer), and Config.FirewallMark is mapped to the routing table of the
// tunnel's sockets, as wg(8) does on OpenBSD.
//
// Importers: platform/openbsd/ifwg and tests; nothing in core/.
package wgio
