package tundev

import (
	"encoding/binary"

	"github.com/wgshim/wgshim/core/tun"
)

// Routing-socket messages tundev reads (OpenBSD net/route.h, net/if.h;
// layouts asserted against x/sys/unix in rtmsg_openbsd_test.go).
const (
	rtmVersion    = 5   // RTM_VERSION
	rtmIfInfo     = 0xe // RTM_IFINFO: struct if_msghdr
	rtmIfAnnounce = 0xf // RTM_IFANNOUNCE: struct if_announcemsghdr
	ifanDeparture = 1   // IFAN_DEPARTURE
	iffUp         = 0x1 // IFF_UP

	// Offsets in the headers; the first 8 bytes are common to all
	// routing messages: msglen u16, version u8, type u8, hdrlen u16,
	// index u16.
	offMsgLen     = 0
	offMsgVersion = 2
	offMsgType    = 3
	offMsgIndex   = 6
	minRoutingMsg = 8
	offIfmFlags   = 16 // if_msghdr.ifm_flags, int
	offIfmMTU     = 28 // if_msghdr.ifm_data.ifi_mtu, u_int32_t
	minIfMsghdr   = offIfmMTU + 4
	offIfanWhat   = 8 // if_announcemsghdr.ifan_what, u_short
	minIfAnnounce = offIfanWhat + 2
)

// msgKind is what a routing message means for the device.
type msgKind int

const (
	msgIgnore msgKind = iota
	msgInfo           // flags or MTU of our interface may have changed
	msgGone           // our interface was destroyed
)

// linkInfo is the state an RTM_IFINFO reports.
type linkInfo struct {
	up  bool
	mtu int
}

// parseMessages walks the routing messages in b (a read may return
// several) and reports, for interface index, whether it departed and the
// last state reported for it. Messages of other versions, types or
// interfaces, and truncated ones, are skipped.
func parseMessages(b []byte, index int) (info linkInfo, haveInfo, gone bool) {
	for len(b) >= minRoutingMsg {
		n := int(binary.NativeEndian.Uint16(b[offMsgLen:]))
		if n < minRoutingMsg || n > len(b) {
			return info, haveInfo, gone
		}
		m := b[:n]
		b = b[n:]
		switch k, li := parseMessage(m, index); k {
		case msgInfo:
			info, haveInfo = li, true
		case msgGone:
			gone = true
		}
	}
	return info, haveInfo, gone
}

// parseMessage decodes one routing message.
func parseMessage(m []byte, index int) (msgKind, linkInfo) {
	if len(m) < minRoutingMsg || m[offMsgVersion] != rtmVersion {
		return msgIgnore, linkInfo{}
	}
	if int(binary.NativeEndian.Uint16(m[offMsgIndex:])) != index {
		return msgIgnore, linkInfo{}
	}
	switch m[offMsgType] {
	case rtmIfInfo:
		if len(m) < minIfMsghdr {
			return msgIgnore, linkInfo{}
		}
		flags := binary.NativeEndian.Uint32(m[offIfmFlags:])
		mtu := binary.NativeEndian.Uint32(m[offIfmMTU:])
		return msgInfo, linkInfo{up: flags&iffUp != 0, mtu: int(mtu)}
	case rtmIfAnnounce:
		if len(m) >= minIfAnnounce && binary.NativeEndian.Uint16(m[offIfanWhat:]) == ifanDeparture {
			return msgGone, linkInfo{}
		}
	}
	return msgIgnore, linkInfo{}
}

// tracker turns successive link states into tun events: Up or Down when
// IFF_UP changes (the first state counts as a change only if up), and
// MTUUpdate when the MTU changes.
type tracker struct {
	known bool
	last  linkInfo
}

func (t *tracker) update(li linkInfo) []tun.Event {
	var evs []tun.Event
	switch {
	case li.up && (!t.known || !t.last.up):
		evs = append(evs, tun.EventUp)
	case !li.up && t.known && t.last.up:
		evs = append(evs, tun.EventDown)
	}
	if !t.known || li.mtu != t.last.mtu {
		evs = append(evs, tun.EventMTUUpdate)
	}
	t.known, t.last = true, li
	return evs
}
