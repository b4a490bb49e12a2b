// Package tundev is the userspace fallback's TUN device on FreeBSD: a
// tun(4) interface opened by cloning /dev/tun, implementing core/tun.Device.
//
// The device runs in "multi-af" mode (TUNSIFHEAD): every packet read or
// written carries a 4-byte big-endian address family first (if_tuntap.c
// prepends htonl(af) on output and reads it on input). The header lives in
// the 4 bytes of headroom before the packet, so offset must be at least
// HeaderLen and no packet is copied. The interface is put in
// IFF_BROADCAST|IFF_MULTICAST mode (TUNSIFMODE) like if_wg, renamed to the
// requested name (SIOCSIFNAME) and given its MTU (SIOCSIFMTU). One read
// or write moves one packet: tun(4) has no batching or offloads.
//
// Events come from the routing socket: RTM_IFINFO gives up/down and MTU
// changes; RTM_IFANNOUNCE departure of the interface closes the device,
// unless the index still exists (if_rename announces a departure and an
// arrival under the new name, sys/net/if.c), in which case the name is
// updated. Closing the device destroys the interface: unlike Linux, the
// tun interface outlives its descriptor.
//
// The packet and event logic is portable (device.go, events.go) and
// tested on any OS over a socketpair; tun_freebsd.go holds the ioctls.
// Importers: the daemon's FreeBSD hooks.
package tundev
