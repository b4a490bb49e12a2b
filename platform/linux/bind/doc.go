// Package bind is the Linux implementation of core/conn.Bind: an IPv4 and
// an IPv6 UDP socket on one port, driven by the Go runtime's poller.
//
// What it does:
//   - batches: recvmmsg(2) and sendmmsg(2), BatchSize datagrams per call,
//     with no allocation per datagram once a flow's Endpoint is known;
//   - UDP GSO on send: runs of equal-sized datagrams to the same endpoint
//     go out as one sendmsg with a UDP_SEGMENT control message (the last
//     one may be shorter); if the kernel or device refuses (EIO, EINVAL)
//     GSO is switched off for the socket and the datagrams are resent; if
//     a segment exceeds the route MTU (EMSGSIZE) only that call is resent
//     without GSO;
//   - UDP GRO on receive: coalesced datagrams are split by their gso_size
//     into the caller's buffers;
//   - sticky sources (protocol.md §10): IP_PKTINFO / IPV6_RECVPKTINFO
//     record the local address a peer's packet arrived on in its Endpoint,
//     and replies carry it back as the source; a send on a vanished source
//     (EINVAL for IPv6, ENETUNREACH for IPv4) forgets it and retries once;
//   - SetMark: SO_MARK on both sockets, re-applied on every Open.
//
// Control-message encoding and sockaddr parsing are plain functions without
// build tags, so their tests run on every OS; the GSO/GRO planning is shared
// with the Windows bind in platform/udpseg; the syscalls live in _linux.go
// files. On other OSes New returns a Bind whose
// Open fails with errors.ErrUnsupported.
//
// Who imports it: the Linux wiring of the engine (cmd/wgshim, platform
// code). core/ must not import it.
package bind
