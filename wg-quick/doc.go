// Package wgquick is wg-quick(8): it brings a WireGuard interface up from a
// configuration file (wg-quick/config), and down again.
//
// The work is split in three so that most of it is testable without root:
//
//	gather   Gather asks a Prober (the live system, or Fake) the few
//	         questions a plan depends on: does the link exist, the path
//	         MTU towards each endpoint, which routing tables are in use,
//	         the rules and nftables tables present, the DNS backend...
//	plan     PlanUp / PlanDown are pure functions from (config, Facts) to
//	         a list of Op values: data, each with the command line that
//	         upstream wg-quick prints for it ("ip -4 address add ...").
//	run      Run prints every Op as "[#] ...", hands it to an Executor and
//	         records the undo Op the executor returns. When an Op fails,
//	         Run performs the recorded undos in reverse order, so `up` is
//	         all or nothing; --dry-run prints the plan and stops. The
//	         loop is wg-quick/steps, which the OpenBSD flow's runner
//	         (platform/openbsd/quick) uses too.
//
// The Linux planner (PlanUp, PlanDown) follows upstream linux.bash step by
// step (spec wg-quick.md §4.1, §4.2, §5, §6, §8, §9); the Linux Executor
// (NewLinux) does the work over rtnetlink (platform/linux/rtnl), the
// platform/host drivers (kernel WireGuard first, then the userspace
// daemon), nft(8) or iptables-restore(8) for the full-tunnel firewall
// rules, resolvconf(8) or resolvectl(1) for DNS, and bash(1) for hooks.
// Fake is an in-memory system that is both Prober and Executor, for golden
// and unwinding tests on any OS.
//
// Main is the command (cmd/wg-quick is a thin wrapper). Importers:
// cmd/wg-quick and tests; core/ must not import it.
package wgquick
