// Package wgnl configures the Linux kernel's WireGuard driver through its
// generic netlink family ("wireguard", version 1).
//
// Client.Get dumps a device (WG_CMD_GET_DEVICE) and merges peers whose
// allowed IPs the kernel split over several messages; Client.Set sends a
// wgtypes.Config as one or more WG_CMD_SET_DEVICE messages, each at most
// MaxMessageSize bytes, the way wg(8) splits large configurations.
//
// The message encoding and decoding (EncodeSet, DecodeDevice) are pure
// functions over attribute bytes so they can be tested, fuzzed and benchmarked
// without a kernel. Client itself only exists on Linux; elsewhere Open returns
// an error wrapping errors.ErrUnsupported.
//
// What Set guarantees: the kernel applies every message on its own and a
// message can fail half way, so Set
//
//  1. validates the whole Config (and that the device exists) before sending
//     anything; invalid input changes nothing;
//  2. reads the device's state before sending, and if the kernel rejects any
//     message it reads the state again and sends the difference needed to get
//     back to the old state (private key, listen port, fwmark, and each
//     peer's preshared key, endpoint, keepalive and allowed IPs; peers added
//     by the failed Set are removed, removed ones re-created).
//
// After a successful restore, Get returns what it returned before the failed
// Set, except that: peers the failed Set removed or had to be re-created (to
// clear an endpoint, which the kernel cannot unset) lose their sessions,
// handshake time and rx/tx counters and move to the end of the peer list;
// allowed IPs may be listed in a different order. Concurrent changes by other
// programs between the two reads are overwritten. If the restore fails too,
// the returned error says so and the device is in an intermediate state.
//
// Removing single allowed IPs (PeerConfig.RemoveAllowedIPs) needs
// WGALLOWEDIP_F_REMOVE_ME, Linux 6.16 or newer. Set finds out once per
// Client with a probe message that changes nothing (EncodeRemovalProbe);
// on an older kernel such a Set fails with an error wrapping
// errors.ErrUnsupported before anything is sent (if the device has no peer
// to probe with, the kernel's rejection is undone as above).
//
// Not guaranteed: isolation. Other readers (wg show, another Client) can
// observe the intermediate states of a Set that takes several messages, and
// of its undo. The read before sending makes a large Set about a third
// slower than wg setconf.
//
// Get restarts a dump that the kernel marks NLM_F_DUMP_INTR (the device
// changed between two of its messages), so each Get is one consistent
// snapshot; it gives up with EINTR after 10 interrupted dumps in a row.
//
// Kernel facts are from the UAPI header include/uapi/linux/wireguard.h and
// drivers/net/wireguard/netlink.c (see /work/shared/spec/linux-netlink.md).
//
// platform/linux builds its Driver on this package; nothing in core may
// import it.
package wgnl
