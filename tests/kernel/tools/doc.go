// Package tools compares our wg(8) and wg-quick(8) with Debian's
// (wireguard-tools v1.0.20210914) on the Linux kernel's WireGuard driver,
// inside the kernel test VM (tests/kernel/run.sh).
//
// TestKernelWg* configure kernel wireguard links in a private network
// namespace and run both wg binaries on them: every `show` form, `show
// dump`, each `show IFACE FIELD`, `showconf` and `show interfaces` must print
// identical bytes, exit status and stderr; `set`, `setconf`, `addconf` and
// `syncconf` run by either tool on twin links must leave the same state (as
// Debian's `wg showconf` prints it) and print the same messages.
//
// TestKernelWgQuick* run Debian's wg-quick (a bash script calling ip, wg
// and nft) and ours (cmd/wg-quick, which uses rtnetlink and generic
// netlink) on the same configuration, each in a fresh network namespace
// with a veth "uplink" and a default route, and snapshot `ip -j addr`, `ip
// -j route show table all`, `ip -j rule`, `nft -j list ruleset`, `wg show
// all dump` and src_valid_mark before up, after up and after down. After up
// both must match (ifindexes, nft handles, handshakes and counters masked);
// after down each must equal its own before.
//
// The binaries come from run.sh: WGSHIM_WG (Debian's wg), WGSHIM_OURS (a
// directory with our wg and wg-quick), WGSHIM_WGQUICK (Debian's wg-quick)
// and WGSHIM_NFT (nft). Outside the VM (WGSHIM_KERNEL_VM unset) the tests
// skip; inside, anything missing fails them.
//
// This package has no non-test code; nothing imports it.
package tools
