// Package e2e holds the Linux end-to-end tests of wgshim: real daemons in
// network namespaces, configured over the UAPI socket (core/uapi Client) and
// with Debian's wg(8) and wg-quick(8), checked with ping, TCP transfers and
// the counters the daemons report. Every two-node scenario runs twice: with
// wgshim on both ends, and with wgshim against wireguard-go (built from the
// module in go.mod; tests only).
//
// Topology of a pair (newPair); each test makes its own uniquely named
// namespaces, veths and WireGuard interfaces (the interface names differ in
// every namespace too, because /var/run/wireguard is shared):
//
//	netns wge2e-<tag>-<n>a                       netns wge2e-<tag>-<n>b
//	+-------------------------------+           +-------------------------------+
//	| wgT<tag><n>a  (daemon A)      |           | wgT<tag><n>b  (daemon B)      |
//	|   10.0.0.1/24, fd00::1/64     |  tunnel   |   10.0.0.2/24, fd00::2/64     |
//	|   udp :51820                  | <=======> |   udp :51821                  |
//	| veth 192.168.241.1/24         |           | veth 192.168.241.2/24         |
//	|      fdaa::1/64               |<--veth--->|      fdaa::2/64               |
//	+-------------------------------+           +-------------------------------+
//
// The allowed-IPs source test uses a hub and two spokes (three namespaces):
//
//	spoke B 10.0.0.2 ---- 192.168.1.0/24 ---- hub H 10.0.0.1 ---- 192.168.2.0/24 ---- spoke C 10.0.0.3
//
// The tests need root (network namespaces, TUN) and the commands ip, ss,
// ping, sysctl and wg (wg-quick and unshare for the wg-quick test). Without
// root or a command they skip, saying why, unless CI=true: then a missing
// prerequisite fails the test. TestMain builds wgshim, wireguard-go and the
// xfer helper (internal/xfer) into a temporary directory.
//
// Run them with: go test ./tests/e2e (about two minutes on two cores).
//
// This package has no non-test code; nothing imports it.
package e2e
