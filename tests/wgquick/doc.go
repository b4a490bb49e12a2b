// Package wgquick compares our wg-quick with Debian's wg-quick(8)
// (wireguard-tools) on Linux, by the system state each one leaves behind.
//
// Every run happens in a fresh network namespace and a private mount
// namespace (ip netns exec), with a tmpfs on /run (so /run/wireguard, the
// sockets and the fake resolvconf's state are private), /etc/hosts and
// /etc/nsswitch.conf bound to test files (endpoint names resolve from the
// hosts file only), and IPv6 address generation off so that no random
// link-local address appears. The machine's own routes, rules, firewall and
// resolver are never touched.
//
//	netns wgq-<pid>-<n> (one per run)
//	+--------------------------------------------------------------+
//	| wgq0     the interface under test (userspace: bin/wgshim)    |
//	| uplink0  192.0.2.1/24 2001:db8::1/64 mtu 1400 --veth-- uplink1 |
//	|          default via 192.0.2.254 / 2001:db8::fe               |
//	|          (endpoints 192.0.2.7 "peer.wgq.test", unreachable)  |
//	+--------------------------------------------------------------+
//
// For each configuration (INI), three runs: (a) Debian's wg-quick with
// WG_QUICK_USERSPACE_IMPLEMENTATION=wgshim (this kernel may lack the
// WireGuard module; the userspace fallback is used then), (b) our wg-quick
// with the same INI file, (c) our wg-quick with the TOML from `wg-quick
// convert`. Each run snapshots `ip -j addr`, `ip -j route show table all`
// (v4 and v6), `ip -j rule` (v4 and v6), `nft -j list ruleset`, `wg show
// all dump` (Debian's wg), net.ipv4.conf.all.src_valid_mark, the sockets in
// /run/wireguard, the fake resolvconf's records and the hooks' marker file,
// before up, after up and after down. Volatile fields (ifindex, nft handles
// and metainfo, handshake times, byte counters, a random listen port) are
// normalised away; everything else must be identical, and the state after
// down must equal the state before up.
//
// Failure injection: configurations whose up must fail at a given step
// (failing PreUp or PostUp hook, an address added twice, a route that
// already exists, an endpoint that does not resolve, nft missing from PATH,
// resolvconf failing, an impossible MTU). Every implementation must fail
// like Debian's does and leave the state exactly as it was before up.
// `save` then `up` of the saved file must reproduce the running state.
//
// The tests need root and the commands ip, nft, bash and Debian's wg and
// wg-quick (packages iproute2, nftables, wireguard-tools). Without root
// they skip, unless CI=true: then a missing prerequisite fails the test.
// TestMain builds cmd/wgshim and, when it exists, cmd/wg-quick and cmd/wg.
//
// This package has no non-test code; nothing imports it.
package wgquick
