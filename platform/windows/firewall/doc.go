// Package firewall is the kill switch of a Windows tunnel: Windows
// Filtering Platform (WFP) filters that block every IPv4 and IPv6
// connection that does not go through the tunnel, so that nothing leaks
// while the tunnel is down, reconnecting or misrouted.
//
// Enable adds, in one transaction, a sublayer of ours (weight 0xffff)
// with filters at the four ALE layers (FWPM_LAYER_ALE_AUTH_CONNECT_V4/V6
// for outbound, FWPM_LAYER_ALE_AUTH_RECV_ACCEPT_V4/V6 for inbound). The
// permits outrank the blocks (weight range 15 against 0) and let through:
//
//   - our own executable (FWPM_CONDITION_ALE_APP_ID), which sends the
//     encrypted UDP to the peers' endpoints outside the tunnel;
//   - anything on the tunnel interface (FWPM_CONDITION_IP_LOCAL_INTERFACE
//     equal to its LUID);
//   - loopback (FWP_CONDITION_FLAG_IS_LOOPBACK), which never leaves the
//     machine;
//   - DHCPv4 (UDP 68 to 67) and DHCPv6 (UDP 546 to 547), so the physical
//     interfaces keep their addresses and the endpoints stay reachable;
//   - NDP (ICMPv6 types 133 to 136), without which IPv6 loses its routers
//     and neighbors.
//
// Everything else is blocked at all four layers. Other sublayers still
// apply on top (a Windows Firewall block still blocks), and a permit here
// does not override their blocks.
//
// The session is dynamic (FWPM_SESSION_FLAG_DYNAMIC): Session.Close, or
// the process exiting or crashing, deletes every filter. The kill switch
// is therefore fail-open if the process dies, as wireguard-windows' is: a
// crash leaks rather than leaving the machine offline with nothing to
// undo it. It does not filter below ALE (raw IP, forwarded traffic) and
// does not restrict DNS.
//
// The filters are built as data by a pure function and converted to the
// C layout (FWPM_FILTER0 and friends, verified against the 64-bit SDK
// layout) in files without build tags, tested on every OS. Only the calls
// into fwpuclnt.dll are Windows code; elsewhere Enable returns an error
// wrapping errors.ErrUnsupported. Enable needs an elevated administrator
// or LocalSystem and 64-bit Windows.
//
// platform/windows enables it for a tunnel whose configuration says
// KillSwitch = true (never by itself); it imports nothing of this module.
package firewall
