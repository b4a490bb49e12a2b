// Package interop proves that the wgshim userspace engine and the Linux
// kernel's WireGuard driver talk to each other. Its tests (TestKernel*) run
// only inside the VM of tests/kernel/run.sh, which sets WGSHIM_KERNEL_VM=1,
// WGSHIM_BIN (our daemon, cmd/wgshim) and WGSHIM_WG (Debian's wg(8)); outside
// it they skip. Inside the VM every missing prerequisite fails the test.
//
// Each test builds a fresh topology (<id> is the test process's pid and a
// sequence number), so every tunnel starts without a session and the side
// that is given the peer's endpoint is the one that sends the first
// handshake initiation:
//
//	netns ik<id>                                    netns iu<id>
//	+-----------------------------------+         +-----------------------------------+
//	| wgk<id>: kernel driver            |         | wgu<id>: wgshim -f (TUN + UAPI)   |
//	|   created and addressed with rtnl,|         |   configured over the UAPI socket |
//	|   configured with wgnl            | tunnel  |   (core/uapi Client)              |
//	|   10.77.0.1/24  fd77::1/64        |<=======>|   10.77.0.2/24  fd77::2/64        |
//	|   udp :51820                      |         |   udp :51821                      |
//	| veth 192.168.77.1/24 fd77:1::1/64 |<-veth-->| veth 192.168.77.2/24 fd77:1::2/64 |
//	+-----------------------------------+         +-----------------------------------+
//
// Checked: pings over IPv4 and IPv6 inner addresses with the kernel
// initiating (IPv4 outer) and with wgshim initiating (IPv6 outer), the
// responder learning the initiator's endpoint; a SHA-256 verified TCP bulk
// transfer in each direction; and that wgnl's Get, the UAPI Get and Debian's
// `wg show dump` all report the handshake and agreeing byte counters.
//
// The tests talk to the namespaces without helper processes: a goroutine
// locks its OS thread and joins a namespace (setns) just long enough to open
// a socket (netlink, TCP), which stays in that namespace afterwards.
//
// This package has no non-test code; nothing imports it.
package interop
