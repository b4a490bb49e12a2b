// Package tundev is the userspace datapath's TUN device on OpenBSD: it
// implements core/tun.Device over /dev/tunN (tun(4) in its default
// layer-3 mode).
//
// What it does:
//
//   - Create opens /dev/tunN for a "tunN" name, or the first /dev/tunN
//     that is not busy for the name "tun" (opening the character device
//     creates the interface), sets the MTU and remembers whether it
//     created the interface, so that Close can destroy it again.
//   - Every packet read from or written to the device carries tun(4)'s
//     4-byte header, the address family in network byte order
//     (AF_INET 2, AF_INET6 24). Read and Write keep it in the 4 bytes of
//     headroom before offset, so packets are never copied.
//   - Events follows the interface over a routing socket: RTM_IFINFO
//     gives up/down (IFF_UP) and MTU changes; RTM_IFANNOUNCE with
//     IFAN_DEPARTURE (`ifconfig tunN destroy`) closes the device, so
//     Read fails and a daemon using it shuts down.
//
// What it does not: addresses, routes and descriptions are set by the
// caller (platform/openbsd/netif); there is no batching, since tun(4)
// moves one packet per read(2) and write(2), so BatchSize is 1.
//
// The header handling, the unit naming and the routing-message decoding
// are plain Go without build tags and are tested on every OS; only the
// open/ioctl/route-socket glue is in device_openbsd.go. Elsewhere Create
// and CreateFromFile return errors.ErrUnsupported.
//
// Importers: the daemon (daemon/daemon_openbsd.go) and wg-quick's
// OpenBSD userspace path. core/ must not import it.
package tundev
