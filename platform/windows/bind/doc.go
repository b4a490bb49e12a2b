// Package bind is the Windows implementation of core/conn.Bind: an IPv4
// and an IPv6 UDP socket on one port, on the net package (WSARecvMsg and
// WSASendMsg through net.UDPConn's ReadMsgUDPAddrPort and
// WriteMsgUDPAddrPort; no cgo, no Registered I/O).
//
// What it does:
//   - UDP send segmentation (USO): Send groups runs of equal-sized
//     datagrams to one endpoint (the last may be shorter; platform/udpseg
//     plans them) and writes each run once, with a UDP_SEND_MSG_SIZE
//     control message holding the segment size. A lone datagram goes out
//     without one, because some Windows configurations reject the control
//     message even then (firezone/firezone#11570);
//   - UDP receive coalescing (URO): UDP_RECV_MAX_COALESCED_SIZE lets one
//     receive return many datagrams from one sender, with their size in a
//     UDP_COALESCED_INFO control message. A ReceiveFunc reads one such
//     receive into a 64 KiB buffer and splits it into up to len(packets)
//     datagrams; the rest waits for the next call. Once the sender's
//     endpoint is cached a receive allocates nothing;
//   - BatchSize 64, as the Linux bind.
//
// Which Windows: both options first appear in Windows 10 version 2004
// (build 19041) and Windows Server version 2004 (the minimum versions of
// WSASetUdpSendMessageSize and WSASetUdpRecvMaxCoalescedSize). Where the
// NIC has no receive coalescing offload the stack coalesces in software
// (microsoft/net-offloads, udp-rsc-offload.md).
//
// Fallbacks, decided per socket and never logged per packet:
//   - Open sets UDP_RECV_MAX_COALESCED_SIZE; if that fails the socket reads
//     one datagram per call straight into the caller's buffer, as
//     conn.StdBind does;
//   - Open reads (never sets) UDP_SEND_MSG_SIZE; if that fails Send writes
//     one datagram per call. Setting it would cut every later datagram,
//     with or without a control message (quinn-rs/quinn#2818);
//   - a segmented write failing with WSAEINVAL, WSAEOPNOTSUPP or
//     WSAENOPROTOOPT (quinn-udp met builds that accept the option but
//     fail segmented sends with WSAEINVAL) is resent one datagram at a
//     time; if the first plain write works, segmentation stays off for
//     the socket. WSAEMSGSIZE (a segment above the path MTU) resends that
//     run alone and keeps segmentation on;
//   - some machines coalesce without attaching UDP_COALESCED_INFO
//     (quinn-rs/quinn#2041, microsoft/msquic#4955). A receive without it
//     that is a run of WireGuard transport messages from one peer (the
//     same 8-byte header recurring every seg bytes) is split at that size
//     and coalescing is switched off for the socket. The check scans each
//     plain receive (about 170 ns for 1452 bytes), so it stops once the
//     socket has received one labelled run: that stack labels its runs.
//
// SetMark returns errors.ErrUnsupported. Endpoints are conn.StdEndpoint:
// no sticky source addresses.
//
// The control-message encoding and parsing (cmsg.go) and the Send and
// receive logic (bind.go) have no build tags and are tested on every OS
// against a fake socket, for both the 64-bit and the 32-bit WSACMSGHDR
// layout; the Winsock calls live in sys_windows.go. On other OSes New
// returns a Bind whose Open fails with errors.ErrUnsupported.
//
// Who imports it: the Windows wiring of the engine (platform/windows,
// daemon). core/ must not import it.
package bind
