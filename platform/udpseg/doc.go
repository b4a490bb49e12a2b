// Package udpseg plans UDP segmentation offload sends and splits coalesced
// receives, independently of any OS.
//
// Linux (UDP_SEGMENT / UDP_GRO) and Windows (UDP_SEND_MSG_SIZE /
// UDP_RECV_MAX_COALESCED_SIZE) share one model: a send carries several
// datagrams of one segment size back to back, the last one possibly
// shorter, and a coalesced receive returns such a run together with its
// segment size. PlanSends groups a batch of datagrams into such runs and
// SplitSegments cuts a coalesced receive back into datagrams.
//
// What it does not do: syscalls, control messages or per-OS limits; the
// callers (platform/linux/bind, platform/windows/bind) pass their limits in.
//
// Who imports it: the platform binds. It imports only the standard
// library, so core/ may not need it but could.
package udpseg
